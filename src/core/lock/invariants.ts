/**
 * What the schema cannot say about a lockfile (pure): every task id is recorded under one key only, every
 * `updated_at` is a timestamp, every key is a manifest key. A lockfile that breaks them (a bad merge, a hand edit)
 * would make titan act on one task for two manifests, flipping it between their specs on every apply.
 */
import { compareStrings } from '../json.js';
import type { Lockfile } from './model.js';

/** `metadata.name`: the shape every lock key has. */
export const KEY_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** ISO-8601 date and time, as the Task Service writes `updated_at` (fractional seconds and an offset optional). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export const isTimestamp = (value: string): boolean =>
  TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));

/** Longest key or value a problem quotes (a hand-edited file may hold anything). */
const QUOTE_MAX = 80;

const quote = (text: string): string =>
  JSON.stringify(text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text);

/** One line per broken invariant, naming the entries; empty when the lockfile is sound. */
export function lockfileProblems(lock: Lockfile): string[] {
  const problems: string[] = [];
  const keysById = new Map<string, string[]>();
  for (const key of Object.keys(lock.tasks).sort(compareStrings)) {
    const entry = lock.tasks[key];
    if (entry === undefined) continue;
    if (!KEY_PATTERN.test(key)) problems.push(`${quote(key)} is not a valid key (a metadata.name)`);
    if (!isTimestamp(entry.updated_at)) {
      problems.push(`${key}: updated_at ${quote(entry.updated_at)} is not an ISO-8601 timestamp`);
    }
    const keys = keysById.get(entry.id);
    if (keys) keys.push(key);
    else keysById.set(entry.id, [key]);
  }
  for (const [id, keys] of keysById) {
    if (keys.length > 1)
      problems.push(`task ${id} is recorded under ${keys.length} keys: ${keys.join(', ')}`);
  }
  return problems;
}
