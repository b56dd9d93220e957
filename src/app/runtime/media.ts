/** `titan media list|download`: media stored for an execution's media fields, resolved through the service. */
import type { Writable } from 'node:stream';
import { OperationalError } from '../../core/errors.js';
import { NotFoundError } from '../../io/api/errors.js';
import { renderJson, formatBytes, renderMediaTable } from '../../render/runtime.js';
import type { RuntimeContext } from './context.js';
import { noSuchExecution } from './executions.js';
import { streamToFile, streamToOutput } from './export.js';

export async function listMedia(ctx: RuntimeContext, executionId: string): Promise<void> {
  const items = await ctx.client.listMedia(executionId).catch((error: unknown) => {
    throw error instanceof NotFoundError ? noSuchExecution(ctx, executionId) : error;
  });
  if (ctx.json) {
    ctx.stdout.write(renderJson(items));
    return;
  }
  ctx.stdout.write(renderMediaTable(items, { color: ctx.color }));
}

/** Streams one media file to `output` (atomically), or to stdout when `output` is `-`. */
export async function downloadMedia(
  ctx: RuntimeContext,
  executionId: string,
  mediaId: string,
  output: string,
): Promise<void> {
  const produce = (sink: Writable) => ctx.client.downloadMedia(executionId, mediaId, sink);
  try {
    if (output === '-') {
      await streamToOutput(ctx.stdout, produce);
      return;
    }
    const { bytes, contentType } = await streamToFile(output, ctx.cwd, produce);
    const summary = {
      execution_id: executionId,
      media_id: mediaId,
      file: output,
      bytes,
      content_type: contentType,
    };
    ctx.stdout.write(
      ctx.json ? renderJson(summary) : `Wrote ${formatBytes(bytes)} (${contentType}) to ${output}.\n`,
    );
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new OperationalError(
        `No media ${mediaId} in execution ${executionId}.`,
        `List its media with: ${ctx.commandLine(`media list ${executionId}`)}`,
      );
    }
    throw error;
  }
}
