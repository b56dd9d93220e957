/**
 * `plan --check-history[=N]`: for each update whose `output_schema` changes (a multi-step task's last step's
 * included), the records of the task's last N completed executions are checked against the NEW schema, so a
 * reviewer sees "37 of 100 recent records would fail the new schema" before merging. Bounded: one list and at most
 * N exports per such task (each export stopped after `MAX_RECORDS_PER_EXECUTION` records), a few at a time. A
 * failed read is a warning on that change — never a failed plan, never silence.
 */
import type { HistoryCheck } from '../core/evidence/model.js';
import { sensitiveValuesOf } from '../core/evidence/redact.js';
import { recordSchemaOf } from '../core/evidence/sample.js';
export { DEFAULT_HISTORY_EXECUTIONS } from '../core/evidence/sample.js';
import { groupViolations, type RecordError } from '../core/evidence/violations.js';
import { deepEqual, type JsonObject } from '../core/json.js';
import type { DesiredTask } from '../core/model.js';
import type { Plan, PlannedChange } from '../core/plan/model.js';
import type { Execution, TaskServiceClient } from '../core/service/types.js';
import type { RecordSchemas } from '../io/record-schemas.js';
import { mapBounded } from './bounded.js';
import { readRecords } from './read-records.js';

/** Executions listed to find the last N completed ones (one request). */
const LIST_LIMIT = 25;
export const MAX_RECORDS_PER_EXECUTION = 1000;
/** Updates checked per plan; more are named in a warning. */
export const MAX_HISTORY_TASKS = 25;
const CONCURRENCY = 4;

const WITH_RECORDS = new Set(['completed', 'completed_with_errors']);

export interface HistoryDeps {
  client: TaskServiceClient;
  schemas: RecordSchemas;
}

/** The updates whose record schema changes: what the check reads, in plan order. */
export function historyCandidates(plan: Plan): PlannedChange[] {
  return plan.changes.filter(
    (change) =>
      change.action === 'update' &&
      change.id !== undefined &&
      change.before !== undefined &&
      change.after !== undefined &&
      !deepEqual(recordSchemaOf(change.before), recordSchemaOf(change.after)),
  );
}

export async function annotateHistory(
  deps: HistoryDeps,
  plan: Plan,
  desired: ReadonlyMap<string, DesiredTask>,
  executions: number,
): Promise<Plan> {
  const candidates = historyCandidates(plan);
  if (candidates.length === 0 || executions <= 0) return plan;
  const checked = candidates.slice(0, MAX_HISTORY_TASKS);
  const histories = await mapBounded(checked, CONCURRENCY, (change) =>
    checkHistory(deps, change, desired.get(change.key), executions),
  );
  const byKey = new Map(checked.map((change, i) => [change.key, histories[i] as HistoryCheck]));
  const skipped = candidates.length - checked.length;
  return {
    ...plan,
    changes: plan.changes.map((change) => {
      const history = byKey.get(change.key);
      return history === undefined ? change : { ...change, history };
    }),
    warnings: [
      ...plan.warnings,
      ...(skipped > 0
        ? [
            `${skipped} more output_schema change(s) were not checked against recent records (at most ${MAX_HISTORY_TASKS} per plan).`,
          ]
        : []),
    ],
  };
}

async function checkHistory(
  deps: HistoryDeps,
  change: PlannedChange,
  task: DesiredTask | undefined,
  asked: number,
): Promise<HistoryCheck> {
  const history: HistoryCheck = {
    executions_asked: asked,
    executions_read: 0,
    check: { records: 0, failing: 0, violations: [], more_groups: 0 },
    requests: 0,
    errors: [],
  };
  // The real desired schema (the plan's copy is masked); a schema change never hides behind a sensitive value.
  const schema = recordSchemaOf(task?.spec ?? (change.after as NonNullable<PlannedChange['after']>));
  if (schema === undefined) return history;
  let validate: (record: unknown) => RecordError[];
  try {
    validate = deps.schemas.validatorFor(schema as JsonObject);
  } catch (error) {
    history.errors.push(`the new output_schema does not compile: ${(error as Error).message}`);
    return history;
  }
  let recent: Execution[];
  try {
    history.requests++;
    const page = await deps.client.readTaskExecutionsPage(change.id as string, LIST_LIMIT);
    recent = page.executions
      .filter((execution) => WITH_RECORDS.has(execution.status))
      .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
      .slice(0, asked);
  } catch (error) {
    history.errors.push(`could not list its executions: ${(error as Error).message}`);
    return history;
  }
  const reads = await mapBounded(recent, 2, async (execution) => {
    history.requests++;
    try {
      return await readRecords(deps.client, execution.id, MAX_RECORDS_PER_EXECUTION);
    } catch (error) {
      history.errors.push(
        `could not read the records of execution ${execution.id}: ${(error as Error).message}`,
      );
      return undefined;
    }
  });
  const records: unknown[] = [];
  for (const read of reads) {
    if (read === undefined) continue;
    history.executions_read++;
    if (read.truncated) history.truncated = true;
    records.push(...read.records);
  }
  history.errors.sort();
  history.check = groupViolations(records.map(validate), {
    sensitiveValues: task ? sensitiveValuesOf(task.spec, task.sensitivePaths) : [],
  });
  return history;
}
