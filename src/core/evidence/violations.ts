/**
 * Grouping schema violations across records (pure): one group per location and kind of problem, with a count and
 * one example, so a reviewer reads "`$.price` must be number (got string) ×37" instead of 37 error lists.
 */
import { compareStrings, type JsonValue } from '../json.js';
import { sampleValue } from './redact.js';
import type { RecordCheck, ViolationGroup } from './model.js';

/** One validation error as the engine reports it (ajv's `ErrorObject` with `verbose: true`). */
export interface RecordError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** The value that failed (ajv's `data`). */
  data?: unknown;
}

/** Groups shown at most; the rest are counted. */
export const MAX_GROUPS = 20;

export interface GroupOptions {
  /** Values that came from `${env:…}`: replaced by `(sensitive)` in examples. */
  sensitiveValues?: readonly string[];
  maxGroups?: number;
}

/** Checks already made, one error list per record (empty: the record passed), grouped. */
export function groupViolations(
  perRecord: readonly (readonly RecordError[])[],
  options: GroupOptions = {},
): RecordCheck {
  const groups = new Map<string, ViolationGroup>();
  let failing = 0;
  for (const errors of perRecord) {
    if (errors.length === 0) continue;
    failing++;
    const seen = new Set<string>();
    for (const error of meaningful(errors)) {
      const { path, message, example } = describeError(error);
      const id = `${path}\u0000${message}`;
      if (seen.has(id)) continue; // a record counts once per group, however many items it breaks
      seen.add(id);
      const group = groups.get(id);
      if (group) group.count++;
      else {
        groups.set(id, {
          path,
          message,
          count: 1,
          ...(example === undefined ? {} : { example: sampleValue(example, options.sensitiveValues ?? []) }),
        });
      }
    }
  }
  const sorted = [...groups.values()].sort(
    (a, b) => b.count - a.count || compareStrings(a.path, b.path) || compareStrings(a.message, b.message),
  );
  const max = options.maxGroups ?? MAX_GROUPS;
  return {
    records: perRecord.length,
    failing,
    violations: sorted.slice(0, max),
    more_groups: Math.max(0, sorted.length - max),
  };
}

/**
 * ajv reports an `anyOf`/`oneOf` failure both as the combinator and as each branch's error; the branches say
 * what is wrong only together, so they are left out when the combinator is there.
 */
function meaningful(errors: readonly RecordError[]): RecordError[] {
  const isCombinator = (e: RecordError): boolean => e.keyword === 'anyOf' || e.keyword === 'oneOf';
  const combinators = errors.filter(isCombinator);
  const within = (e: RecordError, c: RecordError): boolean =>
    e.instancePath === c.instancePath || e.instancePath.startsWith(`${c.instancePath}/`);
  return errors.filter((e) => isCombinator(e) || !combinators.some((c) => within(e, c)));
}

/** `/offers/3/price` → `$.offers[*].price`; keys that are not identifiers are quoted: `$["a b"]`. */
export function jsonPathOf(pointer: string, child?: string): string {
  const tokens =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) tokens.push(child);
  let out = '$';
  for (const token of tokens) {
    if (/^\d+$/.test(token)) out += '[*]';
    else if (/^[A-Za-z_$][\w$]*$/.test(token)) out += `.${token}`;
    else out += `[${JSON.stringify(token)}]`;
  }
  return out;
}

/** The JSON type of a value as a schema names it. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describeError(error: RecordError): { path: string; message: string; example?: JsonValue } {
  const data = error.data as JsonValue | undefined;
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty ?? '?');
      return { path: jsonPathOf(error.instancePath, missing), message: 'is required but missing' };
    }
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty ?? '?');
      const value = isObject(data) ? (data[extra] as JsonValue | undefined) : undefined;
      return {
        path: jsonPathOf(error.instancePath, extra),
        message: 'is not allowed (additionalProperties: false)',
        ...(value === undefined ? {} : { example: value }),
      };
    }
    case 'unevaluatedProperties': {
      const extra = String(error.params.unevaluatedProperty ?? '?');
      return {
        path: jsonPathOf(error.instancePath, extra),
        message: 'is not allowed (unevaluatedProperties: false)',
      };
    }
    case 'type': {
      const expected = Array.isArray(error.params.type)
        ? error.params.type.join(' or ')
        : String(error.params.type);
      return {
        path: jsonPathOf(error.instancePath),
        message: `must be ${expected} (got ${jsonTypeOf(data)})`,
        ...(data === undefined ? {} : { example: data }),
      };
    }
    case 'enum': {
      const allowed = Array.isArray(error.params.allowedValues) ? error.params.allowedValues : [];
      const shown = allowed
        .slice(0, 5)
        .map((v) => JSON.stringify(v))
        .join(', ');
      return {
        path: jsonPathOf(error.instancePath),
        message: `must be one of ${shown}${allowed.length > 5 ? ', …' : ''}`,
        ...(data === undefined ? {} : { example: data }),
      };
    }
    default:
      return {
        path: jsonPathOf(error.instancePath),
        message: error.message ?? `fails ${error.keyword}`,
        ...(data === undefined ? {} : { example: data }),
      };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `37 of 100 records` phrasing shared by the renderers. */
export const failingText = (check: RecordCheck): string =>
  `${check.failing} of ${check.records} record${check.records === 1 ? '' : 's'}`;
