/**
 * Normalisation applied to desired and live specs before they are compared, so that "apply, then plan" is always
 * empty. Rules (documented for users in the plan reference):
 * - server-owned and unknown fields are already dropped by `specFromBody`; `null` means absent;
 * - an empty optional list (`proxy_locations: []`) or an empty free object (`limits: {}`, `payload: {}`, also
 *   inside `execution_plan` steps) means the same as leaving the field out;
 * - a schedule's spacing is not significant (`0  *  * * *` equals `0 * * * *`);
 * - object key order never matters (`deepEqual` ignores it).
 * Everything else is compared exactly: strings are not trimmed, list order is kept (URL order is the crawl order).
 */
import { deepEqual, isJsonObject, type JsonValue } from '../json.js';
import { digestSpec } from '../lock/digest.js';
import type { LockEntry } from '../lock/model.js';
import type { ExecutionStep, TaskSpec } from '../model.js';

const EMPTY_MEANS_ABSENT = ['proxy_locations', 'limits', 'payload'];
const STEP_EMPTY_MEANS_ABSENT = ['limits', 'payload'];

export function normalizeSpec(spec: TaskSpec): TaskSpec {
  const out = withoutAbsent(spec, EMPTY_MEANS_ABSENT);
  if (typeof out.schedule === 'string') out.schedule = normalizeSchedule(out.schedule);
  if (spec.execution_plan !== undefined) {
    out.execution_plan = { steps: spec.execution_plan.steps.map(normalizeStep) } as unknown as JsonValue;
  }
  return out as unknown as TaskSpec;
}

export const normalizeSchedule = (schedule: string): string => schedule.trim().split(/\s+/).join(' ');

const normalizeStep = (step: ExecutionStep): ExecutionStep =>
  withoutAbsent(step, STEP_EMPTY_MEANS_ABSENT) as unknown as ExecutionStep;

/** A copy without `undefined`/`null` fields, nor empty ones among `emptyMeansAbsent`. */
function withoutAbsent(from: object, emptyMeansAbsent: readonly string[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [field, value] of Object.entries(from) as [string, JsonValue | undefined][]) {
    if (value === undefined || value === null) continue;
    if (emptyMeansAbsent.includes(field) && isEmpty(value)) continue;
    out[field] = value;
  }
  return out;
}

const isEmpty = (value: JsonValue): boolean =>
  (Array.isArray(value) && value.length === 0) || (isJsonObject(value) && Object.keys(value).length === 0);

/** Do two specs describe the same task? Real (unmasked) values are compared. */
export const specsEqual = (a: TaskSpec, b: TaskSpec): boolean =>
  deepEqual(normalizeSpec(a), normalizeSpec(b));

/**
 * The digest `titan apply` records in the lock for a spec it applied: the normalised spec with sensitive values
 * masked. The planner compares it with the lock to skip full reads and to detect drift.
 */
export const appliedDigest = (spec: TaskSpec, sensitivePaths: readonly string[] = []): string =>
  digestSpec(normalizeSpec(spec), sensitivePaths);

/**
 * Has the live task changed since titan last applied it? Both the normalised and the raw digest are accepted, so a
 * lock written from the exact spec sent also matches.
 */
export function liveDiffersFromLock(entry: LockEntry, liveSpec: TaskSpec): boolean {
  const sensitive = entry.sensitive ?? [];
  return (
    appliedDigest(liveSpec, sensitive) !== entry.digest && digestSpec(liveSpec, sensitive) !== entry.digest
  );
}
