/**
 * Shows a waiting execution on stderr: on a TTY one live line, redrawn in place every second (status, URLs
 * done/total, elapsed); elsewhere (CI logs, pipes) sparse lines — on every status change, at every further
 * tenth of the URLs done, and at least once a minute — so logs stay short but a long run never looks stuck.
 */
import type { Writable } from 'node:stream';
import type { Execution } from '../../core/service/types.js';
import { renderProgressEvent, renderProgressLine } from '../../render/runtime.js';
import { fitWidth } from '../../render/table.js';

export interface ProgressReporter {
  update(execution: Execution): void;
  /** Ends the live line (the cursor moves to a fresh line) and stops the redraw timer. */
  stop(): void;
}

export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  color: boolean;
  now: () => number;
  startedAt: number;
  /** Without a TTY, the longest silence between two lines while the execution runs (default 60 s). */
  heartbeatMs?: number;
}

const REDRAW_EVERY_MS = 1_000;
export const DEFAULT_HEARTBEAT_MS = 60_000;
const CLEAR_LINE = '\r\x1b[2K';

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  return options.stream.isTTY === true ? liveLine(options) : statusLines(options);
}

function liveLine({ stream, color, now, startedAt }: ProgressOptions): ProgressReporter {
  let last: Execution | undefined;
  const draw = (): void => {
    if (last === undefined) return;
    const line = renderProgressLine(last, now() - startedAt, { color });
    // A wrapped line could not be redrawn in place: keep it within the terminal's width.
    stream.write(`${CLEAR_LINE}${stream.columns ? fitWidth(line, stream.columns - 1) : line}`);
  };
  const timer = setInterval(draw, REDRAW_EVERY_MS);
  timer.unref(); // the redraw alone never keeps titan running
  return {
    update(execution) {
      last = execution;
      draw();
    },
    stop() {
      clearInterval(timer);
      if (last !== undefined) stream.write('\n');
      last = undefined;
    },
  };
}

function statusLines({ stream, now, startedAt, heartbeatMs }: ProgressOptions): ProgressReporter {
  const silenceMs = heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let last: { status: string; tenths: number; at: number } | undefined;
  return {
    update(execution) {
      const at = now();
      const tenths = tenthsDone(execution);
      const due =
        last === undefined ||
        execution.status !== last.status ||
        tenths > last.tenths ||
        at - last.at >= silenceMs;
      if (!due) return;
      last = { status: execution.status, tenths, at };
      stream.write(`${renderProgressEvent(execution, at - startedAt)}\n`);
    },
    stop() {},
  };
}

/** How many whole tenths of the URLs are done (0 when the service gives no counts). */
function tenthsDone(execution: Execution): number {
  const total = execution.urls_total ?? 0;
  return total > 0 ? Math.floor(((execution.urls_done ?? 0) * 10) / total) : 0;
}
