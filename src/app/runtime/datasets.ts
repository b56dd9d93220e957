/** `titan datasets KEY | --task-id ID | --execution ID`: dataset-level output metadata. */
import { InvalidInputError } from '../../core/errors.js';
import { NotFoundError } from '../../io/api/errors.js';
import { renderJson, renderDatasetsTable } from '../../render/runtime.js';
import type { RuntimeContext } from './context.js';
import { noSuchExecution } from './executions.js';
import { readTaskKeys, resolveTaskAndKeys, type TaskRef } from './resolve.js';

export interface DatasetsOptions {
  task?: TaskRef;
  executionId?: string;
}

export async function listDatasets(ctx: RuntimeContext, options: DatasetsOptions): Promise<void> {
  const { datasets, keys } = await fetchDatasets(ctx, options);
  if (ctx.json) {
    ctx.stdout.write(renderJson(datasets));
    return;
  }
  ctx.stdout.write(renderDatasetsTable(datasets, keys ?? (await readTaskKeys(ctx)), { color: ctx.color }));
}

/** The datasets, and the id → key map when resolving the task already read it. */
async function fetchDatasets(ctx: RuntimeContext, options: DatasetsOptions) {
  if (options.executionId !== undefined) {
    if (options.task !== undefined)
      throw new InvalidInputError('Give a task (KEY or --task-id) or --execution, not both.');
    const executionId = options.executionId;
    const datasets = await ctx.client.listExecutionDatasets(executionId).catch((error: unknown) => {
      throw error instanceof NotFoundError ? noSuchExecution(ctx, executionId) : error;
    });
    return { datasets };
  }
  if (options.task === undefined) {
    throw new InvalidInputError('Name a task (KEY or --task-id ID) or an execution (--execution ID).');
  }
  const { task, keys } = await resolveTaskAndKeys(ctx, options.task);
  return { datasets: await ctx.client.listTaskDatasets(task.taskId), keys };
}
