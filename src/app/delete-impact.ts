/**
 * What a delete throws away, read from the service after planning (the planner is pure): for each task the plan
 * deletes or replaces, one read of its newest executions gives their count and when it last ran; the live task
 * says whether its schedule is active. A failed read is shown on that change, never a failed plan.
 */
import type { DeleteImpact } from '../core/evidence/model.js';
import type { LiveTask } from '../core/model.js';
import { isDestructive, type Plan, type PlannedChange } from '../core/plan/model.js';
import type { TaskServiceClient } from '../core/service/types.js';
import { mapBounded } from './bounded.js';

/** Executions asked for in the one read per task: the count is exact up to this even without a total. */
export const IMPACT_PAGE = 100;
/** Tasks whose impact is read; a plan deleting more names the rest in a warning. */
export const MAX_IMPACT_READS = 200;
const CONCURRENCY = 4;

export async function annotateDeleteImpact(
  client: TaskServiceClient,
  plan: Plan,
  live: ReadonlyMap<string, LiveTask>,
): Promise<Plan> {
  const targets = plan.changes.filter((change) => isDestructive(change) && change.id !== undefined);
  if (targets.length === 0) return plan;
  const read = targets.slice(0, MAX_IMPACT_READS);
  const impacts = await mapBounded(read, CONCURRENCY, (change) =>
    readImpact(client, change.id as string, live.get(change.id as string)),
  );
  const byKey = new Map(read.map((change, i) => [change.key, impacts[i] as DeleteImpact]));
  const warnings =
    targets.length > read.length
      ? [
          `What ${targets.length - read.length} more deleted or replaced task(s) throw away was not read ` +
            `(at most ${MAX_IMPACT_READS} per plan).`,
        ]
      : [];
  return {
    ...plan,
    changes: plan.changes.map((change): PlannedChange => {
      const impact = byKey.get(change.key);
      return impact === undefined ? change : { ...change, impact };
    }),
    warnings: [...plan.warnings, ...warnings],
  };
}

async function readImpact(
  client: TaskServiceClient,
  id: string,
  task: LiveTask | undefined,
): Promise<DeleteImpact> {
  const scheduleActive =
    (task?.spec?.execution_type ?? task?.execution_type) === 'scheduled' && task?.status === 'active';
  try {
    const { executions, total } = await client.readTaskExecutionsPage(id, IMPACT_PAGE);
    const newest = newestOf(executions);
    const impact: DeleteImpact = {
      executions: total ?? executions.length,
      last_run_at: newest?.created_at ?? null,
      schedule_active: scheduleActive,
    };
    if (total === undefined && executions.length >= IMPACT_PAGE) impact.executions_at_least = true;
    if (newest !== undefined) impact.last_run_status = newest.status;
    return impact;
  } catch (error) {
    return {
      executions: 0,
      last_run_at: null,
      schedule_active: scheduleActive,
      error: `could not read its executions: ${(error as Error).message}`,
    };
  }
}

/** Lists come newest first, but a service need not say so: the latest `created_at` wins. */
function newestOf<T extends { created_at: string }>(items: readonly T[]): T | undefined {
  let newest: T | undefined;
  for (const item of items) if (newest === undefined || item.created_at > newest.created_at) newest = item;
  return newest;
}
