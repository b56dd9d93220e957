/**
 * One planned change per task: a managed task (update, move, replace, noop — or recreate/adopt when it vanished),
 * an unmanaged one (adopt or create), a lock entry without a manifest (delete). Each builder records the change's
 * runs/day delta in `runsDelta` for the summary.
 */
import type { LockEntry } from '../lock/model.js';
import type { DesiredTask, LiveTask, TaskSpec, TaskSpecField } from '../model.js';
import { isSensitivePath, maskSensitive, SENSITIVE } from '../sensitive.js';
import { compareStrings } from '../json.js';
import { taskRunsPerDay, type ScheduleReader } from './cron.js';
import { diffSpecFields } from './fields.js';
import { adoptionCandidate, canSkipFullRead, type Identity } from './identity.js';
import { METADATA_FIELD_PREFIX, type ChangeAction, type FieldChange, type PlannedChange } from './model.js';
import { liveDiffersFromLock, normalizeSchedule, normalizeSpec } from './normalize.js';

/** What the change builders share while one plan is made. */
export interface ChangeContext {
  identity: Identity;
  replace: Set<string>;
  /** Live ids adopted so far: each live task is adopted at most once. */
  adopted: Set<string>;
  runsDelta: Map<PlannedChange, number>;
}

export function planManaged(
  task: DesiredTask,
  lockKey: string,
  entry: LockEntry,
  context: ChangeContext,
): PlannedChange {
  const { identity, replace, adopted, runsDelta } = context;
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

export function planUnmanaged(task: DesiredTask, context: ChangeContext): PlannedChange {
  const candidate = adoptionCandidate(task, context.identity, context.adopted);
  return candidate === undefined
    ? createChange(task, context.identity, context.runsDelta)
    : adoptChange(task, candidate, context.adopted);
}

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

export function planDelete(
  key: string,
  entry: LockEntry,
  lockFileBase: string,
  context: ChangeContext,
): PlannedChange {
  const { identity, runsDelta } = context;
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

const union = (a: readonly string[], b: readonly string[]): string[] =>
  [...new Set([...a, ...b])].sort(compareStrings);
