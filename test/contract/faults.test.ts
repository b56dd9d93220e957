/**
 * Faults of titan-api.md A4 over real HTTP: 5xx, 429 storms and rate limits, hanging requests, writes whose
 * connection drops after commit, refused connections and Ctrl-C.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import { createBodyFromSpec } from '../../src/core/task-body.js';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { AmbiguousWriteError, NetworkError, ServerError, TimeoutError } from '../../src/io/api/errors.js';
import { createClient } from '../../src/io/api/client.js';
import { seededRandom } from '../../src/core/random.js';
import {
  apiCallSpec,
  classicSpec,
  clientFor,
  refusingOrigin,
  routeCount,
  contractEmulator,
} from './harness.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});
const start = async (options: EmulatorOptions): Promise<Emulator> =>
  (emulator = await contractEmulator(options));

/** Scripted values first, then `rest` forever. */
const scripted = (values: number[], rest: number) => () => values.shift() ?? rest;

interface Exchange {
  url: string;
  startedAt: number;
  receivedAt: number;
  status: number;
  headers: Headers;
}

/** Real fetch, with a log of what was sent when and what came back (for "did it wait" checks). */
function recordingFetch(): { fetch: typeof fetch; log: Exchange[] } {
  const log: Exchange[] = [];
  const recording = (async (input: string | URL | Request, init?: RequestInit) => {
    const startedAt = Date.now();
    const response = await fetch(input, init);
    log.push({
      url: String(input),
      startedAt,
      receivedAt: Date.now(),
      status: response.status,
      headers: response.headers,
    });
    return response;
  }) as typeof fetch;
  return { fetch: recording, log };
}

/**
 * After a 429 without Retry-After, the client sent nothing until the X-RateLimit-Reset it announced: no request
 * of any caller started between receiving the 429 and the reset. Returns how many 429s were checked.
 */
function expectWaitedForReset(log: Exchange[]): number {
  const refusals = log.filter((exchange) => exchange.status === 429);
  for (const refusal of refusals) {
    expect(refusal.headers.get('retry-after')).toBeNull();
    const resetAt = Number(refusal.headers.get('x-ratelimit-reset')) * 1000;
    expect(resetAt).toBeGreaterThan(0);
    const early = log.filter((e) => e.startedAt >= refusal.receivedAt && e.startedAt < resetAt);
    expect(early, 'requests sent before the announced reset').toEqual([]);
    expect(log.some((e) => e.url === refusal.url && e.startedAt >= resetAt && e.status === 200)).toBe(true);
  }
  return refusals.length;
}

function seedTasks(target: Emulator, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    String(target.remote.createTask(createBodyFromSpec(classicSpec(`task ${i}`))).id),
  );
}

describe('5xx answers', () => {
  it('with 20 % of requests failing (500 envelope, HTML 502, empty 503), reads and idempotent writes still succeed', async () => {
    const emu = await start({ faultRate: 0.2, random: seededRandom(7), maxPageSize: 7 });
    const ids = seedTasks(emu, 30);
    const client = clientFor(emu, { maxAttempts: 10 });
    for (let round = 0; round < 3; round++) {
      expect((await client.listAllTasks()).map((t) => t.id)).toEqual(ids);
    }
    for (const id of ids) await client.getTask(id);
    const next = { ...classicSpec('renamed'), proxy_locations: ['FR'] };
    for (const id of ids.slice(0, 10)) await client.updateTask(id, next);
    for (const id of ids.slice(10, 20))
      expect(['deleted', 'already-gone']).toContain(await client.deleteTask(id));
    const { faults } = emu.stats();
    expect(faults.errors).toBeGreaterThan(10);
    expect(client.stats.retries).toBe(faults.errors); // every injected fault was retried, nothing else was
    expect((await client.listAllTasks()).length).toBe(20);
  });

  it('reports a persistent HTML 502 with status and an excerpt, after the attempt cap', async () => {
    const emu = await start({ faultRate: 1, random: () => 0.4 }); // always the proxy's HTML 502
    const failure = clientFor(emu, { maxAttempts: 3 }).getTask('x');
    await expect(failure).rejects.toThrow(ServerError);
    await expect(failure).rejects.toMatchObject({ status: 502, code: 'BAD_GATEWAY' });
    await expect(failure).rejects.toThrow(/after 3 attempts\): "502 Bad Gateway/);
    expect(routeCount(emu, 'GET /api/v1/tasks/:id')).toBe(3);
  });

  it('never repeats a creating POST or a control call after a 5xx: a create becomes an ambiguous write', async () => {
    const emu = await start({ faultRate: 1, random: () => 0.7 }); // always an empty 503
    const client = clientFor(emu);
    const create = client.createTask(classicSpec('once'));
    await expect(create).rejects.toThrow(AmbiguousWriteError);
    await expect(create).rejects.toMatchObject({ status: 503 });
    expect(routeCount(emu, 'POST /api/v1/tasks')).toBe(1);
    await expect(client.stopExecution('e1')).rejects.toThrow(ServerError);
    expect(routeCount(emu, 'POST /api/v1/executions/:id/stop')).toBe(1);
  });
});

describe('rate limiting', () => {
  it('a 429 storm without Retry-After: reads succeed and every retry waited for X-RateLimit-Reset', async () => {
    const emu = await start({ throttleRate: 0.5, random: scripted([0.1, 0.1, 0.1, 0.9, 0.1], 0.9) });
    const ids = seedTasks(emu, 5);
    const recorder = recordingFetch();
    const client = clientFor(emu, { fetch: recorder.fetch });
    const tasks = await Promise.all(ids.map((id) => client.getTask(id)));
    expect(tasks.map((t) => t.id)).toEqual(ids);
    expect(emu.stats().rateLimited).toBe(4);
    expect(client.stats.rateLimited).toBe(4);
    expect(expectWaitedForReset(recorder.log)).toBe(4);
  });

  it('a burst over the per-token budget is retried after the reset, and everything succeeds', async () => {
    const emu = await start({ rateLimit: 600 }); // a burst allowance of 100
    const ids = seedTasks(emu, 1);
    const recorder = recordingFetch();
    const client = clientFor(emu, { fetch: recorder.fetch });
    const id = ids[0] as string;
    // 120 concurrent reads before any budget header was seen: the service must refuse some.
    const results = await Promise.all(Array.from({ length: 120 }, () => client.getTask(id)));
    expect(results).toHaveLength(120);
    expect(emu.stats().rateLimited).toBeGreaterThan(0);
    expect(client.stats.rateLimited).toBe(emu.stats().rateLimited);
    expect(expectWaitedForReset(recorder.log)).toBe(emu.stats().rateLimited);
  });

  it('paces a busy client from X-RateLimit-Remaining so it slows down before the service answers 429', async () => {
    const emu = await start({ rateLimit: 1200 }); // a burst of 200, then 20 per second
    const id = seedTasks(emu, 1)[0] as string;
    const client = clientFor(emu);
    await client.getTask(id); // learn the budget
    const queue = Array.from({ length: 219 }, () => id);
    const worker = async (): Promise<void> => {
      while (queue.pop() !== undefined) await client.getTask(id);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(emu.stats().rateLimited).toBe(0);
    expect(client.stats.requests).toBe(220);
  });
});

describe('deadlines and dropped connections', () => {
  it('a hanging read fails at its deadline with TimeoutError and is not retried', async () => {
    const emu = await start({ hangRate: 1 });
    const client = clientFor(emu, { timeoutMs: 300 });
    const started = Date.now();
    const failure = client.getTask('x');
    await expect(failure).rejects.toThrow(TimeoutError);
    await expect(failure).rejects.toThrow(/did not answer GET \/api\/v1\/tasks\/x within 300 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(emu.stats().requests).toBe(1);
  });

  it('a hanging create is an ambiguous write, not a timeout to retry', async () => {
    const emu = await start({ hangRate: 1 });
    const failure = clientFor(emu, { timeoutMs: 200 }).createTask(classicSpec('slow'));
    await expect(failure).rejects.toThrow(AmbiguousWriteError);
    await expect(failure).rejects.toMatchObject({ code: 'TIMEOUT', method: 'POST', path: '/api/v1/tasks' });
    expect(emu.stats().requests).toBe(1);
  });

  it('a create committed before its connection dropped is an ambiguous write; the service saw exactly one create', async () => {
    const emu = await start({ dropAfterCommit: 1 });
    const client = clientFor(emu);
    const failure = client.createTask(apiCallSpec('dropped'));
    await expect(failure).rejects.toThrow(AmbiguousWriteError);
    await expect(failure).rejects.toThrow(/may or may not have taken effect/);
    expect(routeCount(emu, 'POST /api/v1/tasks')).toBe(1);
    expect(emu.stats().faults.drops).toBe(1);
    // The caller settles it by lookup: the task is there, exactly once.
    const found = (await client.listAllTasks()).filter((task) => task.name === 'dropped');
    expect(found).toHaveLength(1);
  });

  it('a run whose answer was dropped is ambiguous too, and was not repeated', async () => {
    const emu = await start({ dropAfterCommit: 1, queueDelayMs: 10_000 });
    const task = emu.remote.createTask(createBodyFromSpec(classicSpec('run me')));
    const client = clientFor(emu);
    await expect(client.runTask(String(task.id))).rejects.toThrow(AmbiguousWriteError);
    expect(routeCount(emu, 'POST /api/v1/tasks/:id/run')).toBe(1);
    expect(await client.listTaskExecutions(String(task.id))).toHaveLength(1);
  });

  it('an update or delete whose answer was dropped is retried and ends at the desired state', async () => {
    const emu = await start({ dropAfterCommit: 0.5, random: scripted([0.1, 0.9, 0.1, 0.9], 0.9) });
    const id = String(emu.remote.createTask(createBodyFromSpec(classicSpec('a'))).id);
    const client = clientFor(emu);
    const desired = apiCallSpec('b');
    await client.updateTask(id, desired);
    expect(routeCount(emu, 'PATCH /api/v1/tasks/:id')).toBe(2);
    expect((await client.getTask(id)).spec).toEqual(desired);
    expect(['deleted', 'already-gone']).toContain(await client.deleteTask(id));
    expect(routeCount(emu, 'DELETE /api/v1/tasks/:id')).toBe(2);
    expect((await client.listAllTasks()).map((t) => t.id)).not.toContain(id);
  });

  it('a refused connection is a NetworkError after retries; a refused create was never sent, so it is not ambiguous', async () => {
    const client = createClient({ origin: await refusingOrigin(), token: 'any', maxAttempts: 2 });
    const read = client.listAllTasks();
    await expect(read).rejects.toThrow(NetworkError);
    await expect(read).rejects.toMatchObject({ code: 'ECONNREFUSED', status: undefined });
    await expect(read).rejects.toThrow(/could not reach the Task Service at http:\/\/127\.0\.0\.1:\d+/);
    const create = client.createTask(classicSpec('x'));
    await expect(create).rejects.toThrow(NetworkError);
    expect(client.stats.requests).toBe(4);
  });

  it('the abort signal interrupts a request in flight and every later one', async () => {
    const emu = await start({ hangRate: 1 });
    const controller = new AbortController();
    const client = clientFor(emu, { signal: controller.signal, timeoutMs: 20_000 });
    const started = Date.now();
    const pending = client.getTask('x');
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow(InterruptedError);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(client.listAllTasks()).rejects.toThrow(InterruptedError);
    expect(emu.stats().requests).toBe(1);
  });
});
