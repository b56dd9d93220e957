/**
 * YAML → JSON with source positions, refusing hostile input fast: duplicate keys, alias bombs and cycles,
 * deep nesting, huge values and files. Pure: text in, documents + diagnostics out.
 */
import {
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Scalar,
  visit,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import type { JsonObject, JsonValue } from '../json.js';
import { Code } from './codes.js';
import { displayPath, toPointer, type Path, type PathSegment } from './paths.js';

export interface ParseLimits {
  /** Larger files are refused before parsing. */
  maxFileBytes: number;
  /** Larger string values are refused. */
  maxValueBytes: number;
  /** Deeper nesting of mappings and lists is refused. */
  maxDepth: number;
  /** The yaml library's guard against alias expansion ("billion laughs"). */
  maxAliasCount: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxValueBytes: 1024 * 1024,
  maxDepth: 64,
  maxAliasCount: 100,
};

export interface Position {
  line: number;
  column: number;
}

/** Finds where a path of a document is written in its file. */
export interface Locator {
  readonly file: string;
  /** Where the document starts (its first key). */
  readonly start: Position;
  /**
   * The position of the node at `path`: its key (`mode: 'key'`) or its value. When the path does not exist
   * (a missing field, or content inlined from elsewhere), the deepest existing ancestor.
   */
  at(path: Path, mode?: 'key' | 'value'): Position;
  /** The position of character `offset` of the string at `path`, when the source maps 1:1 to the value. */
  inValue(path: Path, offset: number): Position;
  /** The position of `needle` inside the source of the value at `path`, else the value. */
  find(path: Path, needle: string): Position;
}

export interface ParsedDocument {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  /** The JSON value; undefined when the document could not be read (its diagnostics say why). */
  value: JsonValue | undefined;
  /** A document holding nothing (only comments, or a bare `---`). */
  empty: boolean;
  locator: Locator;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

export function parseYamlDocuments(
  text: string,
  file: string,
  limits: ParseLimits = DEFAULT_LIMITS,
): ParsedFile {
  if (text.length > limits.maxFileBytes) {
    return {
      documents: [],
      diagnostics: [tooLargeFile(file, text.length, limits.maxFileBytes)],
    };
  }
  const tooDeep = flowNestingBeyond(text, limits.maxDepth);
  if (tooDeep !== undefined) {
    const before = text.slice(0, tooDeep);
    const line = before.split('\n').length;
    return {
      documents: [],
      diagnostics: [
        {
          code: Code.yamlTooDeep,
          severity: 'error',
          message: `brackets nest more than ${limits.maxDepth} levels deep; titan refuses to read the file`,
          file,
          line,
          column: tooDeep - before.lastIndexOf('\n'),
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
    resolveKnownTags: false,
    // Problems become diagnostics; nothing may reach the process's own warning channel.
    logLevel: 'error',
  });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  docs.forEach((doc, index) => {
    const locator = createLocator(doc, text, lineCounter, file);
    const read = readDocument(doc, locator, limits, lineCounter);
    diagnostics.push(...read.diagnostics);
    documents.push({ file, index, value: read.value, empty: read.empty, locator });
  });
  return { documents, diagnostics };
}

/**
 * The offset where `[`/`{` nesting first exceeds `max`: a cheap scan that refuses bracket bombs before the parser
 * spends seconds on them. It counts flow collections only (a bracket opening a value, or inside one), and skips
 * quoted strings and comments, so brackets in plain text never add up.
 */
function flowNestingBeyond(text: string, max: number): number | undefined {
  let depth = 0;
  let previous = '\n'; // the last character that is not a space or a tab
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const opensValue = depth > 0 || ':-?,\n'.includes(previous);
    if (previous === '\n' && text.startsWith('---', i)) depth = 0;
    if ((c === '[' || c === '{') && opensValue) {
      if (++depth > max) return i;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    } else if ((c === '"' || c === "'") && opensValue) {
      i = endOfQuoted(text, i);
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
      continue;
    }
    if (c !== ' ' && c !== '\t' && c !== '\r') previous = c;
  }
  return undefined;
}

/** Offset of the closing quote of the string opening at `start` (or of the line end when it is not a string). */
function endOfQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') i++;
    else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

export const tooLargeFile = (file: string, size: number, max: number): Diagnostic => ({
  code: Code.fileTooLarge,
  severity: 'error',
  message: `the file is ${formatBytes(size)}, more than titan reads (${formatBytes(max)}); split it into several files`,
  file,
  line: 1,
  column: 1,
});

const formatBytes = (n: number): string =>
  n >= 1024 * 1024
    ? `${(n / (1024 * 1024)).toFixed(1)} MiB`
    : n >= 1024
      ? `${Math.round(n / 1024)} KiB`
      : `${n} bytes`;

function readDocument(
  doc: Document.Parsed,
  locator: Locator,
  limits: ParseLimits,
  lineCounter: LineCounter,
): { value: JsonValue | undefined; empty: boolean; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // The parser often explains one mistake twice at the same place; one message per place is enough.
  const places = new Set<number>();
  for (const error of doc.errors) {
    if (places.has(error.pos[0])) continue;
    places.add(error.pos[0]);
    diagnostics.push(yamlErrorDiagnostic(error, doc, locator.file, at));
  }
  let unsupportedTag = false;
  for (const warning of doc.warnings) {
    if (warning.code === 'TAG_RESOLVE_FAILED') {
      unsupportedTag = true;
      const tag = warning.message.replace(/^Unresolved tag: /, '').replace(/^tag:yaml\.org,2002:/, '!!');
      diagnostics.push({
        code: Code.yamlTag,
        severity: 'error',
        message: `unsupported YAML tag ${tag}: manifests hold plain values (strings, numbers, booleans, lists, mappings)`,
        hint: 'remove the tag',
        file: locator.file,
        ...at(warning.pos[0]),
      });
    } else {
      diagnostics.push({
        code: Code.yamlWarning,
        severity: 'warning',
        message: lowerFirst(warning.message),
        file: locator.file,
        ...at(warning.pos[0]),
      });
    }
  }
  if (doc.errors.length > 0 || unsupportedTag) return { value: undefined, empty: false, diagnostics };
  if (
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.value === null && !hasSource(doc.contents))
  )
    return { value: undefined, empty: true, diagnostics };

  const complexKey = firstCollectionKey(doc);
  if (complexKey !== undefined) {
    diagnostics.push({
      code: Code.yamlValue,
      severity: 'error',
      message: 'a mapping key must be a plain value, not a list or a mapping',
      file: locator.file,
      ...positionOfOffset(locator, complexKey),
    });
    return { value: undefined, empty: false, diagnostics };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    diagnostics.push(aliasDiagnostic(error, doc, locator, limits));
    return { value: undefined, empty: false, diagnostics };
  }
  const problems: Diagnostic[] = [];
  const value = toJsonValue(raw, [], new Set(), limits, locator, problems);
  diagnostics.push(...problems);
  return { value: problems.length > 0 ? undefined : value, empty: false, diagnostics };
}

const hasSource = (node: Scalar): boolean => node.source !== undefined && node.source !== '';

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

function yamlErrorDiagnostic(
  error: YAMLError,
  doc: Document.Parsed,
  file: string,
  at: (offset: number) => Position,
): Diagnostic {
  const position = at(error.pos[0]);
  if (error.code === 'DUPLICATE_KEY') {
    const duplicate = duplicateKeyAt(doc, error.pos[0]);
    const name = duplicate ? ` ${JSON.stringify(duplicate.name)}` : '';
    return {
      code: Code.duplicateKey,
      severity: 'error',
      message: `duplicate key${name}${duplicate?.first === undefined ? '' : ` (first written at line ${at(duplicate.first).line})`}`,
      hint: 'YAML mappings cannot repeat a key; keep one of them',
      file,
      ...position,
    };
  }
  if (error.code === 'RESOURCE_EXHAUSTION') {
    return {
      code: Code.yamlTooDeep,
      severity: 'error',
      message: 'the YAML nests too deeply to be read safely',
      file,
      ...position,
    };
  }
  return {
    code: Code.yamlSyntax,
    severity: 'error',
    message: `YAML syntax error: ${lowerFirst(error.message.split('\n')[0] ?? error.message)}`,
    file,
    ...position,
  };
}

/** The duplicate key starting at `offset`: its name and the start offset of its first occurrence. */
function duplicateKeyAt(
  doc: Document.Parsed,
  offset: number,
): { name: string; first: number | undefined } | undefined {
  let found: { name: string; first: number | undefined } | undefined;
  visit(doc, {
    Map(_, map) {
      const pairs = map.items;
      const duplicate = pairs.find((pair) => isScalar(pair.key) && pair.key.range?.[0] === offset);
      if (!duplicate || !isScalar(duplicate.key)) return undefined;
      const name = String(duplicate.key.value);
      const first = pairs.find((pair) => isScalar(pair.key) && String(pair.key.value) === name);
      found = { name, first: first && isScalar(first.key) ? first.key.range?.[0] : undefined };
      return visit.BREAK;
    },
  });
  return found;
}

function aliasDiagnostic(
  error: unknown,
  doc: Document.Parsed,
  locator: Locator,
  limits: ParseLimits,
): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  let aliasOffset: number | undefined;
  visit(doc, {
    Alias(_, alias) {
      aliasOffset = alias.range?.[0];
      return visit.BREAK;
    },
  });
  const position = aliasOffset === undefined ? locator.start : positionOfOffset(locator, aliasOffset);
  if (/excessive alias count/i.test(message)) {
    return {
      code: Code.yamlAliasLimit,
      severity: 'error',
      message: `the document expands YAML aliases more than ${limits.maxAliasCount} times (an "alias bomb"); titan refuses to read it`,
      hint: 'write the repeated content out, or share output schemas with $ref instead of aliases',
      file: locator.file,
      ...position,
    };
  }
  return {
    code: Code.yamlAlias,
    severity: 'error',
    message: `YAML alias error: ${lowerFirst(message)}`,
    file: locator.file,
    ...position,
  };
}

/** Start offset of the first mapping key that is itself a list or a mapping (`? [a, b]: c`). */
function firstCollectionKey(doc: Document.Parsed): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        found = pair.key.range?.[0] ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function positionOfOffset(locator: Locator, offset: number): Position {
  return (locator as LocatorImpl).positionOf(offset);
}

/** Converts the yaml library's JS output to JSON, enforcing limits; records problems with their paths. */
function toJsonValue(
  value: unknown,
  path: PathSegment[],
  ancestors: Set<object>,
  limits: ParseLimits,
  locator: Locator,
  problems: Diagnostic[],
): JsonValue | undefined {
  const problem = (code: string, message: string, hint?: string): undefined => {
    if (problems.length < 20) {
      problems.push({
        code,
        severity: 'error',
        message,
        file: locator.file,
        path: toPointer(path),
        ...locator.at(path, 'value'),
        ...(hint ? { hint } : {}),
      });
    }
    return undefined;
  };
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value.length > limits.maxValueBytes
        ? problem(
            Code.yamlValueTooLarge,
            `${displayPath(path)} is a ${formatBytes(value.length)} string, more than titan accepts (${formatBytes(limits.maxValueBytes)})`,
          )
        : value;
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value)
        ? value
        : problem(Code.yamlValue, `${displayPath(path)} is ${String(value)}, which JSON cannot represent`);
    case 'object':
      break;
    default:
      return problem(Code.yamlValue, `${displayPath(path)} holds a value JSON cannot represent`);
  }
  if (path.length >= limits.maxDepth) {
    return problem(
      Code.yamlTooDeep,
      `${displayPath(path.slice(0, 3))} nests more than ${limits.maxDepth} levels deep; titan refuses to read it`,
    );
  }
  if (ancestors.has(value)) {
    return problem(Code.yamlAlias, `${displayPath(path)} is a YAML alias that contains itself`);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const out: JsonValue[] = [];
      for (let i = 0; i < value.length; i++) {
        const item = toJsonValue(value[i], [...path, i], ancestors, limits, locator, problems);
        out.push(item ?? null);
      }
      return out;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return problem(
        Code.yamlValue,
        `${displayPath(path)} is a tagged YAML value (such as !!binary or !!set) that JSON cannot represent`,
        'write it as a plain string, list or mapping',
      );
    }
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = toJsonValue(item, [...path, key], ancestors, limits, locator, problems);
      Object.defineProperty(out, key, {
        value: converted ?? null,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

interface NodeLookup {
  key: Node | undefined;
  value: Node | null | undefined;
  complete: boolean;
}

class LocatorImpl implements Locator {
  readonly start: Position;

  constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly lineCounter: LineCounter,
  ) {
    const contents = doc.contents;
    this.start = this.positionOf(contents?.range?.[0] ?? doc.range[0]);
  }

  positionOf(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line, column: col };
  }

  at(path: Path, mode: 'key' | 'value' = 'value'): Position {
    const found = this.lookup(path);
    if (path.length === 0) return this.start;
    const keyRange = found.key?.range;
    const value = found.value;
    if (found.complete && mode === 'value' && value && value.range && !isEmptyScalar(value))
      return this.positionOf(value.range[0]);
    if (keyRange) return this.positionOf(keyRange[0]);
    if (value?.range) return this.positionOf(value.range[0]);
    return this.start;
  }

  inValue(path: Path, offset: number): Position {
    const found = this.lookup(path);
    const node = found.value;
    if (!found.complete || !node || !isScalar(node) || typeof node.value !== 'string' || !node.range)
      return this.at(path);
    const quote = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
    if (node.type !== Scalar.PLAIN && quote === 0) return this.at(path);
    const source = this.text.slice(node.range[0] + quote, node.range[0] + quote + node.value.length);
    if (source !== node.value) return this.at(path);
    return this.positionOf(node.range[0] + quote + Math.max(0, Math.min(offset, node.value.length)));
  }

  find(path: Path, needle: string): Position {
    const found = this.lookup(path);
    const node = found.value;
    if (!found.complete || !node?.range) return this.at(path);
    const index = this.text.slice(node.range[0], node.range[1]).indexOf(needle);
    return index < 0 ? this.at(path) : this.positionOf(node.range[0] + index);
  }

  private lookup(path: Path): NodeLookup {
    let key: Node | undefined;
    let value: Node | null | undefined = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as PathSegment;
      const container = this.resolve(value);
      if (isMap(container)) {
        const pair = container.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return { key, value, complete: false };
        key = pair.key as Node;
        value = pair.value as Node | null;
      } else if (isSeq(container)) {
        const item = container.items[Number(segment)];
        if (item === undefined) return { key, value, complete: false };
        key = undefined;
        value = item as Node | null;
      } else {
        return { key, value, complete: false };
      }
    }
    return { key, value, complete: true };
  }

  private resolve(node: Node | null | undefined): Node | null | undefined {
    if (node && isAlias(node)) {
      const target = node.resolve(this.doc);
      return target ?? null;
    }
    return node;
  }
}

const isEmptyScalar = (node: Node): boolean => isScalar(node) && node.value === null && !hasSource(node);

function createLocator(doc: Document.Parsed, text: string, lineCounter: LineCounter, file: string): Locator {
  return new LocatorImpl(file, doc, text, lineCounter);
}
