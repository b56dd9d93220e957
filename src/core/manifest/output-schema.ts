/**
 * Does an output schema compile as a JSON Schema under ajv strict mode? Findings point inside the manifest (or
 * the referenced schema file), at the offending keyword: meta-schema errors by their path, unknown keywords,
 * bad regular expressions and unknown formats by walking the schema, and what compiling reports by the path in
 * its message (or the keyword it names). Pure: the schema engine is passed in.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { isJsonObject, valueAt, type JsonObject, type JsonValue } from '../json.js';
import { Code } from './codes.js';
import { describeValue, quote } from './describe.js';
import { displayPath, pathFromPointer, toPointer, type Path, type PathSegment } from './paths.js';
import { diagnosticsFromSchemaErrors } from './schema-errors.js';
import { isPlainSchema } from './plain-schema.js';
import { DRAFT_07, DRAFT_2020_12, dialectOf, type ManifestSchemas } from './schema-port.js';
import { visitSchemas } from './schema-walk.js';
import { didYouMean } from './suggest.js';

export interface OutputSchemaSite {
  /** Where the schema sits in the manifest document (`['spec', 'output_schema']`). */
  path: Path;
  /** Source location of a path inside the (bundled) schema. */
  place(path: Path, mode: 'key' | 'value'): SourceLocation;
  /** True when the value at a path inside the schema came from the environment. */
  isSensitive(path: Path): boolean;
}

/** Keywords ajv accepts without listing them as rules. */
const ALWAYS_KNOWN = new Set([
  '$anchor',
  '$dynamicAnchor',
  '$vocabulary',
  '$id',
  '$schema',
  '$comment',
  '$defs',
  'definitions',
]);

export function checkOutputSchema(
  schema: JsonValue,
  site: OutputSchemaSite,
  engine: ManifestSchemas,
): Diagnostic[] {
  if (!isJsonObject(schema)) return [];
  const name = (path: Path): string => displayPath([...site.path, ...path]);
  const make: Make = (path, message, mode = 'key', hint, code = Code.outputSchemaInvalid) => ({
    code,
    severity: 'error',
    message,
    ...site.place(path, mode),
    path: toPointer([...site.path, ...path]),
    ...(hint ? { hint } : {}),
  });

  if (dialectOf(schema) === undefined) {
    return [
      make(
        ['$schema'],
        `${name(['$schema'])} must be ${quote(DRAFT_2020_12)} (the default) or ${quote(`${DRAFT_07}#`)}`,
        'value',
        'or remove $schema: titan checks output schemas as draft 2020-12',
      ),
    ];
  }

  const walked = walkForProblems(schema, engine, make, name, site.isSensitive);
  if (isPlainSchema(schema)) return walked; // it passes the meta-schema and compiles cleanly (plain-schema.ts)
  // Meta-schema errors and what the walk finds are independent: report both at once. Compiling needs both clean.
  const meta = diagnosticsFromSchemaErrors(engine.validateMetaSchema(schema), {
    root: schema,
    basePath: site.path,
    place: site.place,
    isSensitive: site.isSensitive,
    code: Code.outputSchemaInvalid,
  });
  if (meta.length > 0 || walked.length > 0) return [...meta, ...walked];

  const outcome = engine.compileOutputSchema(schema);
  const out: Diagnostic[] = [];
  if (outcome.error) out.push(compileErrorDiagnostic(schema, outcome.error, make, name, site.isSensitive));
  const seen = new Set<string>();
  for (const line of outcome.warnings) {
    const text = line.replace(/^strict mode: /, '');
    if (seen.has(text) || /^unknown keyword/.test(text)) continue;
    seen.add(text);
    out.push(strictDiagnostic(schema, text, make, name));
  }
  return out;
}

/**
 * A strict-mode finding: an error, since the output schema must compile under ajv strict mode. ajv words the
 * strictTypes/strictTuples/strictRequired rules itself; each points at the keyword (or `required` item) concerned.
 */
function strictDiagnostic(
  schema: JsonObject,
  text: string,
  make: Make,
  name: (path: Path) => string,
): Diagnostic {
  const strictRule = /\((strictTypes|strictTuples|strictRequired)\)$/.test(text) || /is \d+-tuple/.test(text);
  const required = /^required property "([^"]*)" is not defined/.exec(text);
  let path = locateMessage(schema, text);
  if (required) {
    const list = valueAt(schema, [...path, 'required']);
    const index = Array.isArray(list) ? list.indexOf(required[1] ?? '') : -1;
    if (index >= 0) path = [...path, 'required', index];
  }
  return make(
    path,
    `${name(path)}: ${cleanMessage(text)}`,
    required ? 'value' : 'key',
    required ? `add "${required[1]}" to properties, or remove it from required` : undefined,
    strictRule ? Code.outputSchemaStrict : Code.outputSchemaInvalid,
  );
}

type Make = (path: Path, message: string, mode?: 'key' | 'value', hint?: string, code?: string) => Diagnostic;

/** Problems ajv would report one at a time (or without a place): every one of them, each at its keyword. */
function walkForProblems(
  schema: JsonObject,
  engine: ManifestSchemas,
  make: Make,
  name: (path: Path) => string,
  isSensitive: (path: Path) => boolean,
): Diagnostic[] {
  const known = engine.keywordsFor(schema);
  const candidates = [...known].filter((k) => !k.startsWith('$') || k === '$ref' || k === '$defs');
  const out: Diagnostic[] = [];
  visitSchemas(schema, (node, path) => {
    for (const [keyword, value] of Object.entries(node)) {
      const at: PathSegment[] = [...path, keyword];
      if (!known.has(keyword) && !ALWAYS_KNOWN.has(keyword)) {
        out.push(
          make(
            at,
            `unknown JSON Schema keyword ${quote(keyword)} in ${name(path)}`,
            'key',
            didYouMean(keyword, candidates) ??
              'ajv strict mode rejects unknown keywords; use a known keyword, or put notes in "description" or "$comment"',
          ),
        );
      } else if (keyword === 'pattern' && typeof value === 'string') {
        const problem = regexProblem(value);
        if (problem) out.push(make(at, `${name(at)} is not a valid regular expression: ${problem}`, 'value'));
      } else if (keyword === 'patternProperties' && isJsonObject(value)) {
        for (const pattern of Object.keys(value)) {
          const problem = regexProblem(pattern);
          if (problem)
            out.push(
              make(
                [...at, pattern],
                `${quote(pattern)} in ${name(at)} is not a valid regular expression: ${problem}`,
                'key',
              ),
            );
        }
      } else if (keyword === 'format' && typeof value === 'string' && !engine.formats.has(value)) {
        const formats = [...engine.formats];
        const secret = isSensitive(at);
        out.push(
          make(
            at,
            `${name(at)}: unknown format ${describeValue(value, secret)}`,
            'value',
            (secret ? undefined : didYouMean(value, formats)) ?? `known formats: ${formats.join(', ')}`,
          ),
        );
      }
    }
  });
  return out;
}

function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

function compileErrorDiagnostic(
  schema: JsonObject,
  error: { message: string; missingRef?: string; overflow?: boolean },
  make: Make,
  name: (path: Path) => string,
  isSensitive: (path: Path) => boolean,
): Diagnostic {
  if (error.missingRef !== undefined) {
    const at = findRef(schema, error.missingRef);
    const remote = /^[a-z][a-z0-9+.-]*:/i.test(error.missingRef);
    const shown = at === undefined ? '' : ` ${describeValue(error.missingRef, isSensitive([...at, '$ref']))}`;
    return make(
      at ? [...at, '$ref'] : [],
      `${at ? name([...at, '$ref']) : name([])}: $ref${shown} cannot be resolved`,
      'value',
      remote
        ? 'titan does not fetch remote schemas: copy it into the workspace and refer to it by relative path'
        : 'point it at an existing subschema, e.g. "#/$defs/name"',
    );
  }
  if (error.overflow) return refLoopDiagnostic(schema, make, name, isSensitive);
  const path = locateMessage(schema, error.message);
  return make(path, `${name(path)} does not compile: ${cleanMessage(error.message)}`);
}

/**
 * ajv recurses without end on a subschema that is only a `$ref` to itself (directly or through other such
 * subschemas): say which one, instead of "Maximum call stack size exceeded".
 */
function refLoopDiagnostic(
  schema: JsonObject,
  make: Make,
  name: (path: Path) => string,
  isSensitive: (path: Path) => boolean,
): Diagnostic {
  const hint =
    'a subschema cannot be just a reference to itself: describe the value (e.g. type: string), or point the $ref at another subschema';
  const loop = findRefLoop(schema);
  if (!loop)
    return make([], `${name([])} does not compile: its $refs refer to each other without end`, 'key', hint);
  const at = [...loop.at, '$ref'];
  const secret = loop.chain.some((path) => isSensitive([...path, '$ref']));
  const through =
    loop.chain.length > 1 && !secret
      ? ` (through ${loop.chain
          .slice(1)
          .map((p) => `#${toPointer(p)}`)
          .join(', ')})`
      : '';
  return make(at, `${name(at)} refers to itself${through}`, 'value', hint);
}

/** The first `$ref`-only loop: a subschema whose local `$ref`s lead back to one already passed. */
function findRefLoop(schema: JsonObject): { at: PathSegment[]; chain: PathSegment[][] } | undefined {
  let found: { at: PathSegment[]; chain: PathSegment[][] } | undefined;
  visitSchemas(schema, (node, path) => {
    if (found !== undefined) return;
    const chain: PathSegment[][] = [path];
    const seen = new Set([toPointer(path)]);
    let current: JsonObject = node;
    while (typeof current.$ref === 'string' && current.$ref.startsWith('#') && chain.length <= 100) {
      const target = localTarget(schema, current.$ref);
      if (target === undefined) return;
      const pointer = toPointer(target.path);
      if (seen.has(pointer)) {
        found = { at: path, chain };
        return;
      }
      seen.add(pointer);
      chain.push(target.path);
      current = target.node;
    }
  });
  return found;
}

function localTarget(schema: JsonObject, ref: string): { path: PathSegment[]; node: JsonObject } | undefined {
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  const path = pathFromPointer(schema, pointer);
  const node = valueAt(schema, path);
  return isJsonObject(node) ? { path, node } : undefined;
}

/** The subschema whose `$ref` is `ref` (ajv reports the resolved form, so compare both). */
function findRef(schema: JsonObject, ref: string): PathSegment[] | undefined {
  let found: PathSegment[] | undefined;
  visitSchemas(schema, (node, path) => {
    if (
      found === undefined &&
      typeof node.$ref === 'string' &&
      (node.$ref === ref || ref.endsWith(node.$ref))
    )
      found = path;
  });
  return found;
}

/**
 * Where an ajv message is about: its `at "#/…"` / `at path "#/…"` pointer, else the first subschema holding
 * the keyword it quotes, else the schema root.
 */
function locateMessage(schema: JsonObject, message: string): PathSegment[] {
  const pointer = /at (?:path )?"#([^"]*)"/.exec(message);
  if (pointer) {
    const path = pathFromPointer(schema, pointer[1] ?? '');
    const keyword = (/keyword "([^"]+)"/.exec(message) ?? /^"([^"]+)" is/.exec(message))?.[1];
    const node = valueAt(schema, path);
    return keyword !== undefined && isJsonObject(node) && keyword in node ? [...path, keyword] : path;
  }
  const keyword = /"([^"]+)"/.exec(message)?.[1];
  if (keyword !== undefined) {
    let found: PathSegment[] | undefined;
    visitSchemas(schema, (node, path) => {
      if (found === undefined && keyword in node) found = [...path, keyword];
    });
    if (found) return found;
  }
  return [];
}

/** ajv's message without the schema path (the diagnostic already points there). */
const cleanMessage = (message: string): string =>
  message.replace(/ at (?:path )?"#[^"]*"/, '').replace(/ in schema$/, '');
