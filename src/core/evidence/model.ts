/**
 * Evidence for reviewers (pure data): what a test run of a task found, what recent records say about a changed
 * `output_schema`, what a delete throws away. Every number in them comes from the service.
 */
import type { JsonValue } from '../json.js';

/** One kind of schema violation across records: `$.price` must be number (got string) ×37. */
export interface ViolationGroup {
  /** JSONPath-like location, array indices folded to `[*]`: `$.offers[*].price`. */
  path: string;
  /** What is wrong, for a person: `must be number (got string)`. */
  message: string;
  /** Records with this violation. */
  count: number;
  /** The offending value of one such record (absent for a missing property), redacted and cut. */
  example?: JsonValue;
}

/** The records of one or more executions checked against a schema. */
export interface RecordCheck {
  records: number;
  /** Records with at least one violation. */
  failing: number;
  /** Most frequent first, then by path; at most `MAX_GROUPS` (`more_groups` counts the rest). */
  violations: ViolationGroup[];
  more_groups: number;
}

/** What a plan shows for a task it deletes or replaces (one bounded read of its executions). */
export interface DeleteImpact {
  /** Executions on the service; with `executions_at_least`, the page was full and the service gave no total. */
  executions: number;
  executions_at_least?: boolean;
  /** `created_at` of the newest execution (null: never ran). */
  last_run_at: string | null;
  last_run_status?: string;
  /** A scheduled task whose live status is active: it stops running when deleted. */
  schedule_active: boolean;
  /** The read failed: the impact is unknown (shown as a warning, never silence). */
  error?: string;
}

/** Recent records of a task checked against the new `output_schema` of an update. */
export interface HistoryCheck {
  /** Completed executions asked for (N); the new schema checked is the last step's for a multi-step task. */
  executions_asked: number;
  executions_read: number;
  check: RecordCheck;
  /** Requests the check made: one list, and at most one export per execution. */
  requests: number;
  /** An execution held more records than are read per execution: its first ones were checked. */
  truncated?: boolean;
  /** Reads that failed (a warning on the change, never a failed plan). */
  errors: string[];
}

export const TEST_STATUSES = ['passed', 'failed', 'no-records', 'execution-failed'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** One task's test run. */
export interface TaskTestResult {
  key: string;
  /** The plan's action that made it a candidate (create, update, replace), or `selected` with --all/--target. */
  reason: string;
  status: TestStatus;
  /** Manifest location (`file:line`). */
  source?: string;
  urls_total: number;
  urls_tested: number;
  execution_id?: string;
  execution_status?: string;
  /** The execution's or titan's error text when it did not complete. */
  error?: string;
  /** Absent when no records were checked (execution failed, no schema). */
  check?: RecordCheck;
  /** The task has no `output_schema` of its own (search, crawl, api_call, template defaults): records unchecked. */
  unchecked?: boolean;
  /** A few records as returned, sensitive values redacted and long values cut. */
  samples: JsonValue[];
}

export interface TestReport {
  format_version: 1;
  origin: string;
  sample_size: number;
  budget: number | null;
  urls: number;
  tasks: TaskTestResult[];
  summary: Record<TestStatus, number>;
  /** Temporary tasks of an earlier interrupted run deleted first, and anything else worth a line. */
  notes: string[];
}
