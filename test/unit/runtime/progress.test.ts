/** The progress shown while waiting without a TTY (CI logs): sparse, but never silent for long. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../../src/app/runtime/progress.js';
import type { Execution, ExecutionStatus } from '../../../src/core/service/types.js';

const state = (status: ExecutionStatus, done: number, total = 100): Execution => ({
  id: 'e-1',
  task_id: 't-1',
  status,
  created_at: '2025-01-01T00:00:00Z',
  urls_total: total,
  urls_done: done,
  urls_failed: 0,
});

/** A non-TTY reporter on a virtual clock; `at(ms, execution)` feeds one poll. */
function logReporter(heartbeatMs?: number) {
  const lines: string[] = [];
  let clock = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const reporter = createProgressReporter({
    stream,
    color: false,
    now: () => clock,
    startedAt: 0,
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
  });
  return {
    lines,
    at(ms: number, execution: Execution) {
      clock = ms;
      reporter.update(execution);
    },
  };
}

describe('progress without a TTY', () => {
  it('prints on status changes and at every further tenth of the URLs, not on every poll', () => {
    const log = logReporter();
    log.at(0, state('queued', 0));
    log.at(1_000, state('running', 0));
    log.at(2_000, state('running', 5));
    log.at(3_000, state('running', 9));
    log.at(4_000, state('running', 10));
    log.at(5_000, state('running', 19));
    log.at(6_000, state('running', 47));
    log.at(7_000, state('running', 49));
    log.at(8_000, state('completed', 100));
    expect(log.lines).toEqual([
      '[0:00] queued · 0/100 URLs',
      '[0:01] running · 0/100 URLs',
      '[0:04] running · 10/100 URLs',
      '[0:06] running · 47/100 URLs',
      '[0:08] completed · 100/100 URLs',
    ]);
  });

  it('prints at least once a minute while nothing changes', () => {
    const log = logReporter();
    log.at(0, state('running', 1));
    for (let ms = 15_000; ms <= 150_000; ms += 15_000) log.at(ms, state('running', 1));
    expect(log.lines).toEqual([
      '[0:00] running · 1/100 URLs',
      '[1:00] running · 1/100 URLs',
      '[2:00] running · 1/100 URLs',
    ]);
  });

  it('takes the longest silence as an option, and copes with executions without URL counts', () => {
    const log = logReporter(5_000);
    const uncounted: Execution = { ...state('paused', 0), urls_total: undefined, urls_done: undefined };
    log.at(0, uncounted);
    log.at(3_000, uncounted);
    log.at(6_000, uncounted);
    expect(log.lines).toEqual(['[0:00] paused · —', '[0:06] paused · —']);
  });
});
