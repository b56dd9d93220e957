/** `titan executions list|get|pause|resume|stop`: inspect and control executions (the Titan docs' monitoring page). */
import { OperationalError } from '../../core/errors.js';
import { BadRequestError, NotFoundError } from '../../io/api/errors.js';
import type { Execution } from '../../core/service/types.js';
import { renderJson, renderExecutionDetail, renderExecutionsTable } from '../../render/runtime.js';
import type { RuntimeContext } from './context.js';
import { readTaskKeys, resolveTaskAndKeys, type TaskRef } from './resolve.js';

export interface ListExecutionsOptions {
  /** Only this task's executions (by key or id); all executions when absent. */
  task?: TaskRef;
  status?: string;
  limit?: number;
}

export async function listExecutions(ctx: RuntimeContext, options: ListExecutionsOptions): Promise<void> {
  const filter = { status: options.status, limit: options.limit };
  const resolved = options.task ? await resolveTaskAndKeys(ctx, options.task) : undefined;
  const executions =
    resolved === undefined
      ? await ctx.client.listExecutions(filter)
      : await ctx.client.listTaskExecutions(resolved.task.taskId, filter);
  const shown = options.limit === undefined ? executions : executions.slice(0, options.limit);
  if (ctx.json) {
    ctx.stdout.write(renderJson(shown));
    return;
  }
  const keys = resolved?.keys ?? (await readTaskKeys(ctx));
  ctx.stdout.write(renderExecutionsTable(shown, keys, { color: ctx.color }));
}

export async function showExecution(ctx: RuntimeContext, executionId: string): Promise<void> {
  const execution = await getExecutionOrExplain(ctx, executionId);
  if (ctx.json) {
    ctx.stdout.write(renderJson(execution));
    return;
  }
  const key = (await readTaskKeys(ctx)).get(execution.task_id);
  ctx.stdout.write(renderExecutionDetail(execution, key, { color: ctx.color }));
}

export type ControlAction = 'pause' | 'resume' | 'stop';

const PAST: Record<ControlAction, string> = { pause: 'paused', resume: 'resumed', stop: 'stopped' };

export async function controlExecution(
  ctx: RuntimeContext,
  executionId: string,
  action: ControlAction,
): Promise<void> {
  let execution: Execution;
  try {
    execution = await callControl(ctx, executionId, action);
  } catch (error) {
    if (error instanceof NotFoundError) throw noSuchExecution(ctx, executionId);
    if (error instanceof BadRequestError) throw await refusedControl(ctx, executionId, action, error);
    throw error;
  }
  if (ctx.json) {
    ctx.stdout.write(renderJson(execution));
    return;
  }
  ctx.stdout.write(`Execution ${execution.id} ${PAST[action]}; it is now ${execution.status}.\n`);
}

function callControl(ctx: RuntimeContext, id: string, action: ControlAction): Promise<Execution> {
  switch (action) {
    case 'pause':
      return ctx.client.pauseExecution(id);
    case 'resume':
      return ctx.client.resumeExecution(id);
    case 'stop':
      return ctx.client.stopExecution(id);
  }
}

/** A 400 on a control call usually means the execution is already over: say so in those words. */
async function refusedControl(
  ctx: RuntimeContext,
  id: string,
  action: ControlAction,
  error: BadRequestError,
): Promise<OperationalError> {
  const current = await ctx.client.getExecution(id).catch(() => undefined);
  if (current === undefined) return error;
  return new OperationalError(
    `Cannot ${action} execution ${id}: it is ${current.status}.`,
    `The service said: ${error.message}`,
  );
}

/** GET an execution; a 404 becomes a message naming the id and the service. */
export async function getExecutionOrExplain(ctx: RuntimeContext, executionId: string): Promise<Execution> {
  try {
    return await ctx.client.getExecution(executionId);
  } catch (error) {
    throw error instanceof NotFoundError ? noSuchExecution(ctx, executionId) : error;
  }
}

export function noSuchExecution(ctx: RuntimeContext, executionId: string): OperationalError {
  return new OperationalError(
    `No execution ${executionId} on ${ctx.origin === 'local:' ? 'the local emulator' : ctx.origin}.`,
    `List recent ones with: ${ctx.commandLine('executions list')}`,
  );
}
