/**
 * `titan run` and `titan executions watch`: start an execution of a managed task (by manifest key or id), wait
 * for it with a progress display, export its results, and end with the exit code CI branches on — 0 completed,
 * 0 + warning completed_with_errors (1 with --strict), 1 failed / cancelled / timed out, 130 interrupted.
 */
import { formatDuration } from '../core/duration.js';
import { InvalidInputError, OperationalError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { AmbiguousWriteError, NotFoundError } from '../io/api/errors.js';
import type { Execution, ExportFormat } from '../core/service/types.js';
import { renderJson, formatBytes, renderUrlProgress } from '../render/runtime.js';
import type { RuntimeContext } from './runtime/context.js';
import { ExecutionEndedError, WaitInterruptedError, WaitTimeoutError } from './runtime/errors.js';
import { checkWritableFile, FileWriteError, formatForFile, streamToFile } from './runtime/export.js';
import { waitForExecution } from './runtime/poll.js';
import { createProgressReporter } from './runtime/progress.js';
import { resolveTask, type ResolvedTask, type TaskRef } from './runtime/resolve.js';
import { readSecretPayload, secretValuesOf, withSecretsScrubbed } from './runtime/secret.js';
import { getExecutionOrExplain } from './runtime/executions.js';

export interface FollowOptions {
  /** Stop waiting after this many ms (the execution keeps running on the service). */
  timeoutMs?: number;
  /** Export the results here when the execution has data. */
  exportFile?: string;
  /** Export format (default: from the file name, else json). */
  format?: ExportFormat;
  /** `completed_with_errors` exits 1 instead of 0. */
  strict: boolean;
}

export interface RunOptions extends FollowOptions {
  task: TaskRef;
  /** Wait for a terminal status (implied by --export and --timeout). */
  wait: boolean;
  secretPayloadFile?: string;
}

/** `titan run KEY | --task-id ID …` */
export async function runManagedTask(ctx: RuntimeContext, options: RunOptions): Promise<void> {
  await checkFollowOptions(ctx, options);
  const payload = options.secretPayloadFile
    ? await readSecretPayload(options.secretPayloadFile, ctx.cwd)
    : undefined;
  const task = await resolveTask(ctx, options.task);
  const execution = await startExecution(ctx, task, payload);
  const label = task.key ?? task.taskId;
  const wait = options.wait || options.exportFile !== undefined || options.timeoutMs !== undefined;
  if (!ctx.json) ctx.stdout.write(`Started execution ${execution.id} of ${label}.\n`);
  if (!wait) {
    if (ctx.json) ctx.stdout.write(renderJson(execution));
    else ctx.stdout.write(`Follow it with: ${ctx.commandLine(`executions watch ${execution.id}`)}\n`);
    return;
  }
  await followExecution(ctx, execution, options);
}

/** `titan executions watch ID …` */
export async function watchExecution(
  ctx: RuntimeContext,
  executionId: string,
  options: FollowOptions,
): Promise<void> {
  await checkFollowOptions(ctx, options);
  await followExecution(ctx, await getExecutionOrExplain(ctx, executionId), options);
}

/** Everything that can be checked before an execution is started or waited for. */
async function checkFollowOptions(ctx: RuntimeContext, options: FollowOptions): Promise<void> {
  if (options.format !== undefined && options.exportFile === undefined) {
    throw new InvalidInputError('--format chooses the export format: add --export FILE.');
  }
  if (options.timeoutMs !== undefined && options.timeoutMs <= 0) {
    throw new InvalidInputError('--timeout must be longer than zero.');
  }
  if (options.exportFile !== undefined) await checkWritableFile(options.exportFile, ctx.cwd, '--export');
}

async function startExecution(
  ctx: RuntimeContext,
  task: ResolvedTask,
  payload: JsonObject | undefined,
): Promise<Execution> {
  const label = task.key === undefined ? `task ${task.taskId}` : `"${task.key}" (task ${task.taskId})`;
  try {
    return await withSecretsScrubbed(payload ? secretValuesOf(payload) : [], () =>
      ctx.client.runTask(task.taskId, payload),
    );
  } catch (error) {
    const listRuns = ctx.commandLine(
      task.key === undefined ? `executions list --task-id ${task.taskId}` : `executions list ${task.key}`,
    );
    if (ctx.signal.aborted) {
      throw new WaitInterruptedError(
        `Interrupted while starting a run of ${label}; it may have started.`,
        `Check with: ${listRuns}`,
        ctx.signal,
      );
    }
    if (error instanceof NotFoundError) {
      throw new OperationalError(
        `Cannot run ${label}: the service has no such task.`,
        'It may have been deleted outside titan: `titan drift` shows it, `titan apply` creates it again.',
      );
    }
    if (error instanceof AmbiguousWriteError) {
      throw new OperationalError(
        `The run request for ${label} got no answer; the execution may or may not have started.`,
        `Check with ${listRuns} before running it again.`,
      );
    }
    throw error;
  }
}

/** Waits for `execution` to end, shows progress, exports, and turns the outcome into output and an exit code. */
async function followExecution(
  ctx: RuntimeContext,
  execution: Execution,
  options: FollowOptions,
): Promise<void> {
  const startedAt = ctx.now();
  const reporter = createProgressReporter({
    stream: ctx.stderr,
    color: ctx.stderrColor,
    now: ctx.now,
    startedAt,
  });
  let outcome;
  try {
    outcome = await waitForExecution({
      client: ctx.client,
      execution,
      initialIntervalMs: ctx.pollIntervalMs,
      timeoutMs: options.timeoutMs,
      startedAt,
      now: ctx.now,
      sleep: ctx.sleep,
      signal: ctx.signal,
      onUpdate: (e) => reporter.update(e),
    });
  } finally {
    reporter.stop();
  }
  const last = outcome.execution;
  const followUp = [
    `Watch it:  ${ctx.commandLine(`executions watch ${last.id}`)}`,
    `Stop it:   ${ctx.commandLine(`executions stop ${last.id}`)}`,
  ].join('\n');
  if (outcome.kind === 'interrupted') {
    throw new WaitInterruptedError(
      `Stopped waiting; execution ${last.id} is still ${last.status} on the service.`,
      followUp,
      ctx.signal,
    );
  }
  if (outcome.kind === 'timeout') {
    throw new WaitTimeoutError(
      last.id,
      `Execution ${last.id} is still ${last.status} after ${formatDuration(options.timeoutMs ?? 0)} (--timeout); ` +
        'it keeps running on the service.',
      followUp,
    );
  }
  await finishExecution(ctx, last, options);
}

async function finishExecution(
  ctx: RuntimeContext,
  execution: Execution,
  options: FollowOptions,
): Promise<void> {
  const hasData = execution.status === 'completed' || execution.status === 'completed_with_errors';
  if (!ctx.json && hasData) ctx.stdout.write(`${describeEnd(execution)}\n`);
  if (hasData && options.exportFile !== undefined) {
    await exportFinished(
      ctx,
      execution,
      options.exportFile,
      options.format ?? formatForFile(options.exportFile),
    );
  }
  if (ctx.json) ctx.stdout.write(renderJson(execution));
  const details = `Details: ${ctx.commandLine(`executions get ${execution.id}`)}`;
  switch (execution.status) {
    case 'completed':
      return;
    case 'completed_with_errors':
      if (options.strict) {
        throw new ExecutionEndedError(
          execution.id,
          execution.status,
          `Execution ${execution.id} completed with errors (${renderUrlProgress(execution)}); --strict makes that a failure.`,
          details,
        );
      }
      ctx.stderr.write(
        `Warning: execution ${execution.id} completed with errors (${renderUrlProgress(execution)}).\n`,
      );
      return;
    case 'failed':
      throw new ExecutionEndedError(
        execution.id,
        execution.status,
        `Execution ${execution.id} failed${execution.error ? `: ${execution.error}` : '.'}`,
        options.exportFile === undefined ? details : `Nothing was exported. ${details}`,
      );
    default:
      throw new ExecutionEndedError(
        execution.id,
        execution.status,
        `Execution ${execution.id} was ${execution.status}.`,
        options.exportFile === undefined ? details : `Nothing was exported. ${details}`,
      );
  }
}

async function exportFinished(
  ctx: RuntimeContext,
  execution: Execution,
  file: string,
  format: ExportFormat,
): Promise<void> {
  const executionId = execution.id;
  let bytes: number;
  try {
    bytes = await streamToFile(file, ctx.cwd, (sink) => ctx.client.exportResults(executionId, format, sink));
  } catch (error) {
    // The execution is done and its results are kept on the service: say so, and how to fetch them again.
    const reason = error instanceof FileWriteError ? error.reason : (error as Error).message;
    throw new OperationalError(
      `Execution ${executionId} ${execution.status.replace(/_/g, ' ')}, but its results could not be ` +
        `exported to ${file}: ${reason}.`,
      `Export them again with: ${ctx.commandLine(`results export ${executionId} -o FILE`)}`,
    );
  }
  if (ctx.json) return;
  const records = await ctx.client.getResults(executionId).then(
    (meta) =>
      meta.record_count === undefined
        ? ''
        : `${meta.record_count} record${meta.record_count === 1 ? '' : 's'}, `,
    () => '', // the count is a nicety; the export itself succeeded
  );
  ctx.stdout.write(`Exported ${records}${formatBytes(bytes)} as ${format} to ${file}.\n`);
}

function describeEnd(execution: Execution): string {
  const span =
    execution.started_at && execution.finished_at
      ? ` in ${formatDuration(Date.parse(execution.finished_at) - Date.parse(execution.started_at))}`
      : '';
  const urls = execution.urls_total === undefined ? '' : ` (${renderUrlProgress(execution)})`;
  return `Execution ${execution.id} ${execution.status.replace(/_/g, ' ')}${span}${urls}.`;
}
