/** `titan datasets KEY | --task-id ID | --execution ID`: dataset-level output metadata. */
import { InvalidInputError } from '../../core/errors.js';
import { NotFoundError } from '../../io/api/errors.js';
import { renderJson, renderDatasetsTable } from '../../render/runtime.js';
import type { RuntimeContext } from './context.js';
import { noSuchExecution } from './executions.js';
import { readTaskKeys, resolveTask, type TaskRef } from './resolve.js';

export interface DatasetsOptions {
  task?: TaskRef;
  executionId?: string;
}

export async function listDatasets(ctx: RuntimeContext, options: DatasetsOptions): Promise<void> {
  const datasets = await fetchDatasets(ctx, options);
  if (ctx.json) {
    ctx.stdout.write(renderJson(datasets));
    return;
  }
  ctx.stdout.write(renderDatasetsTable(datasets, await readTaskKeys(ctx), { color: ctx.color }));
}

async function fetchDatasets(ctx: RuntimeContext, options: DatasetsOptions) {
  if (options.executionId !== undefined) {
    if (options.task !== undefined)
      throw new InvalidInputError('Give a task (KEY or --task-id) or --execution, not both.');
    const executionId = options.executionId;
    return ctx.client.listExecutionDatasets(executionId).catch((error: unknown) => {
      throw error instanceof NotFoundError ? noSuchExecution(ctx, executionId) : error;
    });
  }
  if (options.task === undefined) {
    throw new InvalidInputError('Name a task (KEY or --task-id ID) or an execution (--execution ID).');
  }
  const task = await resolveTask(ctx, options.task);
  return ctx.client.listTaskDatasets(task.taskId);
}
