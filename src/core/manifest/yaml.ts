/**
 * YAML → JSON with source positions, refusing hostile input fast: duplicate keys, alias bombs and cycles,
 * deep nesting, too many values, huge values and files — each in time linear in the file. Pure: text in,
 * documents + diagnostics out.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Scalar,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { setOwn, type JsonObject, type JsonValue } from '../json.js';
import { Code } from './codes.js';
import { displayPath, toPointer, type Path, type PathSegment } from './paths.js';
import { diagnosticsFromYamlErrors, lowerFirst } from './yaml-errors.js';
import { jsonKeyOf, keyProblems } from './yaml-keys.js';
import { scanYamlText, type ScanProblem } from './yaml-scan.js';

export interface ParseLimits {
  /** Larger files are refused before parsing. */
  maxFileBytes: number;
  /** Larger string values are refused. */
  maxValueBytes: number;
  /** Deeper nesting of mappings and lists is refused. */
  maxDepth: number;
  /** The yaml library's guard against alias expansion ("billion laughs"). */
  maxAliasCount: number;
  /** Files holding more values (mappings, lists, scalars; an upper estimate) are refused before parsing. */
  maxValues: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxValueBytes: 1024 * 1024,
  maxDepth: 64,
  maxAliasCount: 100,
  maxValues: 200_000,
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
  /** The JSON value; undefined when the document could not be read (its diagnostics say why). */
  value: JsonValue | undefined;
  /** A document holding nothing (only comments, or a bare `---`). */
  empty: boolean;
  /**
   * The document is a mapping with `apiVersion`, `kind`, `metadata` or `spec` at its top (known even when the
   * document has errors): a titan manifest, as opposed to a schema or some other YAML.
   */
  manifestShaped: boolean;
  locator: Locator;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

const MANIFEST_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec']);

export function parseYamlDocuments(
  text: string,
  file: string,
  limits: ParseLimits = DEFAULT_LIMITS,
): ParsedFile {
  if (text.length > limits.maxFileBytes) {
    return { documents: [], diagnostics: [tooLargeFile(file, text.length, limits.maxFileBytes)] };
  }
  const refused = scanYamlText(text, limits);
  if (refused) return { documents: [], diagnostics: [scanDiagnostic(refused, text, file, limits)] };
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    // The library's check is quadratic and compares YAML values; keys are checked on their JSON names instead.
    uniqueKeys: false,
    merge: false,
    resolveKnownTags: false,
    // Problems become diagnostics; nothing may reach the process's own warning channel.
    logLevel: 'error',
  });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const doc of docs) {
    const locator = new LocatorImpl(file, doc, text, lineCounter);
    const read = readDocument(doc, locator, limits, text);
    for (const d of read.diagnostics) diagnostics.push(d);
    documents.push({
      value: read.value,
      empty: read.empty,
      manifestShaped: isManifestShaped(doc),
      locator,
    });
  }
  return { documents, diagnostics };
}

/** A mapping with a manifest key, or a list starting with one (a manifest written as a list item by mistake). */
function isManifestShaped(doc: Document.Parsed): boolean {
  const contents = doc.contents;
  const top = isSeq(contents) ? contents.items[0] : contents;
  return (
    isMap(top) && top.items.some((pair) => isScalar(pair.key) && MANIFEST_KEYS.has(String(pair.key.value)))
  );
}

function scanDiagnostic(problem: ScanProblem, text: string, file: string, limits: ParseLimits): Diagnostic {
  const before = text.slice(0, problem.offset);
  const line = before.split('\n').length;
  const column = problem.offset - before.lastIndexOf('\n');
  if (problem.kind === 'depth') {
    return {
      code: Code.yamlTooDeep,
      severity: 'error',
      message: `brackets nest more than ${limits.maxDepth} levels deep; titan refuses to read the file`,
      file,
      line,
      column,
    };
  }
  return {
    code: Code.yamlTooManyValues,
    severity: 'error',
    message: `the file holds more than ${limits.maxValues.toLocaleString('en-US')} values; titan refuses to read it`,
    hint: 'split it into several files',
    file,
    line,
    column,
  };
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

interface ReadDocument {
  value: JsonValue | undefined;
  empty: boolean;
  diagnostics: Diagnostic[];
}

function readDocument(
  doc: Document.Parsed,
  locator: LocatorImpl,
  limits: ParseLimits,
  text: string,
): ReadDocument {
  const position = (offset: number): Position => locator.positionOf(offset);
  const problems = parseProblems(doc, locator.file, text, position);
  if (problems.fatal) return { value: undefined, empty: false, diagnostics: problems.diagnostics };
  const diagnostics = problems.diagnostics;
  if (
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.value === null && !hasSource(doc.contents))
  )
    return { value: undefined, empty: true, diagnostics };
  const keys = keyProblems(doc, locator.file, position);
  if (keys.length > 0) return { value: undefined, empty: false, diagnostics: diagnostics.concat(keys) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    diagnostics.push(aliasDiagnostic(error, doc, locator, limits));
    return { value: undefined, empty: false, diagnostics };
  }
  const converted: Diagnostic[] = [];
  const value = toJsonValue(raw, [], { limits, locator, problems: converted, ancestors: new Set() });
  return {
    value: converted.length > 0 ? undefined : value,
    empty: false,
    diagnostics: diagnostics.concat(converted),
  };
}

/** The parser's errors and warnings; `fatal` when the document cannot be read. */
function parseProblems(
  doc: Document.Parsed,
  file: string,
  text: string,
  position: (offset: number) => Position,
): { diagnostics: Diagnostic[]; fatal: boolean } {
  const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION');
  const diagnostics = exhausted
    ? [
        {
          code: Code.yamlTooDeep,
          severity: 'error' as const,
          message: 'the YAML nests too deeply to be read safely',
          file,
          ...position(exhausted.pos[0]),
        },
      ]
    : diagnosticsFromYamlErrors(doc.errors, { file, text, documentStart: doc.range[0], position });
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
        file,
        ...position(warning.pos[0]),
      });
    } else {
      diagnostics.push({
        code: Code.yamlWarning,
        severity: 'warning',
        message: lowerFirst(warning.message),
        file,
        ...position(warning.pos[0]),
      });
    }
  }
  return { diagnostics, fatal: doc.errors.length > 0 || unsupportedTag };
}

const hasSource = (node: Scalar): boolean => node.source !== undefined && node.source !== '';

function aliasDiagnostic(
  error: unknown,
  doc: Document.Parsed,
  locator: LocatorImpl,
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
  const position = aliasOffset === undefined ? locator.start : locator.positionOf(aliasOffset);
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

/** Where a conversion is, and where its problems go (at most 20: one bad value repeated is one story). */
interface Conversion {
  limits: ParseLimits;
  locator: Locator;
  problems: Diagnostic[];
  /** Objects being converted, for alias cycles. */
  ancestors: Set<object>;
}

function conversionProblem(
  conversion: Conversion,
  path: Path,
  code: string,
  message: string,
  hint?: string,
): undefined {
  if (conversion.problems.length < 20) {
    conversion.problems.push({
      code,
      severity: 'error',
      message,
      file: conversion.locator.file,
      path: toPointer(path),
      ...conversion.locator.at(path, 'value'),
      ...(hint ? { hint } : {}),
    });
  }
  return undefined;
}

/** Converts the yaml library's JS output to JSON, enforcing limits; records problems with their paths. */
function toJsonValue(value: unknown, path: PathSegment[], conversion: Conversion): JsonValue | undefined {
  const { limits } = conversion;
  const problem = (code: string, message: string): undefined =>
    conversionProblem(conversion, path, code, message);
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
      return collectionToJson(value, path, conversion);
    default:
      return problem(Code.yamlValue, `${displayPath(path)} holds a value JSON cannot represent`);
  }
}

function collectionToJson(value: object, path: PathSegment[], conversion: Conversion): JsonValue | undefined {
  const { limits, ancestors } = conversion;
  if (path.length >= limits.maxDepth) {
    return conversionProblem(
      conversion,
      path,
      Code.yamlTooDeep,
      `${displayPath(path.slice(0, 3))} nests more than ${limits.maxDepth} levels deep; titan refuses to read it`,
    );
  }
  if (ancestors.has(value))
    return conversionProblem(
      conversion,
      path,
      Code.yamlAlias,
      `${displayPath(path)} is a YAML alias that contains itself`,
    );
  ancestors.add(value);
  try {
    if (Array.isArray(value))
      return value.map((item: unknown, i) => toJsonValue(item, [...path, i], conversion) ?? null);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return conversionProblem(
        conversion,
        path,
        Code.yamlValue,
        `${displayPath(path)} is a tagged YAML value (such as !!binary or !!set) that JSON cannot represent`,
        'write it as a plain string, list or mapping',
      );
    }
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      setOwn(out, key, toJsonValue(item, [...path, key], conversion) ?? null);
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
  /** Each mapping's pairs by JSON key, built on first lookup: diagnostics look up many paths. */
  private readonly pairsByKey = new Map<YAMLMap, Map<string, Pair>>();

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
        const pair = this.pairsOf(container).get(String(segment));
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

  private pairsOf(map: YAMLMap): Map<string, Pair> {
    let index = this.pairsByKey.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        const name = jsonKeyOf(pair.key, this.doc);
        if (name !== undefined && !index.has(name)) index.set(name, pair);
      }
      this.pairsByKey.set(map, index);
    }
    return index;
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
