/**
 * Who is who: which lock entry each desired key is managed under (its own, or a previous name's for a move), which
 * lock entries no manifest claims any more, and which unmanaged live tasks could be adopted. Also the list of live
 * tasks whose full spec the planner needs when the service answered with summaries.
 */
import { compareStrings } from '../json.js';
import type { LockEntry, Lockfile } from '../lock/model.js';
import { managedIds } from '../lock/ops.js';
import type { DesiredTask, LiveTask, TaskSpec } from '../model.js';
import { createScheduleReader, type ScheduleReader } from './cron.js';
import { appliedDigest, normalizeSchedule, specsEqual } from './normalize.js';

export interface Identity {
  /** Desired tasks by key, in key order. */
  desired: DesiredTask[];
  /** For a desired key: the lock key and entry it is managed under (its own, or a previous name's). */
  entries: Map<string, { lockKey: string; entry: LockEntry }>;
  /** Lock entries no desired task claims: to delete. In key order. */
  orphans: [string, LockEntry][];
  liveById: Map<string, LiveTask>;
  managedIds: Set<string>;
  /** Unmanaged live tasks by Titan name, oldest first (then smallest id): the adoption candidates. */
  unmanagedByName: Map<string, LiveTask[]>;
  /** Cron readings, cached for this plan. */
  read: ScheduleReader;
}

export function resolveIdentity(
  desired: readonly DesiredTask[],
  live: readonly LiveTask[],
  lock: Lockfile | null,
  /** Ids other workspaces of the project own: never adoption candidates. */
  foreign: ReadonlyMap<string, string> = new Map(),
): Identity {
  const sorted = [...desired].sort((a, b) => compareStrings(a.key, b.key));
  const lockTasks = lock?.tasks ?? {};
  const desiredKeys = new Set(sorted.map((task) => task.key));
  const claimed = new Set<string>();
  const entries = new Map<string, { lockKey: string; entry: LockEntry }>();
  for (const task of sorted) {
    const own = lockTasks[task.key];
    if (own !== undefined) {
      entries.set(task.key, { lockKey: task.key, entry: own });
      claimed.add(task.key);
    }
  }
  for (const task of sorted) {
    if (entries.has(task.key)) continue;
    const previous = task.previousNames.find(
      (name) => lockTasks[name] && !desiredKeys.has(name) && !claimed.has(name),
    );
    if (previous !== undefined) {
      entries.set(task.key, { lockKey: previous, entry: lockTasks[previous] as LockEntry });
      claimed.add(previous);
    }
  }
  const orphans = Object.keys(lockTasks)
    .sort(compareStrings)
    .filter((key) => !claimed.has(key))
    .map((key): [string, LockEntry] => [key, lockTasks[key] as LockEntry]);
  const liveById = new Map(live.filter((task) => task.status !== 'deleted').map((task) => [task.id, task]));
  const managed = managedIds(lock);
  const unmanagedByName = new Map<string, LiveTask[]>();
  for (const task of liveById.values()) {
    if (managed.has(task.id) || foreign.has(task.id)) continue;
    const group = unmanagedByName.get(task.name);
    if (group) group.push(task);
    else unmanagedByName.set(task.name, [task]);
  }
  for (const group of unmanagedByName.values()) {
    group.sort((a, b) => compareStrings(a.created_at, b.created_at) || compareStrings(a.id, b.id));
  }
  return {
    desired: sorted,
    entries,
    orphans,
    liveById,
    managedIds: managed,
    unmanagedByName,
    read: createScheduleReader(),
  };
}

/** The oldest (then smallest-id) unmanaged live task exactly equal to the manifest, not adopted by another key. */
export const adoptionCandidate = (
  task: DesiredTask,
  identity: Identity,
  adopted: Set<string>,
): LiveTask | undefined =>
  (identity.unmanagedByName.get(task.spec.name) ?? []).find(
    (live) => live.spec !== undefined && !adopted.has(live.id) && specsEqual(live.spec, task.spec),
  );

/**
 * Ids of live tasks whose full spec the planner needs when the list returned summaries: managed tasks changed
 * since the lock (or whose manifest changed, or that hold sensitive values, which the lock cannot compare), tasks
 * to replace or delete that changed since the lock, and unmanaged tasks that could be adopted (same name,
 * execution type and schedule as a desired task without a lock entry). Sorted.
 */
export function tasksNeedingFullRead(
  desired: readonly DesiredTask[],
  live: readonly LiveTask[],
  lock: Lockfile | null,
  options: { replace?: readonly string[]; foreign?: ReadonlyMap<string, string> } = {},
): string[] {
  const identity = resolveIdentity(desired, live, lock, options.foreign);
  const replace = new Set(options.replace ?? []);
  const needed = new Set<string>();
  const summaryOf = (id: string): LiveTask | undefined => {
    const task = identity.liveById.get(id);
    return task !== undefined && task.spec === undefined ? task : undefined;
  };
  const adoptable: DesiredTask[] = [];
  for (const task of identity.desired) {
    const managed = identity.entries.get(task.key);
    if (managed === undefined || !identity.liveById.has(managed.entry.id)) {
      adoptable.push(task);
      continue;
    }
    const summary = summaryOf(managed.entry.id);
    if (summary !== undefined && !canSkipFullRead(task, managed.entry, summary, replace))
      needed.add(summary.id);
  }
  for (const [, entry] of identity.orphans) {
    const summary = summaryOf(entry.id);
    if (summary !== undefined && summary.updated_at !== entry.updated_at) needed.add(summary.id);
  }
  for (const task of adoptable) {
    for (const candidate of identity.unmanagedByName.get(task.spec.name) ?? []) {
      if (candidate.spec === undefined && summaryMatches(task.spec, candidate)) needed.add(candidate.id);
    }
  }
  return [...needed].sort(compareStrings);
}

/** A managed task's summary is enough when nothing changed on either side since the last apply. */
export const canSkipFullRead = (
  task: DesiredTask,
  entry: LockEntry,
  live: LiveTask,
  replace: Set<string>,
): boolean =>
  !replace.has(task.key) &&
  task.sensitivePaths.length === 0 &&
  live.updated_at === entry.updated_at &&
  appliedDigest(task.spec, task.sensitivePaths) === entry.digest;

function summaryMatches(spec: TaskSpec, summary: LiveTask): boolean {
  if (summary.name !== spec.name) return false;
  if (summary.execution_type !== undefined && summary.execution_type !== spec.execution_type) return false;
  const schedule = spec.schedule === undefined ? undefined : normalizeSchedule(spec.schedule);
  return summary.schedule === undefined || normalizeSchedule(summary.schedule) === schedule;
}
