/**
 * Checking journal records before they are used (pure). A journal is titan's own file, but a disk, a hand edit
 * or another program can damage it; a record that is not exactly what titan writes must never reach the lockfile
 * (titan would then refuse its own lockfile) nor the code that settles writes (`"origin": 12` crashed it). One
 * check per record kind: a new kind of record adds its check to `CHECKS`.
 */
import { isTimestamp, KEY_PATTERN } from './invariants.js';
import type { JournalRecord } from './journal.js';

type Fields = Record<string, unknown>;
/** A check returns the first problem found, or undefined. */
type Check = (record: Fields) => string | undefined;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const OPS = new Set(['create', 'update', 'delete']);

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isKey = (value: unknown): boolean => typeof value === 'string' && KEY_PATTERN.test(value);
const isStrings = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** The first of `checks` that fails, as "FIELD problem". */
function first(checks: [string, boolean][]): string | undefined {
  const failed = checks.find(([, ok]) => !ok);
  return failed === undefined ? undefined : failed[0];
}

const optional = (record: Fields, field: string, ok: (value: unknown) => boolean): boolean =>
  record[field] === undefined || ok(record[field]);

/** A planned lock entry (`entry` of an intent): what an entry holds before the write gives it an id. */
function plannedEntryProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'is not an object';
  return first([
    ['digest is not a sha256 digest', typeof value.digest === 'string' && DIGEST.test(value.digest)],
    ['file is not a string', typeof value.file === 'string'],
    ['protect is not true or false', typeof value.protect === 'boolean'],
    ['sensitive is not a list of JSON pointers', optional(value, 'sensitive', isStrings)],
  ]);
}

/** A full lock entry, held to what the lockfile requires (schema and invariants). */
function lockEntryProblem(value: unknown): string | undefined {
  const planned = plannedEntryProblem(value);
  if (planned !== undefined) return planned;
  const entry = value as Fields;
  return first([
    ['id is not a task id', typeof entry.id === 'string' && entry.id.length > 0],
    [
      'updated_at is not an ISO-8601 timestamp',
      typeof entry.updated_at === 'string' && isTimestamp(entry.updated_at),
    ],
  ]);
}

/** `set` and `remove` of a done or lock record. */
function lockOpsProblem(record: Fields): string | undefined {
  if (record.set !== undefined) {
    if (!isObject(record.set)) return 'set is not an object';
    for (const [key, entry] of Object.entries(record.set)) {
      if (!isKey(key)) return `set: ${JSON.stringify(key.slice(0, 80))} is not a valid key`;
      const problem = lockEntryProblem(entry);
      if (problem !== undefined) return `set.${key}: ${problem}`;
    }
  }
  if (record.remove !== undefined && !(Array.isArray(record.remove) && record.remove.every(isKey))) {
    return 'remove is not a list of keys';
  }
  return undefined;
}

const CHECKS: Record<JournalRecord['t'], Check> = {
  begin: (r) =>
    first([
      ['run is not a string', typeof r.run === 'string'],
      ['at is not a string', typeof r.at === 'string'],
      ['origin is not a string', typeof r.origin === 'string' && r.origin.length > 0],
      ['lineage is not a string or null', r.lineage === null || typeof r.lineage === 'string'],
      ['serial is not a whole number', isCount(r.serial)],
    ]),
  intent: (r) => {
    const problem = first([
      ['n is not a whole number', isCount(r.n)],
      ['op is not create, update or delete', typeof r.op === 'string' && OPS.has(r.op)],
      ['key is not a valid key', isKey(r.key)],
      ['id is not a task id', optional(r, 'id', (v) => typeof v === 'string' && v.length > 0)],
      ['name is not a string', optional(r, 'name', (v) => typeof v === 'string')],
      ['fromKey is not a valid key', optional(r, 'fromKey', isKey)],
      ['at is not a timestamp', optional(r, 'at', (v) => typeof v === 'string' && isTimestamp(v))],
      ['windowMs is not a whole number', optional(r, 'windowMs', isCount)],
      ['a create needs an entry', r.op !== 'create' || r.entry !== undefined],
      ['an update or delete needs an id', r.op === 'create' || r.id !== undefined],
    ]);
    if (problem !== undefined || r.entry === undefined) return problem;
    const entry = plannedEntryProblem(r.entry);
    return entry === undefined ? undefined : `entry ${entry}`;
  },
  done: (r) => (isCount(r.n) ? lockOpsProblem(r) : 'n is not a whole number'),
  failed: (r) =>
    first([
      ['n is not a whole number', isCount(r.n)],
      ['reason is not a string', typeof r.reason === 'string'],
    ]),
  lock: lockOpsProblem,
  test: (r) =>
    first([
      ['phase is not intent, created or deleted', typeof r.phase === 'string' && TEST_PHASES.has(r.phase)],
      ['name is not a string', typeof r.name === 'string' && r.name.length > 0],
      ['id is not a task id', optional(r, 'id', (v) => typeof v === 'string' && v.length > 0)],
      ['at is not a timestamp', typeof r.at === 'string' && isTimestamp(r.at)],
    ]),
};

const TEST_PHASES = new Set(['intent', 'created', 'deleted']);

/** The record, or what is wrong with it (one phrase, for a message naming the line). */
export function checkJournalRecord(value: unknown): { record: JournalRecord } | { problem: string } {
  if (!isObject(value)) return { problem: 'not a JSON object' };
  const kind = value.t;
  const check =
    typeof kind === 'string' && Object.hasOwn(CHECKS, kind) ? CHECKS[kind as JournalRecord['t']] : undefined;
  if (check === undefined)
    return { problem: `unknown record type ${JSON.stringify(String(kind)).slice(0, 40)}` };
  const problem = check(value);
  return problem === undefined
    ? { record: value as unknown as JournalRecord }
    : { problem: `${kind} record: ${problem}` };
}
