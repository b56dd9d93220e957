/**
 * Shows a waiting execution on stderr: on a TTY one live line, redrawn in place every second (status, URLs
 * done/total, elapsed); elsewhere (CI logs, pipes) one line per status change, so logs stay short.
 */
import type { Writable } from 'node:stream';
import type { Execution } from '../../io/api/types.js';
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
}

const REDRAW_EVERY_MS = 1_000;
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

function statusLines({ stream, now, startedAt }: ProgressOptions): ProgressReporter {
  let lastStatus: string | undefined;
  return {
    update(execution) {
      if (execution.status === lastStatus) return;
      lastStatus = execution.status;
      stream.write(`${renderProgressEvent(execution, now() - startedAt)}\n`);
    },
    stop() {},
  };
}
