/**
 * The planner: desired state (manifests), live state (the service) and the lock in; the one `Plan` out. Pure — no
 * I/O, no clock — so the same inputs always give the same plan.
 *
 * Identity rules (design.md §2, §6):
 * - a task is managed when its id is in the lock; only managed tasks are updated, replaced or deleted;
 * - a key missing from the lock whose `previousNames` hold a lock key is a **move** (the entry is re-keyed);
 * - a key without a lock entry is **adopted** when an unmanaged live task equals its spec exactly (the oldest such
 *   task, then the smallest id; each live task is adopted at most once), else **created**;
 * - a managed task whose id is gone from the service is recreated — or adopted, when an unmanaged task equals its
 *   manifest (what a crash or an older lockfile leaves behind) — and, when its manifest is gone too, only dropped
 *   from the lock; always with a warning;
 * - deleting a protected task, or more than max(10, 10 % of managed) tasks, or every managed task, is recorded as a
 *   refusal; callers refuse to apply such a plan unless the mass delete was explicitly allowed.
 */
import { InvalidInputError } from '../errors.js';
import { compareStrings } from '../json.js';
import type { LockEntry, Lockfile } from '../lock/model.js';
import { managedIds } from '../lock/ops.js';
import type { DesiredTask, LiveTask, TaskSpec, TaskSpecField } from '../model.js';
import { isSensitivePath, maskSensitive, SENSITIVE } from '../sensitive.js';
import { createScheduleReader, roundRunsData, taskRunsPerDay, type ScheduleReader } from './cron.js';
import { diffSpecFields } from './fields.js';
import {
  CHANGE_ACTIONS,
  isDestructive,
  METADATA_FIELD_PREFIX,
  PLAN_FORMAT_VERSION,
  type ChangeAction,
  type FieldChange,
  type Plan,
  type PlannedChange,
  type PlanRefusal,
  type PlanSummary,
  type TaskFingerprint,
} from './model.js';
import {
  appliedDigest,
  liveDiffersFromLock,
  normalizeSchedule,
  normalizeSpec,
  specsEqual,
} from './normalize.js';
import { matchesAnyTarget, parseTargetSelector, type TargetSelector } from './selector.js';

export interface PlanOptions {
  /** API origin the live tasks come from (recorded in the plan). */
  origin: string;
  /** `--replace KEY`: keys to delete and create again. */
  replace?: readonly string[];
  /** `--target SELECTOR`: limit the plan to matching tasks (see selector.ts). */
  targets?: readonly string[];
  /** `--allow-mass-delete`: lift the mass-delete guard (never the protect guard). */
  allowMassDelete?: boolean;
  /** Recorded in the plan so a saved plan can be re-checked; workspace-relative. */
  manifests?: { paths: string[]; files: string[] };
  /**
   * Prefix for the lock's workspace-relative manifest file names, so that a delete's `source.file` is relative to
   * the same folder as the manifests' `source.file` (usually the working directory). `/`-separated; '' by default.
   */
  lockFileBase?: string;
}

/** Mass-delete guard threshold: more than this many deletes needs `--allow-mass-delete`. */
export const massDeleteLimit = (managed: number): number => Math.max(10, Math.floor(managed / 10));

interface Identity {
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

function resolveIdentity(
  desired: readonly DesiredTask[],
  live: readonly LiveTask[],
  lock: Lockfile | null,
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
    if (managed.has(task.id)) continue;
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
  options: Pick<PlanOptions, 'replace'> = {},
): string[] {
  const identity = resolveIdentity(desired, live, lock);
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
const canSkipFullRead = (
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

/** Build the plan. Live tasks must carry `spec` for every id `tasksNeedingFullRead` names. */
export function planChanges(
  desired: readonly DesiredTask[],
  live: readonly LiveTask[],
  lock: Lockfile | null,
  options: PlanOptions,
): Plan {
  const identity = resolveIdentity(desired, live, lock);
  const targets = (options.targets ?? []).map(parseTargetSelector);
  const replace = new Set(options.replace ?? []);
  assertReplaceKeys(identity.desired, [...replace]);
  const warnings: string[] = [];

  const changes: PlannedChange[] = [];
  const adopted = new Set<string>();
  const runsDelta = new Map<PlannedChange, number>();
  for (const task of identity.desired) {
    const managed = identity.entries.get(task.key);
    if (managed !== undefined) {
      changes.push(planManaged(task, managed.lockKey, managed.entry, identity, replace, adopted, runsDelta));
    } else {
      if (replace.has(task.key)) {
        warnings.push(`--replace ${task.key}: the task is not managed yet, so there is nothing to replace.`);
      }
      changes.push(planUnmanaged(task, identity, adopted, runsDelta));
    }
  }
  for (const [key, entry] of identity.orphans) {
    changes.push(planDelete(key, entry, identity, options.lockFileBase ?? '', runsDelta));
  }
  changes.sort((a, b) => compareStrings(a.key, b.key));
  const selected = selectTargets(changes, targets, identity.desired, warnings);
  warnUnselectedReplacements(selected, replace, targets, identity.entries, warnings);

  const managedCount = Object.keys(lock?.tasks ?? {}).length;
  const liveIds = [...identity.liveById.keys()];
  return {
    format_version: PLAN_FORMAT_VERSION,
    origin: options.origin,
    lock: lock === null ? null : { lineage: lock.lineage, serial: lock.serial },
    manifests: options.manifests ?? { paths: [], files: [] },
    options: {
      targets: targets.map((selector) => selector.text),
      replace: [...replace].sort(compareStrings),
      allow_mass_delete: options.allowMassDelete === true,
    },
    changes: selected,
    fingerprints: fingerprintsOf(selected, identity),
    unmanaged: liveIds.filter((id) => !identity.managedIds.has(id) && !adopted.has(id)).length,
    managed: managedCount,
    summary: summarize(selected, runsDelta),
    refusals: refusalsOf(selected, managedCount, options.allowMassDelete === true),
    warnings,
  };
}

/** `--replace` may only name keys the manifests declare (else invalid input, exit 3). */
export function assertReplaceKeys(desired: readonly DesiredTask[], replace: readonly string[]): void {
  const keys = new Set(desired.map((task) => task.key));
  const unknown = [...replace].sort(compareStrings).find((key) => !keys.has(key));
  if (unknown !== undefined) {
    throw new InvalidInputError(
      `--replace ${unknown}: no manifest declares the key "${unknown}".`,
      'Name the metadata.name of a task in the manifests.',
    );
  }
}

/** The changes a targeted plan keeps (all without targets); a selector that matches nothing is worth a warning. */
function selectTargets(
  changes: PlannedChange[],
  targets: TargetSelector[],
  desired: DesiredTask[],
  warnings: string[],
): PlannedChange[] {
  if (targets.length === 0) return changes;
  const labels = new Map(desired.map((task) => [task.key, task.labels]));
  const matches = (selectors: TargetSelector[], change: PlannedChange): boolean =>
    matchesAnyTarget(selectors, change.key, labels.get(change.key)) ||
    (change.from_key !== undefined && matchesAnyTarget(selectors, change.from_key, undefined));
  for (const selector of targets) {
    if (!changes.some((change) => matches([selector], change))) {
      warnings.push(`--target ${selector.text} matched no task.`);
    }
  }
  return changes.filter((change) => matches(targets, change));
}

/**
 * `--replace KEY` with a `--target` that leaves KEY out replaces nothing: say so rather than ignore it. A key not
 * managed yet already has its own warning.
 */
function warnUnselectedReplacements(
  selected: PlannedChange[],
  replace: Set<string>,
  targets: TargetSelector[],
  managed: Identity['entries'],
  warnings: string[],
): void {
  if (targets.length === 0) return;
  const planned = new Set(selected.map((change) => change.key));
  for (const key of [...replace].sort(compareStrings)) {
    if (planned.has(key) || !managed.has(key)) continue;
    warnings.push(
      `--replace ${key} is ignored: --target ${targets.map((t) => t.text).join(', --target ')} does not select it. ` +
        `Add --target ${key} to replace it.`,
    );
  }
}

function planManaged(
  task: DesiredTask,
  lockKey: string,
  entry: LockEntry,
  identity: Identity,
  replace: Set<string>,
  adopted: Set<string>,
  runsDelta: Map<PlannedChange, number>,
): PlannedChange {
  const fromKey = lockKey === task.key ? undefined : lockKey;
  const live = identity.liveById.get(entry.id);
  const sensitive = union(task.sensitivePaths, entry.sensitive ?? []);
  if (live === undefined) {
    const twin = adoptionCandidate(task, identity, adopted);
    const change =
      twin === undefined ? createChange(task, identity, runsDelta) : adoptChange(task, twin, adopted);
    change.vanished = true;
    change.warnings.push(
      twin === undefined
        ? `managed task ${entry.id} is gone from the service (deleted outside titan?); it will be created again.`
        : `managed task ${entry.id} is gone from the service; ${twin.id}, an unmanaged task equal to the manifest, takes its place.`,
    );
    if (fromKey !== undefined) change.from_key = fromKey;
    return change;
  }
  const desiredSpec = normalizeSpec(task.spec);
  let liveSpec: TaskSpec | undefined;
  if (live.spec !== undefined) liveSpec = normalizeSpec(live.spec);
  else if (!canSkipFullRead(task, entry, live, replace)) {
    throw new Error(`planner: the full spec of task ${live.id} (${task.key}) was not read`);
  }
  const fields =
    liveSpec === undefined
      ? []
      : placeFields(diffSpecFields(liveSpec, desiredSpec, sensitive, identity.read), task);
  const drift =
    liveSpec !== undefined && fields.length > 0 && liveDiffersFromLock(entry, live.spec as TaskSpec);
  const protectField = protectChange(entry.protect, task.protect);
  let action: ChangeAction;
  if (replace.has(task.key)) action = 'replace';
  else if (fromKey !== undefined) action = 'move';
  else action = fields.length > 0 || protectField !== undefined ? 'update' : 'noop';
  const change: PlannedChange = {
    action,
    key: task.key,
    id: live.id,
    name: displayName(task),
    after: maskSensitive(desiredSpec, task.sensitivePaths),
    fields: action === 'replace' ? fields : [...fields, ...(protectField ? [protectField] : [])],
    drift,
    vanished: false,
    protect: task.protect || (action === 'replace' && entry.protect),
    warnings: [],
    source: task.source,
  };
  if (liveSpec !== undefined) change.before = maskSensitive(liveSpec, sensitive);
  if (action === 'replace') {
    change.warnings.push(
      `replaced on request (--replace ${task.key}): task ${live.id} is deleted and a new task is created; the new one gets a new id.`,
    );
  }
  if (drift)
    change.warnings.push('changed outside titan since the last apply; the plan reverts it to the manifest.');
  if (fromKey !== undefined) change.from_key = fromKey;
  runsDelta.set(
    change,
    sameSchedule(desiredSpec, live)
      ? 0
      : taskRunsPerDay(desiredSpec, identity.read) - runsOf(live, identity.read),
  );
  return change;
}

function planUnmanaged(
  task: DesiredTask,
  identity: Identity,
  adopted: Set<string>,
  runsDelta: Map<PlannedChange, number>,
): PlannedChange {
  const candidate = adoptionCandidate(task, identity, adopted);
  return candidate === undefined
    ? createChange(task, identity, runsDelta)
    : adoptChange(task, candidate, adopted);
}

/** The oldest (then smallest-id) unmanaged live task exactly equal to the manifest, not adopted by another key. */
const adoptionCandidate = (
  task: DesiredTask,
  identity: Identity,
  adopted: Set<string>,
): LiveTask | undefined =>
  (identity.unmanagedByName.get(task.spec.name) ?? []).find(
    (live) => live.spec !== undefined && !adopted.has(live.id) && specsEqual(live.spec, task.spec),
  );

function adoptChange(task: DesiredTask, candidate: LiveTask, adopted: Set<string>): PlannedChange {
  adopted.add(candidate.id);
  const after = maskSensitive(normalizeSpec(task.spec), task.sensitivePaths);
  return {
    action: 'adopt',
    key: task.key,
    id: candidate.id,
    name: displayName(task),
    before: after,
    after,
    fields: [],
    drift: false,
    vanished: false,
    protect: task.protect,
    warnings: [],
    source: task.source,
  };
}

function createChange(
  task: DesiredTask,
  identity: Identity,
  runsDelta: Map<PlannedChange, number>,
): PlannedChange {
  const spec = normalizeSpec(task.spec);
  const change: PlannedChange = {
    action: 'create',
    key: task.key,
    name: displayName(task),
    after: maskSensitive(spec, task.sensitivePaths),
    fields: placeFields(diffSpecFields(undefined, spec, task.sensitivePaths, identity.read), task),
    drift: false,
    vanished: false,
    protect: task.protect,
    warnings: [],
    source: task.source,
  };
  runsDelta.set(change, taskRunsPerDay(spec, identity.read));
  return change;
}

function planDelete(
  key: string,
  entry: LockEntry,
  identity: Identity,
  lockFileBase: string,
  runsDelta: Map<PlannedChange, number>,
): PlannedChange {
  const live = identity.liveById.get(entry.id);
  const source = {
    file: lockFileBase === '' ? entry.file : `${lockFileBase.replace(/\/$/, '')}/${entry.file}`,
  };
  const change: PlannedChange = {
    action: 'delete',
    key,
    id: entry.id,
    // The lock knows which values were secrets when they were applied: the live name may be one.
    name: isSensitivePath('/name', entry.sensitive ?? []) ? SENSITIVE : (live?.name ?? key),
    fields: [],
    drift: false,
    vanished: live === undefined,
    protect: entry.protect,
    warnings: [],
    source,
  };
  if (live === undefined) {
    change.warnings.push(
      `task ${entry.id} is already gone from the service; titan only drops it from the lockfile.`,
    );
    return change;
  }
  runsDelta.set(change, -runsOf(live, identity.read));
  if (live.spec !== undefined) {
    change.before = maskSensitive(normalizeSpec(live.spec), entry.sensitive ?? []);
    change.drift = liveDiffersFromLock(entry, live.spec);
    if (change.drift) change.warnings.push('changed outside titan since the last apply.');
  }
  return change;
}

/** Field changes with the line (and column) where the manifest writes each field, when it does. */
function placeFields(fields: FieldChange[], task: DesiredTask): FieldChange[] {
  const sources = task.fieldSources;
  if (sources === undefined) return fields;
  return fields.map((change) => {
    const at = sources[change.field as TaskSpecField];
    return at === undefined ? change : { ...change, line: at.line, column: at.column };
  });
}

function protectChange(before: boolean, after: boolean): FieldChange | undefined {
  if (before === after) return undefined;
  return {
    field: `${METADATA_FIELD_PREFIX}protect`,
    before,
    after,
    sensitive: false,
    notes: [after ? 'titan will refuse to delete this task' : 'titan will allow deleting this task'],
  };
}

const displayName = (task: DesiredTask): string =>
  task.sensitivePaths.includes('/name') ? SENSITIVE : task.spec.name;

/** Unchanged schedules change no runs/day: skip reading them (a cron parse per task adds up at 10,000 tasks). */
const sameSchedule = (spec: TaskSpec, live: LiveTask): boolean => {
  const current = live.spec ?? { execution_type: live.execution_type, schedule: live.schedule };
  const schedule = (s: string | undefined): string | undefined =>
    s === undefined ? undefined : normalizeSchedule(s);
  return (
    spec.execution_type === current.execution_type && schedule(spec.schedule) === schedule(current.schedule)
  );
};

const runsOf = (live: LiveTask, read: ScheduleReader): number =>
  live.spec !== undefined
    ? taskRunsPerDay(live.spec, read)
    : taskRunsPerDay(
        { execution_type: live.execution_type as TaskSpec['execution_type'], schedule: live.schedule },
        read,
      );

function fingerprintsOf(changes: PlannedChange[], identity: Identity): TaskFingerprint[] {
  const out: TaskFingerprint[] = [];
  for (const change of changes) {
    if (change.action === 'noop' || change.id === undefined || change.vanished) continue;
    const live = identity.liveById.get(change.id);
    if (live !== undefined) out.push({ key: change.key, id: live.id, updated_at: live.updated_at });
  }
  return out;
}

function summarize(changes: PlannedChange[], runsDelta: Map<PlannedChange, number>): PlanSummary {
  const counts = Object.fromEntries(CHANGE_ACTIONS.map((action) => [action, 0])) as Record<
    ChangeAction,
    number
  >;
  let breaking = 0;
  for (const change of changes) {
    counts[change.action] += 1;
    breaking += change.fields.filter((field) => field.compatibility === 'breaking').length;
  }
  return {
    ...counts,
    breaking,
    runs_per_day_delta: roundRunsData(changes.reduce((sum, change) => sum + (runsDelta.get(change) ?? 0), 0)),
    drifted: changes.filter((change) => change.drift).length,
    vanished: changes.filter((change) => change.vanished).length,
  };
}

function refusalsOf(changes: PlannedChange[], managed: number, allowMassDelete: boolean): PlanRefusal[] {
  const refusals: PlanRefusal[] = [];
  const protectedChanges = changes.filter((change) => change.protect && isDestructive(change));
  if (protectedChanges.length > 0) {
    const verb = protectedChanges.every((c) => c.action === 'replace') ? 'replace' : 'delete';
    refusals.push({
      reason: 'protected',
      keys: protectedChanges.map((change) => change.key),
      message: `Refusing to ${verb} protected task${protectedChanges.length > 1 ? 's' : ''}: ${protectedChanges.map((c) => `${c.key} (${c.id})`).join(', ')}.`,
      hint:
        'A task with protect: true (kept in titan.lock even after its manifest is removed) is never deleted or replaced. ' +
        'To do it: set protect: false in its manifest (restore the manifest if you removed it), run titan apply, then make the change.',
    });
  }
  const deletes = changes.filter((change) => change.action === 'delete' && !change.vanished);
  const limit = massDeleteLimit(managed);
  const remaining =
    managed -
    changes.filter((change) => change.action === 'delete').length +
    changes.filter((change) => change.action === 'create' && !change.vanished).length +
    changes.filter((change) => change.action === 'adopt' && !change.vanished).length;
  const empties = deletes.length > 0 && remaining <= 0;
  if (!allowMassDelete && (deletes.length > limit || empties)) {
    refusals.push({
      reason: 'mass-delete',
      keys: deletes.map((change) => change.key),
      message: empties
        ? `Refusing to delete every managed task (${deletes.length}): the plan would empty the workspace.`
        : `Refusing to delete ${deletes.length} of ${managed} managed tasks (the limit without --allow-mass-delete is ${limit}).`,
      hint:
        'If the manifests were not found, check the paths given to titan. ' +
        'If the deletions are intended, run again with --allow-mass-delete.',
    });
  }
  return refusals;
}

const union = (a: readonly string[], b: readonly string[]): string[] =>
  [...new Set([...a, ...b])].sort(compareStrings);
