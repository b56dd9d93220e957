/**
 * `${env:NAME}` and `${env:NAME:-default}` in string values under `spec`. The default applies when NAME is unset
 * or empty (as in a shell); `$${` is a literal `${`. Every value that went through interpolation is sensitive.
 * Pure: the environment is passed in.
 */
import type { Diagnostic } from '../diagnostics.js';
import { setOwn, type JsonValue } from '../json.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import { displayPath, toPointer, type Path, type PathSegment } from './paths.js';
import type { Locator } from './yaml.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Interpolated {
  value: JsonValue;
  /** Paths (from the document root) of strings that used `${env:…}`. */
  sensitive: Path[];
  /** Paths of strings that name a missing variable: kept as written, and not checked further. */
  unresolved: Path[];
  /** The interpolated strings and the environment values in them: no message may show them. */
  secrets: string[];
  diagnostics: Diagnostic[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolateDocument(value: JsonValue, env: Env, locator: Locator): Interpolated {
  const result: Interpolated = { value, sensitive: [], unresolved: [], secrets: [], diagnostics: [] };
  result.value = walk(value, [], env, locator, result);
  return result;
}

function walk(
  value: JsonValue,
  path: PathSegment[],
  env: Env,
  locator: Locator,
  result: Interpolated,
): JsonValue {
  if (typeof value === 'string') return interpolateAt(value, path, env, locator, result);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], env, locator, result));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      setOwn(out, key, walk(item, [...path, key], env, locator, result));
    }
    return out;
  }
  return value;
}

function interpolateAt(
  text: string,
  path: PathSegment[],
  env: Env,
  locator: Locator,
  result: Interpolated,
): string {
  if (!text.includes('${')) return text;
  const scanned = scanString(text, env);
  const problem = (code: string, message: string, needle: string, hint?: string): void => {
    result.diagnostics.push({
      code,
      severity: 'error',
      message,
      file: locator.file,
      ...locator.find(path, needle),
      path: toPointer(path),
      ...(hint ? { hint } : {}),
    });
  };
  if (scanned.references.length > 0 && path[0] !== 'spec') {
    problem(
      Code.envNotAllowed,
      `${displayPath(path)} uses \${env:…}, which is only interpolated in values under spec`,
      '${',
      'write the value literally (metadata and the document header are titan identity, never secret)',
    );
    return text;
  }
  for (const issue of scanned.issues) {
    if (issue.kind === 'missing') {
      problem(
        Code.envMissing,
        `environment variable ${issue.name} is not set (used in ${displayPath(path)})`,
        `\${env:${issue.name}`,
        `set it, or give a default: \${env:${issue.name}:-value}`,
      );
    } else {
      problem(
        Code.envSyntax,
        `${displayPath(path)}: ${issue.message}`,
        issue.needle,
        'write ${env:NAME} or ${env:NAME:-default}; $${ is a literal ${',
      );
    }
  }
  if (scanned.issues.length > 0) {
    result.unresolved.push(path);
    return text;
  }
  if (scanned.references.length > 0) {
    result.sensitive.push(path);
    result.secrets.push(scanned.text);
    for (const secret of scanned.values) result.secrets.push(secret);
  }
  return scanned.text;
}

type Issue = { kind: 'missing'; name: string } | { kind: 'syntax'; message: string; needle: string };

interface Scanned {
  text: string;
  references: string[];
  /** The values substituted. */
  values: string[];
  issues: Issue[];
}

/** Expands one string. */
export function scanString(text: string, env: Env): Scanned {
  const out: string[] = [];
  const references: string[] = [];
  const values: string[] = [];
  const issues: Issue[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out.push('${');
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i) || !/^env:/i.test(text.slice(i + 2, i + 6))) {
      out.push(text[i] as string);
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i);
    const inner = close < 0 ? text.slice(i + 2) : text.slice(i + 2, close);
    references.push(inner);
    if (close < 0) {
      issues.push({
        kind: 'syntax',
        message: `${quote(text.slice(i, i + 30))} is missing its closing "}"`,
        needle: text.slice(i, i + 6),
      });
      break;
    }
    const needle = text.slice(i, close + 1);
    if (!inner.startsWith('env:')) {
      issues.push({
        kind: 'syntax',
        message: `write ${quote(`\${env:${inner.slice(4)}}`)} in lower case`,
        needle,
      });
    } else {
      const body = inner.slice(4);
      const separator = body.indexOf(':-');
      const name = separator < 0 ? body : body.slice(0, separator);
      const fallback = separator < 0 ? undefined : body.slice(separator + 2);
      if (!NAME.test(name)) {
        issues.push({
          kind: 'syntax',
          message: `${quote(name)} is not an environment variable name (letters, digits and "_", not starting with a digit)`,
          needle,
        });
      } else {
        const set = env[name];
        const value = set === undefined || (set === '' && fallback !== undefined) ? fallback : set;
        if (value === undefined) issues.push({ kind: 'missing', name });
        else {
          out.push(value);
          values.push(value);
        }
      }
    }
    i = close + 1;
  }
  return { text: out.join(''), references, values, issues };
}
