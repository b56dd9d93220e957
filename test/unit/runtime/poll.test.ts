/** The poller's decisions, with a scripted client and a virtual clock (no real waiting). */
import { describe, expect, it } from 'vitest';
import { nextPollInterval, waitForExecution, type WaitOptions } from '../../../src/app/runtime/poll.js';
import { formatForFile } from '../../../src/app/runtime/export.js';
import { secretValuesOf } from '../../../src/app/runtime/secret.js';
import type { Execution, ExecutionStatus } from '../../../src/core/service/types.js';

const state = (status: ExecutionStatus, done = 0): Execution => ({
  id: 'e-1',
  task_id: 't-1',
  status,
  created_at: '2025-01-01T00:00:00Z',
  urls_total: 4,
  urls_done: done,
  urls_failed: 0,
});

/** A client answering the scripted states in turn (the last one forever) on a virtual clock. */
function scripted(states: Execution[], overrides: Partial<WaitOptions> = {}) {
  let clock = 0;
  const sleeps: number[] = [];
  const seen: string[] = [];
  let polls = 0;
  const controller = new AbortController();
  const options: WaitOptions = {
    client: {
      getExecution: async () => {
        polls++;
        return states[Math.min(polls, states.length - 1)] as Execution;
      },
    },
    execution: states[0] as Execution,
    initialIntervalMs: 1_000,
    startedAt: 0,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    signal: controller.signal,
    onUpdate: (e) => seen.push(`${e.status}:${e.urls_done}`),
    ...overrides,
  };
  return { options, sleeps, seen, controller, polls: () => polls };
}

describe('nextPollInterval', () => {
  it('backs off by half while nothing moves, up to 5× the first interval, and resets on progress', () => {
    const intervals = [3_000];
    for (let i = 0; i < 8; i++) intervals.push(nextPollInterval(intervals.at(-1) ?? 0, 3_000, false));
    expect(intervals).toEqual([3_000, 4_500, 6_750, 10_125, 15_000, 15_000, 15_000, 15_000, 15_000]);
    expect(nextPollInterval(15_000, 3_000, true)).toBe(3_000);
  });
});

describe('waitForExecution', () => {
  it('polls until a terminal status, reporting every state, backing off only while idle', async () => {
    const run = scripted([
      state('queued'),
      state('queued'),
      state('running', 1),
      state('running', 1),
      state('completed', 4),
    ]);
    const outcome = await waitForExecution(run.options);
    expect(outcome).toEqual({ kind: 'terminal', execution: state('completed', 4) });
    expect(run.seen).toEqual(['queued:0', 'queued:0', 'running:1', 'running:1', 'completed:4']);
    expect(run.sleeps).toEqual([1_000, 1_500, 1_000, 1_500]);
  });

  it('does not poll an execution that is already over', async () => {
    const run = scripted([state('failed')]);
    expect((await waitForExecution(run.options)).kind).toBe('terminal');
    expect(run.polls()).toBe(0);
  });

  it('gives up at the timeout, never sleeping past it', async () => {
    const run = scripted([state('running')], { timeoutMs: 4_000 });
    const outcome = await waitForExecution(run.options);
    expect(outcome.kind).toBe('timeout');
    expect(run.sleeps).toEqual([1_000, 1_500, 1_500]);
  });

  it('stops at once when the signal aborts, whatever the sleep or the client then throws', async () => {
    const run = scripted([state('running')]);
    run.options.sleep = async () => {
      run.controller.abort('SIGINT');
      throw new Error('aborted');
    };
    expect(await waitForExecution(run.options)).toEqual({ kind: 'interrupted', execution: state('running') });
  });

  it('lets real failures through', async () => {
    const run = scripted([state('running')]);
    run.options.client = { getExecution: async () => Promise.reject(new Error('network down')) };
    await expect(waitForExecution(run.options)).rejects.toThrow('network down');
  });
});

describe('export and secret helpers', () => {
  it.each([
    ['out.csv', 'csv'],
    ['OUT.CSV', 'csv'],
    ['out.ndjson', 'ndjson'],
    ['out.jsonl', 'ndjson'],
    ['out.json', 'json'],
    ['results', 'json'],
  ])('formatForFile(%s) = %s', (file, format) => {
    expect(formatForFile(file)).toBe(format);
  });

  it('collects every recognisable secret value, at any depth', () => {
    expect(
      secretValuesOf({ a: 'token-1', b: { c: ['pw-secret', 'no'] }, d: 123456, e: true, f: null }),
    ).toEqual(['token-1', 'pw-secret', '123456']);
  });
});
