/**
 * `titan results ID`, `results export`, `results download`: the output side of an execution (the Titan docs'
 * "Download results" page). Exports stream to a file (atomically) or to stdout, never through memory.
 */
import { OperationalError } from '../../core/errors.js';
import type { Writable } from 'node:stream';
import { BadRequestError, NotFoundError } from '../../io/api/errors.js';
import type { ExportFormat } from '../../core/service/types.js';
import { renderJson, formatBytes, renderResultsMetadata } from '../../render/runtime.js';
import type { RuntimeContext } from './context.js';
import { noSuchExecution } from './executions.js';
import { formatForFile, streamToFile, streamToOutput } from './export.js';
import { isTerminal } from './poll.js';

export async function showResults(ctx: RuntimeContext, executionId: string): Promise<void> {
  const meta = await explainFailures(ctx, executionId, () => ctx.client.getResults(executionId));
  if (ctx.json) {
    ctx.stdout.write(renderJson(meta));
    return;
  }
  ctx.stdout.write(renderResultsMetadata(meta, { color: ctx.color }));
}

export interface ExportOptions {
  /** Default: from the output file's name, else json. */
  format?: ExportFormat;
  /** Write here (atomically); stdout when absent or `-`. */
  output?: string;
  /** `results download`: the CSV download endpoint instead of the export endpoint. */
  download?: boolean;
}

export async function exportResults(
  ctx: RuntimeContext,
  executionId: string,
  options: ExportOptions,
): Promise<void> {
  const toFile = options.output !== undefined && options.output !== '-';
  const format = options.download
    ? 'csv'
    : (options.format ?? (toFile ? formatForFile(options.output ?? '') : 'json'));
  const produce = (sink: Writable): Promise<number> =>
    options.download
      ? ctx.client.downloadResultsCsv(executionId, sink)
      : ctx.client.exportResults(executionId, format, sink);
  if (!toFile) {
    await explainFailures(ctx, executionId, () => streamToOutput(ctx.stdout, produce));
    return;
  }
  const file = options.output ?? '';
  const bytes = await explainFailures(ctx, executionId, () => streamToFile(file, ctx.cwd, produce));
  const summary = { execution_id: executionId, file, format, bytes };
  ctx.stdout.write(ctx.json ? renderJson(summary) : `Wrote ${formatBytes(bytes)} of ${format} to ${file}.\n`);
}

/** A 404 names the execution; a 400 on an unfinished execution says to wait for it. */
async function explainFailures<T>(
  ctx: RuntimeContext,
  executionId: string,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof NotFoundError) throw noSuchExecution(ctx, executionId);
    if (error instanceof BadRequestError) {
      const execution = await ctx.client.getExecution(executionId).catch(() => undefined);
      if (execution !== undefined && !isTerminal(execution)) {
        throw new OperationalError(
          `Execution ${executionId} is ${execution.status}: its results can be exported once it has finished.`,
          `Wait for it with: ${ctx.commandLine(`executions watch ${executionId}`)}`,
        );
      }
    }
    throw error;
  }
}
