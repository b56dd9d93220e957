/**
 * Mapping keys as JSON sees them. The yaml library's own duplicate check compares every pair with every other
 * (seconds on a 20,000-key mapping) and compares YAML values, so `1:` and `"1":` — one JSON property — pass. Here:
 * one pass with a set per mapping, on the property name JSON gets; merge keys (`<<`) and collection keys are
 * refused. Pure.
 */
import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import type { Position } from './yaml.js';

/**
 * The property name a mapping key becomes in JSON, exactly as the yaml library's `toJS` names it (`~` → "",
 * `true` → "true", `1.0` → "1"), or undefined for a list or mapping used as a key.
 */
export function jsonKeyOf(key: unknown, doc: Document.Parsed): string | undefined {
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (node === null || node === undefined) return '';
  if (!isScalar(node)) return undefined;
  const value: unknown = node.value;
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? undefined : String(value);
}

const isMergeKey = (key: unknown): boolean =>
  isScalar(key) && key.type === 'PLAIN' && key.value === '<<' && key.source === '<<';

/** Duplicate keys (on their JSON names), merge keys and collection keys of every mapping of a document. */
export function keyProblems(
  doc: Document.Parsed,
  file: string,
  position: (offset: number) => Position,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (node: unknown): Position => position((node as Node | null)?.range?.[0] ?? 0);
  const report = (node: unknown, code: string, message: string, hint: string): void => {
    out.push({ code, severity: 'error', message, hint, file, ...at(node) });
  };
  forEachMap(doc.contents, (map) => {
    const firsts = new Map<string, unknown>();
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        report(
          pair.key,
          Code.yamlMergeKey,
          'merge keys (<<) are not supported; write the fields out',
          'titan reads manifests as JSON, which has no merge; share output schemas with $ref instead',
        );
        continue;
      }
      const name = jsonKeyOf(pair.key, doc);
      if (name === undefined || isCollection(pair.key)) {
        report(
          pair.key,
          Code.yamlValue,
          'a mapping key must be a plain value, not a list or a mapping',
          'write the key as a string',
        );
        continue;
      }
      const first = firsts.get(name);
      if (first === undefined) firsts.set(name, pair.key);
      else report(pair.key, Code.duplicateKey, duplicateMessage(name, pair.key, first, at), KEY_HINT);
    }
  });
  return out;
}

/** Every mapping below `node`, keys included (a direct walk: the library's `visit` costs several times more). */
function forEachMap(node: unknown, onMap: (map: YAMLMap) => void): void {
  if (isMap(node)) {
    onMap(node);
    for (const pair of node.items) {
      forEachMap(pair.key, onMap);
      forEachMap(pair.value, onMap);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) forEachMap(item, onMap);
  } else if (isPair(node)) {
    forEachMap(node.key, onMap);
    forEachMap(node.value, onMap);
  }
}

const KEY_HINT = 'YAML mappings cannot repeat a key; keep one of them';

function duplicateMessage(
  name: string,
  key: unknown,
  first: unknown,
  at: (node: unknown) => Position,
): string {
  const line = at(first).line;
  const written = (node: unknown): string | undefined =>
    isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  const here = written(key);
  const there = written(first);
  if (here !== undefined && there !== undefined && (here !== there || isQuoted(key) !== isQuoted(first))) {
    return `key ${show(key, here)} repeats key ${show(first, there)} of line ${line}: both are the property ${quote(name)} in JSON`;
  }
  return `duplicate key ${quote(name)} (first written at line ${line})`;
}

const isQuoted = (node: unknown): boolean =>
  isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');

const show = (node: unknown, source: string): string => (isQuoted(node) ? quote(source) : source || '~');
