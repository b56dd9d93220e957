import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, classicTask } from './api.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A random source that replays `values`, then repeats the last one. */
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] as number;
};

describe('rate limiting', () => {
  it('puts X-RateLimit-Limit/Remaining on every answer, and 429 with X-RateLimit-Reset once spent', async () => {
    const now = new Date('2025-05-01T12:00:00Z');
    emulator = await startEmulator({ scheduler: false, rateLimit: 60, now: () => now });
    // 60 RPM: a burst of 10 requests, then 429 until the bucket refills.
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await call(emulator, 'GET', '/tasks');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBe('60');
      expect(answer.headers.get('x-ratelimit-reset')).toBeNull();
      remaining.push(answer.headers.get('x-ratelimit-remaining') as string);
    }
    expect(remaining).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    const limited = await call(emulator, 'GET', '/tasks');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      success: false,
      error: { code: 'TOO_MANY_REQUESTS', message: expect.any(String) },
    });
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(now.getTime() / 1000 + 1));
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(emulator.stats().rateLimited).toBe(1);
    // Errors carry the headers too, and the budget is per token.
    const unauthorised = await call(emulator, 'GET', '/tasks', undefined, { token: 'someone-else' });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('x-ratelimit-limit')).toBe('60');
  });

  it('refills over time and adds Retry-After only when switched on', async () => {
    let now = new Date('2025-05-01T12:00:00Z');
    emulator = await startEmulator({ scheduler: false, rateLimit: 6, retryAfter: true, now: () => now });
    expect((await call(emulator, 'GET', '/tasks')).status).toBe(200);
    const limited = await call(emulator, 'GET', '/tasks');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    now = new Date(now.getTime() + 10_000);
    expect((await call(emulator, 'GET', '/tasks')).status).toBe(200);
  });

  it('sends no rate-limit headers when the limit is off (the default)', async () => {
    emulator = await startEmulator({ scheduler: false });
    expect((await call(emulator, 'GET', '/tasks')).headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('fault injection', () => {
  it('answers 500 (envelope), 502 (HTML) and 503 (empty) without processing the request', async () => {
    emulator = await startEmulator({
      scheduler: false,
      faultRate: 0.5,
      random: replay(0.1, 0.1, 0.1, 0.5, 0.1, 0.9),
    });
    const first = await call(emulator, 'POST', '/tasks', classicTask());
    expect(first.status).toBe(500);
    expect(first.body.error.code).toBe('INTERNAL_SERVER_ERROR');
    const second = await call(emulator, 'GET', '/tasks');
    expect(second.status).toBe(502);
    expect(second.headers.get('content-type')).toBe('text/html');
    expect(second.text).toContain('Bad Gateway');
    const third = await call(emulator, 'GET', '/tasks');
    expect(third.status).toBe(503);
    expect(third.text).toBe('');
    expect(emulator.remote.taskCount()).toBe(0);
    expect(emulator.stats().faults.errors).toBe(3);
  });

  it('commits a write, then drops the connection; the create is counted once', async () => {
    emulator = await startEmulator({ scheduler: false, dropAfterCommit: 1 });
    await expect(call(emulator, 'POST', '/tasks', classicTask())).rejects.toThrow();
    expect(emulator.remote.taskCount()).toBe(1);
    expect(emulator.stats().byRoute['POST /api/v1/tasks']).toBe(1);
    expect(emulator.stats().faults.drops).toBe(1);
    expect((await call(emulator, 'GET', '/tasks')).body.data).toHaveLength(1);
  });

  it('leaves a hanging request unanswered until the client gives up', async () => {
    emulator = await startEmulator({ scheduler: false, hangRate: 1 });
    const request = fetch(`${emulator.url}/api/v1/tasks`, {
      headers: { Authorization: `Bearer ${emulator.token}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(request).rejects.toThrow(/abort|timeout/i);
    expect(emulator.stats().faults.hangs).toBe(1);
  });

  it('adds latency to every answer', async () => {
    emulator = await startEmulator({ scheduler: false, latencyMs: 150 });
    const started = performance.now();
    await call(emulator, 'GET', '/tasks');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('answers a throttling storm with 429s carrying X-RateLimit-Reset', async () => {
    emulator = await startEmulator({ scheduler: false, throttleRate: 1 });
    const answer = await call(emulator, 'GET', '/tasks');
    expect(answer.status).toBe(429);
    expect(Number(answer.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  });
});

describe('stats', () => {
  it('counts requests by route pattern and can be reset', async () => {
    emulator = await startEmulator({ scheduler: false });
    const task = (await call(emulator, 'POST', '/tasks', classicTask())).body.data;
    await call(emulator, 'GET', `/tasks/${task.id}`);
    await call(emulator, 'GET', `/tasks/${task.id}`);
    await call(emulator, 'GET', '/tasks?limit=5');
    await call(emulator, 'GET', '/unknown');
    expect(emulator.stats()).toMatchObject({
      requests: 5,
      byRoute: {
        'POST /api/v1/tasks': 1,
        'GET /api/v1/tasks/:id': 2,
        'GET /api/v1/tasks': 1,
        'GET (unknown)': 1,
      },
      byStatus: { '200': 3, '201': 1, '404': 1 },
    });
    emulator.resetStats();
    expect(emulator.stats().requests).toBe(0);
  });
});
