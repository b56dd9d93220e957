/**
 * Record values fit to show (pure): sensitive values replaced, long text cut, deep or wide values trimmed. Records
 * come from the service and may echo anything a task was given — a secret included — so nothing is shown raw.
 */
import { SENSITIVE } from '../sensitive.js';
import { isJsonObject, parsePointer, valueAt, type JsonObject, type JsonValue } from '../json.js';

/** Text longer than this is cut (with `…`). */
export const MAX_TEXT = 80;
const MAX_ITEMS = 5;
const MAX_KEYS = 20;
const MAX_DEPTH = 3;

/** Property names whose values are never shown, whatever they hold. */
const SECRET_NAME = /pass(word|wd)?|secret|token|api[-_]?key|auth|cookie|session|credential|private[-_]?key/i;

/** A copy of `value` fit to show: see the module comment. `sensitive` are the values that came from `${env:…}`. */
export function sampleValue(value: JsonValue, sensitive: readonly string[], depth = 0): JsonValue {
  if (typeof value === 'string') return cutText(maskText(value, sensitive));
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return `[${value.length} item${value.length === 1 ? '' : 's'}]`;
    const items = value.slice(0, MAX_ITEMS).map((item) => sampleValue(item, sensitive, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`… ${value.length - MAX_ITEMS} more`);
    return items;
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    if (depth >= MAX_DEPTH) return `{${keys.length} propert${keys.length === 1 ? 'y' : 'ies'}}`;
    const out: JsonObject = {};
    for (const key of keys.slice(0, MAX_KEYS)) {
      const shownKey = cutText(maskText(key, sensitive));
      out[shownKey] = SECRET_NAME.test(key)
        ? SENSITIVE
        : sampleValue(value[key] as JsonValue, sensitive, depth + 1);
    }
    if (keys.length > MAX_KEYS) out['…'] = `${keys.length - MAX_KEYS} more properties`;
    return out;
  }
  return value;
}

/** Every occurrence of a sensitive value replaced (longest first, so one that contains another goes whole). */
function maskText(text: string, sensitive: readonly string[]): string {
  let out = text;
  for (const secret of [...sensitive].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(SENSITIVE);
  }
  return out;
}

export function cutText(text: string, max = MAX_TEXT): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The text of every value at or below `paths` (JSON pointers into `spec`): what shown records must not echo. */
export function sensitiveValuesOf(spec: unknown, paths: readonly string[]): string[] {
  const out = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') out.add(String(value));
    else if (Array.isArray(value)) value.forEach(collect);
    else if (isJsonObject(value)) Object.values(value).forEach(collect);
  };
  for (const pointer of paths) collect(valueAt(spec, parsePointer(pointer)));
  return [...out].filter((text) => text.length >= 3);
}
