/**
 * The lock side of a write session: replaying what an earlier run left in the journal, recording intents and
 * outcomes as writes happen, and compacting them into `titan.lock` now and then and at the end.
 *
 * Invariant: every remote write is preceded by a durable intent; every known outcome is a durable record whose
 * lock changes are whole entries, so replaying the journal onto any version of the lock is safe.
 */
import path from 'node:path';
import { InvalidInputError, OperationalError, RefusedError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import {
  applyLockOps,
  applyLockOpsInPlace,
  createsSettleAt,
  journalHasEffects,
  replayJournal,
  type IntentRecord,
  type JournalRecord,
  type LockOps,
} from '../core/lock/journal.js';
import { lockfileProblems } from '../core/lock/invariants.js';
import type { Lockfile } from '../core/lock/model.js';
import { commitLock, emptyLock } from '../core/lock/ops.js';
import { settlePendingIntents, tasksNeedingFullRead } from '../core/lock/settle.js';
import type { LiveTask } from '../core/model.js';
import { NotFoundError } from '../io/api/errors.js';
import type { TaskServiceClient } from '../core/service/types.js';
import {
  createJournal,
  describeCorruption,
  journalPath,
  quarantineJournal,
  readJournal,
  removeJournal,
  type JournalOptions,
  type JournalWriter,
} from '../io/journal.js';
import { assertLockOrigin, readLockfile, sameOrigin, writeLockfile } from '../io/lockfile.js';
import type { Workspace } from '../io/workspace.js';
import { interruptionFrom } from './interruption.js';

export interface SessionDeps {
  workspace: Workspace;
  /** Origin of the service this run talks to. */
  origin: string;
  now: () => Date;
  /** New lineage ids. */
  newId: () => string;
  warn: (message: string) => void;
  /** Progress worth a line on stderr (a wait before settling). */
  notice?: (message: string) => void;
  /** Resolves after `ms`, or early (or rejecting) once `signal` is aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborted on Ctrl-C/SIGTERM: a wait before settling stops and the command exits 130/143. */
  stop?: AbortSignal;
  /**
   * How long after it is sent a create may still take effect on the service: the request deadline plus a margin
   * (default `DEFAULT_CREATE_WINDOW_MS`). Recorded with each create intent, so the run that settles it waits that long.
   */
  createWindowMs?: number;
  /** Test hooks: journal durability and the other crash boundaries (`answered:<op>`, `compacted`). */
  journal?: JournalOptions;
  onBoundary?: (label: string) => void;
  /** Compact after this many outcomes or this much time, whichever comes first. */
  compactEvery?: { records: number; ms: number };
}

/** The client's request deadline (30 s) plus a margin for a service that finishes work after its client left. */
export const DEFAULT_CREATE_WINDOW_MS = 35_000;

export interface Recovered {
  /** The lockfile after replaying the journal (null: none yet). */
  lock: Lockfile | null;
  /** What the replay found, one line per unsettled write. */
  notes: string[];
}

/**
 * Reads the lockfile, replays a journal left by an interrupted run (settling its unknown outcomes by looking
 * the tasks up), writes the result and removes the journal. Call it holding the workspace lock.
 * `client` may be omitted by offline commands: then unsettled writes are refused (exit 4). A caller that has
 * just read the lockfile under the workspace lock passes it as `onDisk` (null: none), saving a second read.
 */
export async function recoverWorkspace(
  deps: SessionDeps & { allowForeignOrigin: boolean },
  client: TaskServiceClient | undefined,
  onDisk?: Lockfile | null,
): Promise<Recovered> {
  const disk = onDisk !== undefined ? onDisk : await readLockfile(deps.workspace.lockfilePath);
  assertLockOrigin(disk, deps.origin, deps.allowForeignOrigin);
  const file = journalPath(deps.workspace.stateDir);
  const journal = await readJournal(file);
  if (journal === null) return { lock: disk, notes: [] };
  if (journal.corrupt.length > 0) await refuseDamagedJournal(deps, file, describeCorruption(journal.corrupt));
  if (journal.skipped > 0)
    deps.warn(`Ignored ${journal.skipped} unreadable line(s) of ${file} (a write cut short).`);
  const replay = replayJournal(disk ?? emptyLock(deps.origin, deps.newId()), journal.records);
  // Records that are each valid can still add up to a lockfile titan would refuse (one id under two keys).
  const inconsistent = lockfileProblems(replay.lock);
  if (inconsistent.length > 0)
    await refuseDamagedJournal(deps, file, `replayed, it gives ${inconsistent.slice(0, 3).join('; ')}`);
  const begin = replay.begin;
  if (begin !== undefined && !sameOrigin(begin.origin, deps.origin) && !deps.allowForeignOrigin) {
    throw new RefusedError(
      `The apply journal ${file} was written for ${begin.origin}, but this run talks to ${deps.origin}.`,
      `Run titan against ${begin.origin} to settle it, or delete ${file} if that service is gone.`,
    );
  }
  if (disk !== null && begin !== undefined && begin.lineage !== null && begin.lineage !== disk.lineage) {
    deps.warn(
      `The apply journal belongs to another lockfile lineage (${begin.lineage}); replaying it anyway.`,
    );
  }
  let lock = replay.lock;
  const notes: string[] = [];
  if (replay.pending.length > 0) {
    if (client === undefined) {
      throw new RefusedError(
        `An interrupted apply left ${replay.pending.length} write(s) with an unknown outcome in ${file}.`,
        'Run titan apply first: it looks the tasks up and records what happened.',
      );
    }
    await waitForLateCreates(deps, replay.pending);
    const live = await liveForSettlement(client, replay.pending, lock);
    const settled = settlePendingIntents(replay.pending, lock, live);
    lock = applyLockOps(lock, settled.ops);
    notes.push(...settled.notes);
  }
  const base =
    disk ??
    (journalHasEffects(journal.records) ? emptyLock(deps.origin, begin?.lineage ?? deps.newId()) : null);
  let result = disk;
  if (base !== null && (disk !== null || Object.keys(lock.tasks).length > 0)) {
    result = commitLock(base, { ...lock, lineage: base.lineage });
    if (result !== disk) await writeLockfile(deps.workspace.lockfilePath, result);
  }
  await removeJournal(file);
  return { lock: result, notes };
}

/**
 * A damaged journal is never used: it is moved aside (kept for a person to read) and the run stops (exit 3)
 * before titan.lock is written, saying what to do. The next run goes on without it: a create the interrupted run
 * made is adopted when it equals its manifest, and `plan` shows a same-name task it cannot adopt.
 */
async function refuseDamagedJournal(
  deps: Pick<SessionDeps, 'now'>,
  file: string,
  problem: string,
): Promise<never> {
  const aside = await quarantineJournal(file, deps.now());
  throw new InvalidInputError(
    `The apply journal ${file} is damaged (${problem}); nothing of it was used, and titan.lock was not changed. ` +
      `It was moved to ${aside}.`,
    'Run titan plan and review it: tasks an interrupted apply created are adopted when they equal their ' +
      'manifests, and a same-name task that differs is shown with titan import KEY ID to take it over. ' +
      `Compare with what ${path.basename(aside)} records, then delete it.`,
  );
}

/**
 * A create sent just before the run died may still be carried out by the service after one look found nothing.
 * Until its window has passed, "not on the service" proves nothing, so the settlement waits (nothing is sent
 * meanwhile; Ctrl-C stops with exit 130/143 and leaves the journal for the next run).
 */
async function waitForLateCreates(
  deps: Pick<SessionDeps, 'now' | 'sleep' | 'stop' | 'notice' | 'warn'>,
  pending: readonly IntentRecord[],
): Promise<void> {
  const now = deps.now().getTime();
  const settleAt = createsSettleAt(pending, now);
  if (settleAt === undefined) return;
  const creates = pending.filter((intent) => intent.op === 'create').length;
  (deps.notice ?? deps.warn)(
    `An interrupted apply sent ${creates} create(s) moments ago whose outcome is unknown; the service may still ` +
      `carry them out. Waiting ${formatDuration(settleAt - now)} before looking them up, so none is created ` +
      'twice (Ctrl-C stops; nothing is sent meanwhile).',
  );
  for (let left = settleAt - now; left > 0; left = settleAt - deps.now().getTime()) {
    throwIfStopped(deps.stop);
    await deps.sleep(left, deps.stop).catch(() => undefined);
  }
  throwIfStopped(deps.stop);
}

function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  throw interruptionFrom(
    signal.reason,
    'Interrupted while waiting to settle an interrupted apply; nothing was sent.',
  );
}

/** A complete listing, with full specs for the summary items the settlement has to compare. */
async function liveForSettlement(
  client: TaskServiceClient,
  pending: readonly IntentRecord[],
  lock: Lockfile,
): Promise<LiveTask[]> {
  const live = await client.listAllTasks();
  const needed = new Set(tasksNeedingFullRead(pending, lock, live));
  if (needed.size === 0) return live;
  const full: LiveTask[] = [];
  for (const task of live) {
    if (!needed.has(task.id)) {
      full.push(task);
      continue;
    }
    try {
      full.push(await client.getTask(task.id));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return full;
}

type IntentFields = Omit<IntentRecord, 't' | 'n' | 'at' | 'windowMs'>;

/** Records one run's writes. Create with `ApplySession.open` after `recoverWorkspace`. */
/** Compactions triggered by time take at most about 1/COMPACT_TIME_FACTOR of an apply's time. */
const COMPACT_TIME_FACTOR = 20;

export class ApplySession {
  private lock: Lockfile;
  private readonly open = new Map<number, IntentRecord>();
  private nextIntent = 1;
  private outcomesSinceCompaction = 0;
  private lastCompaction: number;
  private compacting: Promise<void> | undefined;
  /** Every compaction rewrites the whole lockfile, so a large lock is compacted less often (linear in total). */
  private defaultCompactRecords = 50;
  /**
   * How long the last compaction took: the time trigger waits at least COMPACT_TIME_FACTOR times that, or a
   * long apply of a large lock would spend ever more of its time rewriting it (30,000 creates: quadratic).
   */
  private lastCompactionMs = 0;
  /** The first outcome record that could not be written (see `journalOutcome`). */
  private outcomeWriteError: unknown;

  /** The version on disk when the session opened: the final report compares with it. */
  private readonly initial: Lockfile | null;

  /** How long after it is sent a create may still take effect (`SessionDeps.createWindowMs` or the default). */
  readonly createWindowMs: number;

  private constructor(
    private readonly deps: SessionDeps,
    /** The version on disk (null: no lockfile yet). */
    private disk: Lockfile | null,
    /** What a first write starts from when there is no lockfile. */
    private readonly base: Lockfile,
    private readonly journal: JournalWriter,
  ) {
    // The session owns its copy of the entries and updates it in place as outcomes arrive (see `done`).
    const start = disk ?? base;
    this.lock = { ...start, tasks: { ...start.tasks } };
    this.initial = disk;
    this.createWindowMs = deps.createWindowMs ?? DEFAULT_CREATE_WINDOW_MS;
    this.lastCompaction = deps.now().getTime();
  }

  static async open(deps: SessionDeps, disk: Lockfile | null, run: string): Promise<ApplySession> {
    const base = disk ?? emptyLock(deps.origin, deps.newId());
    const begin: JournalRecord = {
      t: 'begin',
      run,
      at: deps.now().toISOString(),
      origin: deps.origin,
      lineage: disk?.lineage ?? base.lineage,
      serial: disk?.serial ?? 0,
    };
    const journal = await createJournal(journalPath(deps.workspace.stateDir), [begin], deps.journal);
    const session = new ApplySession(deps, disk, base, journal);
    // An origin change the user allowed is recorded with the next write.
    if (!sameOrigin(session.lock.origin, deps.origin))
      session.lock = { ...session.lock, origin: deps.origin };
    return session;
  }

  /** The lock as it stands in memory (every known outcome applied); it changes as the run goes on. */
  current(): Readonly<Lockfile> {
    return this.lock;
  }

  /** Makes the intent durable, then returns its number; send the write only after this resolves. */
  async intent(fields: IntentFields): Promise<number> {
    const record: IntentRecord = {
      t: 'intent',
      n: this.nextIntent++,
      ...fields,
      at: this.deps.now().toISOString(),
      windowMs: this.createWindowMs,
    };
    if (this.outcomeWriteError !== undefined) throw this.outcomeWriteError;
    this.open.set(record.n, record);
    await this.journal.append(record);
    return record.n;
  }

  /**
   * Outcomes are journalled without waiting for the fsync: the next intent is appended after them (records reach
   * the file in order), so no write is sent before the outcomes before it are durable, and the caller's next
   * write shares their fsync. A crash before then leaves the intent open, which the next run settles by lookup
   * (as for an answer lost in transit). A failed write stops the run at the next intent, or at the end.
   */
  private journalOutcome(record: JournalRecord): void {
    this.journal.append(record).catch((error: unknown) => {
      this.outcomeWriteError ??= error;
    });
  }

  /** The answer to intent `n`'s write arrived (a crash boundary for tests: written, outcome not yet journalled). */
  answered(n: number): void {
    const intent = this.open.get(n);
    if (intent !== undefined) this.deps.onBoundary?.(`answered:${intent.op}`);
  }

  /** Intent `n` took effect. */
  async done(n: number, ops: LockOps): Promise<void> {
    this.open.delete(n);
    applyLockOpsInPlace(this.lock.tasks, ops);
    this.journalOutcome({ t: 'done', n, ...ops });
    await this.outcomeRecorded();
  }

  /** Intent `n` certainly did not take effect. */
  async failed(n: number, reason: string): Promise<void> {
    this.open.delete(n);
    this.journalOutcome({ t: 'failed', n, reason });
  }

  /** A lock change that needs no remote write. */
  async record(ops: LockOps): Promise<void> {
    if (Object.keys(ops.set ?? {}).length === 0 && (ops.remove ?? []).length === 0) return;
    applyLockOpsInPlace(this.lock.tasks, ops);
    this.journalOutcome({ t: 'lock', ...ops });
    await this.outcomeRecorded();
  }

  private async outcomeRecorded(): Promise<void> {
    this.outcomesSinceCompaction++;
    const every = this.deps.compactEvery ?? { records: this.defaultCompactRecords, ms: 2_000 };
    const interval = Math.max(every.ms, this.lastCompactionMs * COMPACT_TIME_FACTOR);
    const due =
      this.outcomesSinceCompaction >= every.records ||
      this.deps.now().getTime() - this.lastCompaction >= interval;
    if (due && this.compacting === undefined) {
      this.compacting = this.compact().finally(() => {
        this.compacting = undefined;
      });
    }
    if (this.compacting !== undefined) await this.compacting;
  }

  /** Writes the lock (if it changed) and shrinks the journal to the still-open intents. */
  private compact(): Promise<void> {
    this.outcomesSinceCompaction = 0;
    this.defaultCompactRecords = Math.max(50, Math.ceil(Object.keys(this.lock.tasks).length / 10));
    const started = this.deps.now().getTime();
    this.lastCompaction = started;
    return this.journal.compact(async () => {
      await this.writeLock();
      this.lastCompactionMs = this.deps.now().getTime() - started;
      this.deps.onBoundary?.('compacted');
      const begin: JournalRecord = {
        t: 'begin',
        run: 'compacted',
        at: this.deps.now().toISOString(),
        origin: this.deps.origin,
        lineage: (this.disk ?? this.base).lineage,
        serial: this.disk?.serial ?? 0,
      };
      return [begin, ...[...this.open.values()].sort((a, b) => a.n - b.n)];
    });
  }

  private async writeLock(): Promise<void> {
    const from = this.disk ?? this.base;
    if (this.disk === null && Object.keys(this.lock.tasks).length === 0) return;
    // A snapshot: the in-memory entries keep changing while (and after) this version is written.
    const next = commitLock(from, { ...this.lock, tasks: { ...this.lock.tasks } });
    if (next === this.disk) return;
    await writeLockfile(this.deps.workspace.lockfilePath, next);
    this.disk = next;
  }

  /**
   * Final compaction. The journal is removed when every outcome is known; otherwise it keeps the open intents
   * for the next run to settle.
   */
  async finish(): Promise<{ lock: Lockfile | null; changed: boolean; unsettled: number }> {
    if (this.compacting !== undefined) await this.compacting;
    try {
      await this.compact();
      await this.journal.close();
      if (this.outcomeWriteError !== undefined) throw this.outcomeWriteError;
    } catch (error) {
      throw error instanceof OperationalError ? error : new OperationalError(String(error));
    }
    if (this.open.size === 0) await removeJournal(journalPath(this.deps.workspace.stateDir));
    // Compactions during the run may already have written it: "changed" is against the version we started from.
    return { lock: this.disk, changed: this.disk !== this.initial, unsettled: this.open.size };
  }
}
