/**
 * Field-level differences between two (normalised) specs, as a reviewer reads them: values masked where they are
 * sensitive, `output_schema` changes classified, schedules read aloud with their runs per day.
 */
import { deepEqual, isJsonObject, parsePointer, valueAt, type JsonValue } from '../json.js';
import { TASK_SPEC_FIELDS, type TaskSpec } from '../model.js';
import { isSensitivePath, maskSensitive } from '../sensitive.js';
import { readSchedule, runsPerDayText, taskRunsPerDay, type ScheduleReader } from './cron.js';
import type { FieldChange } from './model.js';
import { classifySchemaChange } from './schema-compat.js';

/**
 * Every field that differs between `before` (live) and `after` (desired), in `TASK_SPEC_FIELDS` order. Equality
 * is decided on the real values; what is recorded is masked with `sensitivePaths`. With `before` undefined
 * (a create) every field of `after` is listed.
 */
export function diffSpecFields(
  before: TaskSpec | undefined,
  after: TaskSpec | undefined,
  sensitivePaths: readonly string[],
  read: ScheduleReader = readSchedule,
): FieldChange[] {
  const maskedBefore = before && maskSensitive(before, sensitivePaths);
  const maskedAfter = after && maskSensitive(after, sensitivePaths);
  const changes: FieldChange[] = [];
  for (const field of TASK_SPEC_FIELDS) {
    const realBefore = before?.[field] as JsonValue | undefined;
    const realAfter = after?.[field] as JsonValue | undefined;
    if (deepEqual(realBefore, realAfter)) continue;
    const paths = sensitivePaths.filter((p) => p === `/${field}` || p.startsWith(`/${field}/`));
    const change: FieldChange = { field, sensitive: paths.length > 0, notes: [] };
    const shownBefore = maskedBefore?.[field] as JsonValue | undefined;
    const shownAfter = maskedAfter?.[field] as JsonValue | undefined;
    if (shownBefore !== undefined) change.before = shownBefore;
    if (shownAfter !== undefined) change.after = shownAfter;
    if (before !== undefined && after !== undefined && paths.length > 0) {
      // Which secrets differ is worth saying (drift reports it too), even when other parts changed as well.
      const differing = paths.filter(
        (p) => !deepEqual(valueAt(before, parsePointer(p)), valueAt(after, parsePointer(p))),
      );
      if (differing.length > 0) {
        change.sensitive_changed = differing;
        change.notes.push(`sensitive value changed: ${differing.join(', ')}`);
      }
    }
    if (before !== undefined) classifyOutput(field, shownBefore, shownAfter, change);
    changes.push(change);
  }
  addScheduleNotes(before, after, changes, sensitivePaths, read);
  return changes;
}

/** `output_schema`, and the last step's output schema of a multi-step plan (what the task's results follow). */
function classifyOutput(
  field: string,
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  change: FieldChange,
): void {
  let verdict;
  let prefix = '';
  if (field === 'output_schema') verdict = classifySchemaChange(before, after);
  else if (field === 'execution_plan') {
    const from = lastStepSchema(before);
    const to = lastStepSchema(after);
    if (deepEqual(from, to)) return;
    verdict = classifySchemaChange(from, to);
    prefix = 'last step output_schema: ';
  } else return;
  change.compatibility = verdict.compatibility;
  change.notes.push(...verdict.breaking.map((reason) => `${BREAKING}${prefix}${reason}`));
  change.notes.push(...verdict.compatible.map((reason) => `compatible: ${prefix}${reason}`));
}

function lastStepSchema(plan: JsonValue | undefined): JsonValue | undefined {
  if (!isJsonObject(plan)) return undefined;
  const steps = plan.steps;
  if (!Array.isArray(steps) || steps.length === 0) return undefined;
  const last = steps[steps.length - 1];
  return isJsonObject(last) ? last.output_schema : undefined;
}

/**
 * The reading of the schedule before and after, on the `schedule` field change (or `execution_type`, when only
 * that changed): "every hour at :00 (24 runs/day) -> every 20 minutes (72 runs/day): +48 runs/day". Nothing when
 * the schedule or the execution type is sensitive: a reading would show the value.
 */
function addScheduleNotes(
  before: TaskSpec | undefined,
  after: TaskSpec | undefined,
  changes: FieldChange[],
  sensitivePaths: readonly string[],
  read: ScheduleReader,
): void {
  const target =
    changes.find((c) => c.field === 'schedule') ?? changes.find((c) => c.field === 'execution_type');
  if (target === undefined) return;
  if (isSensitivePath('/schedule', sensitivePaths) || isSensitivePath('/execution_type', sensitivePaths))
    return;
  const from = before && scheduleWords(before, read);
  const to = after && scheduleWords(after, read);
  if (before === undefined) {
    if (to !== undefined && after?.execution_type === 'scheduled') target.notes.push(to);
    return;
  }
  const delta = (after ? taskRunsPerDay(after, read) : 0) - taskRunsPerDay(before, read);
  const runs = delta === 0 ? '' : `: ${runsPerDayText(delta, true)}`;
  target.notes.push(`${from ?? 'not scheduled'} -> ${to ?? 'not scheduled'}${runs}`);
}

/** "every day at 06:00 UTC (1 run/day)"; undefined when the spec is not scheduled or the cron does not parse. */
export function scheduleWords(
  spec: Pick<TaskSpec, 'execution_type' | 'schedule'>,
  read: ScheduleReader = readSchedule,
): string | undefined {
  if (spec.execution_type !== 'scheduled' || spec.schedule === undefined) return undefined;
  const reading = read(spec.schedule);
  return reading && `${reading.reading} (${runsPerDayText(reading.runsPerDay)})`;
}

const BREAKING = 'breaking: ';

/** Why a field's change is breaking, one reason per note (what the plan's renderings list). */
export const breakingReasons = (field: FieldChange): string[] =>
  field.notes.filter((note) => note.startsWith(BREAKING)).map((note) => note.slice(BREAKING.length));
