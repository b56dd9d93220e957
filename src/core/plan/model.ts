/**
 * The one `Plan` type (design.md §6): a versioned, serialisable object. Text, markdown and JSON are renderings
 * of it; `apply PLANFILE` executes exactly its changes. It never holds a sensitive value: those are replaced by
 * `SENSITIVE` (src/core/sensitive.ts) before a plan leaves the planner. Its field names are its JSON names, snake_case throughout (a saved
 * plan is read back as this type without any mapping).
 */
import type { SourceLocation } from '../diagnostics.js';
import type { DeleteImpact, HistoryCheck } from '../evidence/model.js';
import type { JsonValue } from '../json.js';
import type { TaskSpec } from '../model.js';

export const PLAN_FORMAT_VERSION = 1;

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'adopt' | 'move' | 'noop';

/** Order in which summaries count actions. */
export const CHANGE_ACTIONS: readonly ChangeAction[] = [
  'create',
  'update',
  'replace',
  'delete',
  'adopt',
  'move',
  'noop',
];

/**
 * Field changes named `metadata.*` (only `metadata.protect` today) live in the lockfile, not on the service: an
 * `update` whose fields are all metadata needs no API write, only a new lock entry.
 */
export const METADATA_FIELD_PREFIX = 'metadata.';

export interface FieldChange {
  /** Top-level spec field (`output_schema`), or `metadata.protect` for the lock-only protection flag. */
  field: string;
  /** Absent when the field is absent on that side. */
  before?: JsonValue;
  after?: JsonValue;
  /** A value at or below this field came from `${env:…}`: it is shown as `SENSITIVE`. */
  sensitive: boolean;
  /**
   * JSON pointers of the sensitive values under this field whose real values differ (compared unmasked, never
   * shown). Absent when none differs, and on creates.
   */
  sensitive_changed?: string[];
  /** For `output_schema` (and a multi-step plan's last step): does the change break consumers of the results? */
  compatibility?: 'breaking' | 'compatible';
  /** Human notes: why breaking, the schedule's reading and runs/day, … */
  notes: string[];
  /**
   * Where the field is written in the change's manifest (`source.file`), 1-based: absent when the manifest does
   * not write it (a removed field, a delete, `metadata.protect`).
   */
  line?: number;
  column?: number;
}

export interface PlannedChange {
  action: ChangeAction;
  key: string;
  /**
   * Remote id of the live task the change acts on: absent for `create`; for `replace` the task to delete before
   * creating its successor.
   */
  id?: string;
  /** The lock key the task was known under (`move`, or a `create`/`replace` of a renamed task): apply drops it. */
  from_key?: string;
  /** The Titan task name (`spec.name`), for display. */
  name: string;
  /** Spec before (live, when read) and after (desired), normalised, sensitive values masked. */
  before?: TaskSpec;
  after?: TaskSpec;
  fields: FieldChange[];
  /** The live task differs from what titan last applied (changed outside titan) and from the manifest. */
  drift: boolean;
  /** A managed task whose id is no longer on the service (a `create` recreates it; a `delete` only drops it). */
  vanished: boolean;
  protect: boolean;
  warnings: string[];
  /** Manifest location of the desired task (for deletes of removed manifests: the lock's file, no line). */
  source?: Partial<SourceLocation> & { file: string };
  /** Delete and replace: what the task's deletion throws away, read from the service after planning. */
  impact?: DeleteImpact;
  /** An update changing `output_schema` (plan --check-history): its recent records against the new schema. */
  history?: HistoryCheck;
}

/** What a saved plan checks before applying: the task must still be exactly as planned. */
export interface TaskFingerprint {
  key: string;
  id: string;
  updated_at: string;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  adopt: number;
  move: number;
  noop: number;
  /** Breaking `output_schema` changes. */
  breaking: number;
  /**
   * Change in scheduled runs per day across all changes (after − before): the exact averages summed, then rounded
   * to 6 decimals only to drop floating-point noise. Renderers round for display.
   */
  runs_per_day_delta: number;
  drifted: number;
  vanished: number;
}

/** A safety guard the plan trips: `titan plan` shows the plan and exits 4; `apply` refuses before any write. */
export interface PlanRefusal {
  reason: 'protected' | 'mass-delete';
  keys: string[];
  message: string;
  hint: string;
}

export interface Plan {
  format_version: typeof PLAN_FORMAT_VERSION;
  /** API origin the plan was made against. */
  origin: string;
  /** Lock the plan was made from; null when the workspace had no lockfile yet. */
  lock: { lineage: string; serial: number } | null;
  /** What produced the plan, so a saved plan can be re-checked: paths and files relative to the workspace. */
  manifests: { paths: string[]; files: string[] };
  options: { targets: string[]; replace: string[]; allow_mass_delete: boolean };
  /** Sorted by key. */
  changes: PlannedChange[];
  fingerprints: TaskFingerprint[];
  /** Live tasks titan does not manage (not shown; see `titan import`). */
  unmanaged: number;
  /** Tasks in the lock when the plan was made. */
  managed: number;
  summary: PlanSummary;
  refusals: PlanRefusal[];
  warnings: string[];
}

export const hasChanges = (plan: Plan): boolean => plan.changes.some((change) => change.action !== 'noop');

/** Does applying this change call the Task Service? (`noop`, `adopt` and lock-only updates do not.) */
export function needsApiWrite(change: PlannedChange): boolean {
  if (change.action === 'noop' || change.action === 'adopt') return false;
  if (change.action === 'delete') return !change.vanished;
  if (change.action === 'update' || change.action === 'move') {
    return change.fields.some((field) => !field.field.startsWith(METADATA_FIELD_PREFIX));
  }
  return true;
}

/** Changes a reviewer must not miss: anything that deletes a live task. */
export const isDestructive = (change: PlannedChange): boolean =>
  (change.action === 'delete' && !change.vanished) || change.action === 'replace';

export const isBreaking = (change: PlannedChange): boolean =>
  change.fields.some((field) => field.compatibility === 'breaking');
