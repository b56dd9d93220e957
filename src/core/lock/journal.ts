/**
 * The apply journal's records and their replay (pure). Before each remote write titan appends an intent; after
 * it, an outcome carrying the lock changes it implies. Lock changes are whole entries set or keys removed, so
 * per key the last record wins: replaying a journal onto any lock that already holds some or all of its effects
 * (a crash between compaction and truncation, a lockfile reset from git) yields the same entries.
 */
import type { LockEntry, Lockfile } from './model.js';
import { checkJournalRecord } from './records.js';

/** What a planned write will record once it succeeded (the id and `updated_at` come from the answer). */
export type PlannedEntry = Omit<LockEntry, 'id' | 'updated_at'>;

/** Lock changes: entries set (key → entry) and keys removed, applied in that order. */
export interface LockOps {
  set?: Record<string, LockEntry>;
  remove?: string[];
}

export type IntentOp = 'create' | 'update' | 'delete';

export interface BeginRecord {
  t: 'begin';
  /** Run id, for the reader of a journal. */
  run: string;
  at: string;
  origin: string;
  /** The lockfile the journal applies to (null lineage: there was no lockfile yet). */
  lineage: string | null;
  serial: number;
}

/** A remote write is about to be sent. `n` numbers intents within a run. */
export interface IntentRecord {
  t: 'intent';
  n: number;
  op: IntentOp;
  key: string;
  /** Remote id (update, delete). */
  id?: string;
  /** The entry to record on success (create, update). */
  entry?: PlannedEntry;
  /** Task name, to narrow a lookup when the list returns summaries (omitted when the name is sensitive). */
  name?: string;
  /** A key the task was known under before a rename: dropped on success. */
  fromKey?: string;
  /** When the write was about to be sent (ISO-8601). */
  at?: string;
  /**
   * How long after `at` the service may still carry the write out (the request deadline plus a margin). A create
   * not found on the service is only judged not to have happened once this has passed.
   */
  windowMs?: number;
}

/** Intent `n` took effect; `ops` record it in the lock. */
export interface DoneRecord extends LockOps {
  t: 'done';
  n: number;
}

/** Intent `n` did not take effect (refused, or looked up and not found). */
export interface FailedRecord {
  t: 'failed';
  n: number;
  reason: string;
}

/** Lock-only changes that need no remote write (adopt, move, entry refresh, settled replays). */
export interface LockRecord extends LockOps {
  t: 'lock';
}

/**
 * A temporary task of `titan test` (never in the lock): `intent` before its create is sent, `created` with its id,
 * `deleted` once it is gone. One still open after a crash is deleted by the next `titan test` or `apply`.
 */
export interface TestTaskRecord {
  t: 'test';
  phase: 'intent' | 'created' | 'deleted';
  /** The unique name it is created under (a run id in it), to find it when the create's answer was lost. */
  name: string;
  id?: string;
  at: string;
}

export type JournalRecord =
  BeginRecord | IntentRecord | DoneRecord | FailedRecord | LockRecord | TestTaskRecord;

/** Temporary test tasks the journal says may still be on the service: an intent or a create, no delete. */
export function openTestTasks(
  records: readonly JournalRecord[],
): { name: string; id?: string; at: string }[] {
  const open = new Map<string, { name: string; id?: string; at: string }>();
  for (const record of records) {
    if (record.t !== 'test') continue;
    if (record.phase === 'deleted') open.delete(record.name);
    else
      open.set(record.name, {
        ...open.get(record.name),
        name: record.name,
        at: record.at,
        ...(record.id ? { id: record.id } : {}),
      });
  }
  return [...open.values()];
}

export function applyLockOps(lock: Lockfile, ops: LockOps): Lockfile {
  if (Object.keys(ops.set ?? {}).length === 0 && (ops.remove ?? []).length === 0) return lock;
  const tasks = { ...lock.tasks };
  applyLockOpsInPlace(tasks, ops);
  return { ...lock, tasks };
}

/**
 * Applies `ops` to a `tasks` object the caller owns (an apply session, a replay). Copying the lock per outcome
 * would make an apply of n tasks cost O(n²); this keeps it linear.
 */
export function applyLockOpsInPlace(tasks: Lockfile['tasks'], ops: LockOps): void {
  for (const [key, entry] of Object.entries(ops.set ?? {})) tasks[key] = entry;
  for (const key of ops.remove ?? []) delete tasks[key];
}

export interface Replay {
  lock: Lockfile;
  /** Intents without an outcome: the write may or may not have happened. */
  pending: IntentRecord[];
  begin: BeginRecord | undefined;
}

/** Replays `records` onto `base`. */
export function replayJournal(base: Lockfile, records: readonly JournalRecord[]): Replay {
  const lock: Lockfile = { ...base, tasks: { ...base.tasks } };
  let begin: BeginRecord | undefined;
  const open = new Map<number, IntentRecord>();
  for (const record of records) {
    switch (record.t) {
      case 'begin':
        begin ??= record;
        break;
      case 'intent':
        open.set(record.n, record);
        break;
      case 'done':
        open.delete(record.n);
        applyLockOpsInPlace(lock.tasks, record);
        break;
      case 'failed':
        open.delete(record.n);
        break;
      case 'lock':
        applyLockOpsInPlace(lock.tasks, record);
        break;
      case 'test':
        break; // temporary tasks never touch the lock
    }
  }
  return { lock, pending: [...open.values()], begin };
}

/** What a journal left by an interrupted run holds that `titan.lock` does not show yet. */
export interface PendingSummary {
  /** Writes whose outcome is unknown. */
  unsettled: number;
  /** Known outcomes and lock changes not yet compacted into `titan.lock`. */
  unrecorded: number;
}

export function summarizePending(records: readonly JournalRecord[]): PendingSummary {
  const open = new Set<number>();
  let unrecorded = 0;
  for (const record of records) {
    if (record.t === 'intent') open.add(record.n);
    else if (record.t === 'failed') open.delete(record.n);
    else if (record.t === 'done') {
      open.delete(record.n);
      unrecorded++;
    } else if (record.t === 'lock') unrecorded++;
  }
  return { unsettled: open.size, unrecorded };
}

/**
 * The instant (ms since the epoch) after which every pending create has either landed on the service or never
 * will; undefined when none may still land. A window in the future of `now` (a clock set back) counts from `now`.
 */
export function createsSettleAt(pending: readonly IntentRecord[], now: number): number | undefined {
  let latest: number | undefined;
  for (const intent of pending) {
    if (intent.op !== 'create' || intent.at === undefined || intent.windowMs === undefined) continue;
    const window = Math.min(Math.max(0, intent.windowMs), MAX_WINDOW_MS);
    const sent = Math.min(Date.parse(intent.at), now);
    if (Number.isNaN(sent)) continue;
    const settles = sent + window;
    if (settles > now && (latest === undefined || settles > latest)) latest = settles;
  }
  return latest;
}

/** A journal line cannot make titan wait longer than this, whatever window it claims. */
const MAX_WINDOW_MS = 10 * 60_000;

/** Does the journal change anything at all (so a clean journal never bumps the serial)? */
export const journalHasEffects = (records: readonly JournalRecord[]): boolean =>
  records.some((r) => r.t === 'intent' || r.t === 'done' || r.t === 'lock');

/** A line of a journal that is not a record titan wrote (1-based line number). */
export interface CorruptLine {
  line: number;
  problem: string;
}

export interface ParsedJournal {
  records: JournalRecord[];
  /** A torn last line (a crash mid-append): dropped, as the write it began never happened. */
  skipped: number;
  /** Any other line that is not a valid record: the journal cannot be trusted (see `checkJournalRecord`). */
  corrupt: CorruptLine[];
}

/**
 * Parses NDJSON journal text, checking every record. Only the last line may be cut short (a crash mid-append);
 * an unreadable line anywhere else, or a line that reads but is not a valid record, is corruption.
 */
export function parseJournal(text: string): ParsedJournal {
  const records: JournalRecord[] = [];
  const corrupt: CorruptLine[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && (lines[last] as string).trim() === '') last--;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (index === last) skipped++;
      else corrupt.push({ line: index + 1, problem: 'not JSON (cut short or overwritten)' });
      return;
    }
    const checked = checkJournalRecord(value);
    if ('record' in checked) records.push(checked.record);
    else corrupt.push({ line: index + 1, problem: checked.problem });
  });
  return { records, skipped, corrupt };
}
