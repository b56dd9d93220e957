/**
 * Executes a plan's changes against the service with bounded concurrency, recording each write in the session
 * (intent before, outcome after). Identity is earned here: a create whose answer was lost is settled by looking
 * for the task it may have made (the adoption rule) — never by sending the POST again blindly.
 */
import path from 'node:path';
import { InterruptedError } from '../core/errors.js';
import type { LockOps, PlannedEntry } from '../core/lock/journal.js';
import type { LockEntry } from '../core/lock/model.js';
import { managedIds } from '../core/lock/ops.js';
import type { DesiredTask, LiveTask } from '../core/model.js';
import { needsApiWrite, type Plan, type PlannedChange } from '../core/plan/model.js';
import { appliedDigest, specsEqual } from '../core/plan/normalize.js';
import {
  ApiError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
} from '../io/api/errors.js';
import type { TaskServiceClient } from '../core/service/types.js';
import type { ChangeResult } from '../render/apply-events.js';
import type { ApplySession } from './apply-session.js';
import { interruptionFrom } from './interruption.js';
import { toPosix } from './paths.js';

export interface RunControls {
  /** Aborted on the first Ctrl-C/SIGTERM: start no new change. */
  stop: AbortSignal;
  /** Aborted when in-flight writes must be abandoned (second signal, or the grace period ran out). */
  abort: AbortSignal;
}

export interface RunDeps {
  client: TaskServiceClient;
  session: ApplySession;
  controls: RunControls;
  now: () => Date;
  /** Resolves after `ms`, or early (or rejecting) once `signal` is aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  /** Called as each change finishes. */
  onResult: (result: ChangeResult) => void;
}

export interface RunOptions {
  parallelism: number;
  continueOnError: boolean;
  /** Folder manifest paths are relative to (the working directory) and the workspace root, for lock entries. */
  cwd: string;
  workspaceRoot: string;
}

export interface RunInput {
  plan: Plan;
  /** Desired tasks by key: the real (unmasked) specs. */
  desired: ReadonlyMap<string, DesiredTask>;
  /** Live tasks by id, as read for the plan. */
  live: ReadonlyMap<string, LiveTask>;
}

/**
 * A create whose attempts certainly did not take effect is tried again for this long (and at least
 * `CREATE_MIN_ATTEMPTS` times): a service that fails one request in five must not fail the run by bad luck.
 */
const CREATE_RETRY_BUDGET_MS = 30_000;
const CREATE_MIN_ATTEMPTS = 5;
/** Ceiling of the pause between attempts at a create (full jitter, doubling from 250 ms). */
const CREATE_BACKOFF_CAP_MS = 4_000;
/** Attempts at the listing that settles lost creates. */
const LOOKUP_ATTEMPTS = 4;
/** How long the first lost create waits for others to share its settlement round. */
const BATCH_WAIT_MS = 150;
/** A create that got no answer at all is looked for again at least this long after the first look. */
const RECHECK_MS = 1_000;

/**
 * Holds new writes back while a lost create is being looked up. A listing taken while tasks are being created and
 * deleted keeps changing under the reader (and is retried, then fails); and every create that loses its answer
 * meanwhile can be settled by the same listing. So a lookup closes the gate, lets the writes in flight finish,
 * then lists once for every create waiting to be settled.
 */
class WriteGate {
  private holders = 0;
  private inFlight = 0;
  private opened: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;
  private drained: (() => void)[] = [];

  /** Waits until no lookup holds the gate, then counts a write in flight until `done` is called. */
  async enter(): Promise<() => void> {
    while (this.holders > 0) await this.opened;
    this.inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.inFlight === 0) for (const resolve of this.drained.splice(0)) resolve();
    };
  }

  /** Runs `body` with the gate closed, once the writes in flight have finished. */
  async hold<T>(body: () => Promise<T>): Promise<T> {
    if (this.holders++ === 0) this.opened = new Promise((resolve) => (this.open = resolve));
    try {
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
      return await body();
    } finally {
      if (--this.holders === 0) this.open();
    }
  }
}

type RunContext = RunDeps & { gate: WriteGate };

/** Runs every non-noop change (noops only refresh lock entries). Never throws for a failed change. */
export async function runChanges(
  input: RunInput,
  deps: RunDeps,
  options: RunOptions,
): Promise<ChangeResult[]> {
  await refreshUnchanged(input, deps, options);
  const changes = input.plan.changes.filter((change) => change.action !== 'noop');
  const results: (ChangeResult | undefined)[] = new Array(changes.length);
  const context: RunContext = { ...deps, gate: new WriteGate() };
  const creator = new Creator(context, input.live, adoptedIds(input.plan), options.parallelism);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (deps.controls.stop.aborted || deps.controls.abort.aborted || (failed && !options.continueOnError))
        return;
      const index = next++;
      const change = changes[index];
      if (change === undefined) return;
      const result = await runOne(change, input, context, options, creator);
      results[index] = result;
      if (result.status === 'failed') failed = true;
      deps.onResult(result);
    }
  };
  const workers = Math.max(1, Math.min(options.parallelism, changes.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return changes.map((change, i) => results[i] ?? notAttempted(change));
}

const adoptedIds = (plan: Plan): Set<string> =>
  new Set(
    plan.changes.flatMap((change) =>
      change.action === 'adopt' && change.id !== undefined ? [change.id] : [],
    ),
  );

const notAttempted = (change: PlannedChange): ChangeResult => ({
  ...resultBase(change),
  status: 'not-attempted',
});

function resultBase(change: PlannedChange): Omit<ChangeResult, 'status'> {
  const base: Omit<ChangeResult, 'status'> = { action: change.action, key: change.key };
  if (change.from_key !== undefined) base.fromKey = change.from_key;
  if (change.id !== undefined) base.id = change.id;
  return base;
}

async function runOne(
  change: PlannedChange,
  input: RunInput,
  deps: RunContext,
  options: RunOptions,
  creator: Creator,
): Promise<ChangeResult> {
  const base = resultBase(change);
  try {
    const outcome = await applyChange(change, input, deps, options, creator);
    return { ...base, ...outcome, status: 'done' };
  } catch (error) {
    return { ...base, status: 'failed', error: describeFailure(error) };
  }
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function applyChange(
  change: PlannedChange,
  input: RunInput,
  deps: RunContext,
  options: RunOptions,
  creator: Creator,
): Promise<{ id?: string; settled?: boolean }> {
  const { session } = deps;
  switch (change.action) {
    case 'create': {
      const task = desiredOf(change, input);
      return creator.create(task, plannedEntry(task, options), change.from_key);
    }
    case 'replace': {
      const task = desiredOf(change, input);
      if (change.id !== undefined) await deleteTask(change.key, change.id, deps, change.from_key);
      return creator.create(task, plannedEntry(task, options), change.from_key);
    }
    case 'delete': {
      if (change.id === undefined || !needsApiWrite(change)) {
        await session.record({ remove: [change.key] });
        return {};
      }
      await deleteTask(change.key, change.id, deps);
      return {};
    }
    case 'adopt': {
      const task = desiredOf(change, input);
      const live = change.id === undefined ? undefined : input.live.get(change.id);
      if (live === undefined)
        throw new Error(`the task to adopt (${change.id ?? 'no id'}) is not in the listing`);
      const entry = { ...plannedEntry(task, options), id: live.id, updated_at: live.updated_at };
      await session.record(withRename({ set: { [change.key]: entry } }, change.key, change.from_key));
      return { id: live.id };
    }
    case 'update':
    case 'move': {
      const task = desiredOf(change, input);
      const id = change.id;
      if (id === undefined) throw new Error(`${change.action} of ${change.key} has no task id`);
      const entry = plannedEntry(task, options);
      if (!needsApiWrite(change)) {
        const current = lockEntryOf(session, change.from_key ?? change.key, id);
        const updatedAt = input.live.get(id)?.updated_at ?? current?.updated_at ?? '';
        await session.record(
          withRename(
            { set: { [change.key]: { ...entry, id, updated_at: updatedAt } } },
            change.key,
            change.from_key,
          ),
        );
        return { id };
      }
      await updateTask(change.key, id, task, entry, deps, change.from_key);
      return { id };
    }
    case 'noop':
      return {};
  }
}

function lockEntryOf(session: ApplySession, key: string, id: string): LockEntry | undefined {
  const entry = session.current().tasks[key];
  return entry?.id === id ? entry : undefined;
}

function desiredOf(change: PlannedChange, input: RunInput): DesiredTask {
  const task = input.desired.get(change.key);
  if (task === undefined) throw new Error(`no manifest declares ${change.key} any more`);
  return task;
}

/** The lock entry a successful write records (id and `updated_at` come from the answer). */
export function plannedEntry(
  task: DesiredTask,
  options: Pick<RunOptions, 'cwd' | 'workspaceRoot'>,
): PlannedEntry {
  const entry: PlannedEntry = {
    digest: appliedDigest(task.spec, task.sensitivePaths),
    file: lockFilePath(task.source.file, options),
    protect: task.protect,
  };
  if (task.sensitivePaths.length > 0) entry.sensitive = [...task.sensitivePaths].sort();
  return entry;
}

/** Manifest file as the lock records it: relative to the workspace, `/`-separated. */
export function lockFilePath(file: string, options: Pick<RunOptions, 'cwd' | 'workspaceRoot'>): string {
  return toPosix(path.relative(options.workspaceRoot, path.resolve(options.cwd, file)));
}

function withRename(ops: LockOps, key: string, fromKey: string | undefined): LockOps {
  return fromKey !== undefined && fromKey !== key
    ? { ...ops, remove: [...(ops.remove ?? []), fromKey] }
    : ops;
}

/** Certainly not processed: the service refused it, or the client never sent it. */
function isDefiniteFailure(error: unknown): boolean {
  return (
    error instanceof BadRequestError ||
    error instanceof UnauthorizedError ||
    error instanceof ForbiddenError ||
    error instanceof RateLimitedError ||
    (error instanceof ApiError && error.status !== undefined && error.status >= 400 && error.status < 500)
  );
}

async function deleteTask(key: string, id: string, deps: RunContext, alsoRemove?: string): Promise<void> {
  const leave = await deps.gate.enter();
  try {
    const n = await deps.session.intent({ op: 'delete', key, id });
    try {
      await deps.client.deleteTask(id);
    } catch (error) {
      if (isDefiniteFailure(error)) await deps.session.failed(n, describeFailure(error));
      throw error; // otherwise the intent stays open: the next run looks the task up
    }
    deps.session.answered(n);
    await deps.session.done(n, withRename({ remove: [key] }, key, alsoRemove));
  } finally {
    leave();
  }
}

async function updateTask(
  key: string,
  id: string,
  task: DesiredTask,
  entry: PlannedEntry,
  deps: RunContext,
  fromKey: string | undefined,
): Promise<void> {
  const leave = await deps.gate.enter();
  try {
    const n = await deps.session.intent(intentFields('update', key, task, entry, id, fromKey));
    let live: LiveTask;
    try {
      live = await deps.client.updateTask(id, task.spec);
    } catch (error) {
      if (error instanceof NotFoundError) {
        await deps.session.failed(n, 'task gone');
        throw new Error(
          `task ${id} no longer exists on the service (deleted outside titan?); run titan apply again to recreate it`,
        );
      }
      if (isDefiniteFailure(error)) await deps.session.failed(n, describeFailure(error));
      throw error; // otherwise the intent stays open: the next run compares the task with it
    }
    deps.session.answered(n);
    const ops = withRename({ set: { [key]: { ...entry, id, updated_at: live.updated_at } } }, key, fromKey);
    await deps.session.done(n, ops);
  } finally {
    leave();
  }
}

function intentFields(
  op: 'create' | 'update',
  key: string,
  task: DesiredTask,
  entry: PlannedEntry,
  id?: string,
  fromKey?: string,
) {
  return {
    op,
    key,
    entry,
    ...(id !== undefined ? { id } : {}),
    ...(task.sensitivePaths.includes('/name') ? {} : { name: task.spec.name }),
    ...(fromKey !== undefined ? { fromKey } : {}),
  };
}

/**
 * Creates tasks. Creates of identical specs run one at a time, so that when one has to be settled by looking
 * for its task, no twin create is in flight that could have made that task. Creates whose answer was lost are
 * settled in rounds: one listing, taken after all their answers were lost, settles them all.
 */
class Creator {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly claimed: Set<string>;
  private waiting: {
    task: DesiredTask;
    resolve: (found: LiveTask | undefined) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private round: Promise<void> | undefined;
  private timerSet = false;
  private readonly batchSize: number;

  constructor(
    private readonly deps: RunContext,
    /** Tasks that existed when the plan was made: a lost create's task is looked for among newer ones first. */
    private readonly planned: ReadonlyMap<string, LiveTask>,
    /** Tasks other changes of the plan adopt: never the answer to a lost create. */
    reserved: ReadonlySet<string>,
    parallelism: number,
  ) {
    this.claimed = new Set(reserved);
    this.batchSize = Math.max(1, Math.ceil(parallelism / 2));
  }

  create(
    task: DesiredTask,
    entry: PlannedEntry,
    fromKey: string | undefined,
  ): Promise<{ id: string; settled?: boolean }> {
    const previous = this.chains.get(entry.digest) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.createOne(task, entry, fromKey));
    this.chains.set(entry.digest, run);
    return run;
  }

  private async createOne(
    task: DesiredTask,
    entry: PlannedEntry,
    fromKey: string | undefined,
  ): Promise<{ id: string; settled?: boolean }> {
    const { session, client, controls, now } = this.deps;
    const started = now().getTime();
    for (let attempt = 1; ; attempt++) {
      const leave = await this.deps.gate.enter();
      let n: number;
      let created: LiveTask;
      try {
        if (controls.abort.aborted) throw interruptionFrom(controls.abort.reason, 'interrupted');
        // A retry is a new write: after Ctrl-C none is started (the earlier attempt certainly made nothing).
        if (attempt > 1 && controls.stop.aborted) throw interruptionFrom(controls.stop.reason, 'interrupted');
        n = await session.intent(intentFields('create', task.key, task, entry, undefined, fromKey));
        const sentAt = now().getTime();
        try {
          created = await client.createTask(task.spec);
        } catch (error) {
          if (error instanceof InterruptedError || isDefiniteFailure(error)) {
            // Not sent (interrupted before the request left) or refused: certainly not created.
            await session.failed(n, describeFailure(error));
            throw error;
          }
          if (!(error instanceof ApiError) || controls.abort.aborted) throw error; // the next run settles it
          leave();
          const settled = await this.settle(task, error, sentAt);
          if (settled.found !== undefined) {
            await session.done(n, this.opsFor(task.key, entry, settled.found, fromKey));
            return { id: settled.found.id, settled: true };
          }
          if (!settled.certain) throw error; // it may still land: the intent stays open for the next run
          await session.failed(n, 'not found after a lost answer');
          if (attempt >= CREATE_MIN_ATTEMPTS && now().getTime() - started >= CREATE_RETRY_BUDGET_MS)
            throw error;
          const ceiling = Math.min(CREATE_BACKOFF_CAP_MS, 250 * 2 ** (attempt - 1));
          await this.deps
            .sleep(Math.round(this.deps.random() * ceiling), controls.stop)
            .catch(() => undefined);
          continue;
        }
        session.answered(n);
        this.claimed.add(created.id);
        await session.done(n, this.opsFor(task.key, entry, created, fromKey));
        return { id: created.id };
      } finally {
        leave();
      }
    }
  }

  private opsFor(key: string, entry: PlannedEntry, live: LiveTask, fromKey: string | undefined): LockOps {
    const full: LockEntry = { ...entry, id: live.id, updated_at: live.updated_at };
    return withRename({ set: { [key]: full } }, key, fromKey);
  }

  /**
   * Looks for the task a lost create may have made. Without any answer (timeout, dropped connection) the service
   * may still be working on the request, so "not there" is only certain after a second look once the create's
   * window has passed; a Ctrl-C meanwhile leaves the outcome unknown (the next run settles it).
   */
  private async settle(
    task: DesiredTask,
    error: ApiError,
    sentAt: number,
  ): Promise<{ found?: LiveTask; certain: boolean }> {
    const { controls, now } = this.deps;
    const found = await this.lookFor(task);
    if (found !== undefined) return { found, certain: true };
    if (error.status !== undefined) return { certain: true }; // the service answered: it made nothing
    const recheckAt = Math.max(now().getTime() + RECHECK_MS, sentAt + this.deps.session.createWindowMs);
    for (let left = recheckAt - now().getTime(); left > 0; left = recheckAt - now().getTime()) {
      if (controls.stop.aborted) return { certain: false };
      await this.deps.sleep(left, controls.stop).catch(() => undefined);
    }
    if (controls.stop.aborted) return { certain: false };
    const late = await this.lookFor(task);
    return late !== undefined ? { found: late, certain: true } : { certain: true };
  }

  /** The task a lost create made, if it exists; answered by the next settlement round. */
  private lookFor(task: DesiredTask): Promise<LiveTask | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      this.schedule();
    });
  }

  /** A round starts when enough creates wait, or shortly after the first one does. */
  private schedule(): void {
    if (this.round !== undefined) return; // the round re-schedules whoever arrives meanwhile
    if (this.waiting.length >= this.batchSize) {
      this.startRound();
      return;
    }
    if (this.timerSet) return;
    this.timerSet = true;
    void this.deps.sleep(BATCH_WAIT_MS).then(() => {
      this.timerSet = false;
      if (this.round === undefined && this.waiting.length > 0) this.startRound();
    });
  }

  /**
   * Closes the gate, lets the writes in flight finish, lists once (after every waiting create's answer was
   * lost), and settles them all by the adoption rule.
   */
  private startRound(): void {
    this.round = this.deps.gate
      .hold(async () => {
        const batch = this.waiting.splice(0);
        try {
          const listed = await this.listWithRetries();
          // Once per round: with the gate closed, no write to the service changes which tasks the lock manages
          // (and tasks other changes adopt are claimed already).
          const managed = managedIds(this.deps.session.current());
          for (const waiter of batch) waiter.resolve(await this.match(waiter.task, listed, managed));
        } catch (error) {
          for (const waiter of batch) waiter.reject(error);
        }
      })
      .finally(() => {
        this.round = undefined;
        if (this.waiting.length > 0) this.schedule();
      });
  }

  /** An unmanaged, unclaimed live task equal to the spec; it is claimed. */
  private async match(
    task: DesiredTask,
    listed: readonly LiveTask[],
    managed: ReadonlySet<string>,
  ): Promise<LiveTask | undefined> {
    const candidates: LiveTask[] = [];
    for (const live of listed) {
      if (managed.has(live.id) || this.claimed.has(live.id) || live.name !== task.spec.name) continue;
      const full = live.spec !== undefined ? live : await this.fullTask(live.id);
      if (full?.spec !== undefined && specsEqual(full.spec, task.spec)) candidates.push(full);
    }
    // Prefer tasks that did not exist when the plan was made, then the newest.
    candidates.sort(
      (a, b) =>
        Number(this.planned.has(a.id)) - Number(this.planned.has(b.id)) ||
        (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0),
    );
    const found = candidates[0];
    if (found !== undefined) this.claimed.add(found.id);
    return found;
  }

  private async fullTask(id: string): Promise<LiveTask | undefined> {
    try {
      return await this.deps.client.getTask(id);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  private async listWithRetries(): Promise<LiveTask[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.client.listAllTasks();
      } catch (error) {
        if (attempt >= LOOKUP_ATTEMPTS || this.deps.controls.abort.aborted || isDefiniteFailure(error))
          throw error;
        await this.deps.sleep(Math.round(this.deps.random() * 250 * 2 ** attempt));
      }
    }
  }
}

/** Noop changes: bring the lock entry up to date (file, protect, digest) without any write to the service. */
async function refreshUnchanged(input: RunInput, deps: RunDeps, options: RunOptions): Promise<void> {
  const set: Record<string, LockEntry> = {};
  const lock = deps.session.current();
  for (const change of input.plan.changes) {
    if (change.action !== 'noop' || change.id === undefined) continue;
    const task = input.desired.get(change.key);
    const current = lock.tasks[change.key];
    if (task === undefined || current === undefined || current.id !== change.id) continue;
    const planned = plannedEntry(task, options);
    const same =
      current.digest === planned.digest &&
      current.file === planned.file &&
      current.protect === planned.protect &&
      JSON.stringify(current.sensitive ?? []) === JSON.stringify(planned.sensitive ?? []);
    if (same) continue;
    const live = input.live.get(change.id);
    const updatedAt =
      current.digest === planned.digest ? current.updated_at : (live?.updated_at ?? current.updated_at);
    set[change.key] = { ...planned, id: change.id, updated_at: updatedAt };
  }
  await deps.session.record({ set });
}
