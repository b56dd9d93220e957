/**
 * The task model shared by every layer. One `TaskSpec` type describes both desired state (from manifests) and
 * live state (from the API); `task-body.ts` is the one place that maps API bodies to specs and back.
 */
import type { SourceLocation } from './diagnostics.js';
import type { JsonObject } from './json.js';

export const EXECUTION_TYPES = ['single', 'scheduled'] as const;
export type ExecutionType = (typeof EXECUTION_TYPES)[number];
export const ACTION_TYPES = ['search', 'crawl', 'scrape', 'api_call'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export const INPUT_SOURCES = ['static_urls', 'previous_step', 'task_url_inventory'] as const;
export type InputSource = (typeof INPUT_SOURCES)[number];
export const TASK_STATUSES = ['active', 'paused', 'completed', 'failed', 'deleted'] as const;

export interface ExecutionStep {
  action_type: ActionType;
  input_source: InputSource;
  template_slug?: string;
  limits?: JsonObject;
  payload?: JsonObject;
  output_schema?: JsonObject;
}

/** The writable body of a task (titan-api.md A2). Absent optional fields are absent, never `undefined`-valued. */
export interface TaskSpec {
  name: string;
  execution_type: ExecutionType;
  urls?: string[];
  objective?: string;
  output_schema?: JsonObject;
  schedule?: string;
  proxy_locations?: string[];
  template_id?: string;
  template_slug?: string;
  script_id?: string;
  script_version?: string;
  action_type?: ActionType;
  input_source?: InputSource;
  limits?: JsonObject;
  payload?: JsonObject;
  execution_plan?: { steps: ExecutionStep[] };
}

/** Every writable field, in the order titan shows them. */
export const TASK_SPEC_FIELDS = [
  'name',
  'execution_type',
  'schedule',
  'urls',
  'objective',
  'output_schema',
  'proxy_locations',
  'template_id',
  'template_slug',
  'script_id',
  'script_version',
  'action_type',
  'input_source',
  'limits',
  'payload',
  'execution_plan',
] as const satisfies readonly (keyof TaskSpec)[];
export type TaskSpecField = (typeof TASK_SPEC_FIELDS)[number];

/** A task as read from the service. `spec` is absent when the list returned a summary item. */
export interface LiveTask {
  id: string;
  status: string;
  created_at: string;
  updated_at: string;
  name: string;
  execution_type?: string;
  schedule?: string;
  spec?: TaskSpec;
}

/** A task as described by a manifest document. */
export interface DesiredTask {
  /** `metadata.name`: the stable identity in the workspace. */
  key: string;
  spec: TaskSpec;
  labels: Record<string, string>;
  previousNames: string[];
  protect: boolean;
  /** Where the document starts (for plan and annotation output). */
  source: SourceLocation;
  /**
   * Where each `spec` field written in the manifest is (its key, in `source.file`), so plans and annotations can
   * point at the changed field rather than the document. A `$ref`-bundled output schema is placed at its
   * `output_schema:` key. Fields the manifest does not write (a defaulted `name`) have none.
   */
  fieldSources?: Partial<Record<TaskSpecField, { line: number; column: number }>>;
  /**
   * JSON pointers into `spec` (`/payload/api_key`) whose values came from `${env:…}` interpolation. They are
   * shown as `(sensitive)` everywhere and never written to the lockfile or a plan file.
   */
  sensitivePaths: string[];
}
