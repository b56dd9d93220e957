/**
 * The one `Plan` type (design.md §6): a versioned, serialisable object. Text, markdown and JSON are renderings
 * of it; `apply PLANFILE` executes exactly its changes. It never holds a sensitive value: those are replaced by
 * `SENSITIVE` before a plan leaves the planner.
 */
import type { SourceLocation } from '../diagnostics.js';
import type { JsonValue } from '../json.js';
import type { TaskSpec } from '../model.js';

export const PLAN_FORMAT_VERSION = 1;
export const SENSITIVE = '(sensitive)';

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'adopt' | 'move' | 'noop';

export interface FieldChange {
  /** Top-level spec field, or a JSON pointer below it (`/output_schema`). */
  field: string;
  before?: JsonValue;
  after?: JsonValue;
  /** The value came from `${env:…}`: before/after are `SENSITIVE`. */
  sensitive: boolean;
  /** For `output_schema`: does the change break consumers of the results? */
  compatibility?: 'breaking' | 'compatible';
  /** Human notes: why breaking, the schedule's reading and runs/day, … */
  notes: string[];
}

export interface PlannedChange {
  action: ChangeAction;
  key: string;
  /** Remote id: absent only for `create` (and `replace` gets a new one). */
  id?: string;
  /** For `move`: the key the lock knew it under. */
  fromKey?: string;
  /** Spec before (live) and after (desired), sensitive values masked. */
  before?: TaskSpec;
  after?: TaskSpec;
  fields: FieldChange[];
  /** The live task differs from what titan last applied (changed outside titan). */
  drift: boolean;
  protect: boolean;
  warnings: string[];
  /** Manifest location of the desired task (absent for deletes of removed manifests: then the lock's file). */
  source?: Partial<SourceLocation> & { file: string };
}

/** What a saved plan checks before applying: the task must still be exactly as planned. */
export interface TaskFingerprint {
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
  breaking: number;
  /** Change in scheduled runs per day across all tasks (after − before). */
  runsPerDayDelta: number;
  drifted: number;
}

export interface Plan {
  format_version: typeof PLAN_FORMAT_VERSION;
  /** API origin the plan was made against. */
  origin: string;
  /** Lock the plan was made from; null when the workspace had no lockfile yet. */
  lock: { lineage: string; serial: number } | null;
  changes: PlannedChange[];
  fingerprints: TaskFingerprint[];
  /** Live tasks titan does not manage (not shown; see `titan import`). */
  unmanaged: number;
  summary: PlanSummary;
  warnings: string[];
}

export const hasChanges = (plan: Plan): boolean => plan.changes.some((change) => change.action !== 'noop');
