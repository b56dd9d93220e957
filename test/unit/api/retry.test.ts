/**
 * Backoff arithmetic of the transport, with a scripted fetch and a fake clock (everything else about the client
 * is tested against the emulator over real HTTP, in test/contract).
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../src/io/api/client.js';
import { RateLimitedError, ServerError } from '../../../src/io/api/errors.js';

const quotaSpent = JSON.stringify({
  success: false,
  error: { code: 'TOO_MANY_REQUESTS', message: 'preview_limit_exceeded' },
});

type Scripted = { status: number; headers?: Record<string, string>; body?: string };

function harness(
  script: Scripted[],
  options: { random?: number; maxAttempts?: number; maxRetryWaitMs?: number } = {},
) {
  let now = Date.UTC(2025, 0, 1);
  const sleeps: number[] = [];
  let calls = 0;
  const fakeFetch = (async () => {
    const step = script[Math.min(calls, script.length - 1)] as Scripted;
    calls += 1;
    const body =
      step.body ??
      (step.status < 300
        ? JSON.stringify({ success: true, data: { id: 'e1', task_id: 't', status: 'queued' } })
        : '');
    return new Response(body, { status: step.status, headers: step.headers ?? {} });
  }) as typeof fetch;
  const client = createClient({
    origin: 'http://127.0.0.1:9',
    token: 'secret-token',
    fetch: fakeFetch,
    now: () => now,
    random: () => options.random ?? 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    backoff: { baseMs: 100, capMs: 1000 },
    maxAttempts: options.maxAttempts ?? 6,
    maxRetryWaitMs: options.maxRetryWaitMs ?? 120_000,
  });
  return { client, sleeps, calls: () => calls, now: () => now };
}

describe('retry arithmetic', () => {
  it('backs off with full jitter under a doubling ceiling', async () => {
    const { client, sleeps } = harness([
      { status: 503 },
      { status: 502 },
      { status: 504 },
      { status: 500 },
      { status: 200 },
    ]);
    await expect(client.getExecution('e1')).resolves.toMatchObject({ id: 'e1' });
    expect(sleeps).toEqual([50, 100, 200, 400]);
    expect(client.stats).toEqual({ requests: 5, retries: 4, rateLimited: 0 });
  });

  it('caps the backoff ceiling', async () => {
    const { client, sleeps } = harness(
      Array.from({ length: 7 }, () => ({ status: 503 })).concat({ status: 200 }),
      {
        random: 0.999,
        maxAttempts: 8,
      },
    );
    await client.getExecution('e1');
    expect(sleeps).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('waits for X-RateLimit-Reset when a 429 carries no Retry-After', async () => {
    const start = Date.UTC(2025, 0, 1);
    const reset = String(start / 1000 + 5);
    const { client, sleeps } = harness(
      [{ status: 429, headers: { 'x-ratelimit-reset': reset } }, { status: 200 }],
      {
        random: 0,
      },
    );
    await client.getExecution('e1');
    expect(sleeps).toEqual([5000]);
    expect(client.stats.rateLimited).toBe(1);
  });

  it('waits for Retry-After when given', async () => {
    const { client, sleeps } = harness([{ status: 429, headers: { 'retry-after': '3' } }, { status: 200 }], {
      random: 0,
    });
    await client.getExecution('e1');
    expect(sleeps).toEqual([3000]);
  });

  it('gives up after the attempt cap with the last error', async () => {
    const { client, calls } = harness([{ status: 503 }], { maxAttempts: 3 });
    const failure = client.getExecution('e1');
    await expect(failure).rejects.toThrow(ServerError);
    await expect(failure).rejects.toThrow(/after 3 attempts/);
    expect(calls()).toBe(3);
  });

  it('does not start a wait that would pass the total wait cap', async () => {
    const start = Date.UTC(2025, 0, 1);
    const reset = String(start / 1000 + 60);
    const { client, sleeps, calls } = harness([{ status: 429, headers: { 'x-ratelimit-reset': reset } }], {
      maxRetryWaitMs: 10_000,
    });
    await expect(client.getExecution('e1')).rejects.toThrow(RateLimitedError);
    expect(sleeps).toEqual([]);
    expect(calls()).toBe(1);
  });

  it('after a spent daily quota, other requests go on at once (the quota resets at midnight)', async () => {
    const midnight = String(Date.UTC(2025, 0, 2) / 1000);
    const { client, sleeps, calls } = harness([
      { status: 429, headers: { 'x-ratelimit-reset': midnight }, body: quotaSpent },
      { status: 200 },
    ]);
    const spent = client.previewTemplate('t1');
    await expect(spent).rejects.toMatchObject({ quota: 'preview_limit_exceeded' });
    await expect(spent).rejects.toThrow(RateLimitedError);
    await expect(client.getExecution('e1')).resolves.toMatchObject({ id: 'e1' });
    expect(sleeps).toEqual([]);
    expect(calls()).toBe(2);
  });

  it('fails fast, saying when the limit resets, instead of waiting past the budget for a far-off reset', async () => {
    const start = Date.UTC(2025, 0, 1);
    const reset = String(start / 1000 + 3 * 3600);
    const { client, sleeps, calls } = harness([
      { status: 429, headers: { 'x-ratelimit-reset': reset } },
      { status: 200 },
    ]);
    const first = client.getExecution('e1');
    await expect(first).rejects.toThrow(RateLimitedError);
    await expect(first).rejects.toThrow(/resets at 2025-01-01T03:00:00\.000Z/);
    // The next request would wait three hours for the same reset: it is refused without being sent.
    const next = client.getExecution('e2');
    await expect(next).rejects.toThrow(RateLimitedError);
    await expect(next).rejects.toThrow(
      /GET \/api\/v1\/executions\/e2 was not sent: .*resets at 2025-01-01T03:00:00\.000Z \(in 3 h 0 min\)/,
    );
    expect(sleeps).toEqual([]);
    expect(calls()).toBe(1);
  });

  it('waits for an announced reset that fits the retry budget', async () => {
    const start = Date.UTC(2025, 0, 1);
    const reset = String(start / 1000 + 8);
    const { client, sleeps, calls } = harness(
      [{ status: 429, headers: { 'x-ratelimit-reset': reset } }, { status: 200 }],
      { random: 0, maxRetryWaitMs: 10_000 },
    );
    await client.getExecution('e1'); // waits 8 s for the reset: within the 10 s budget
    expect(sleeps).toEqual([8000]);
    expect(calls()).toBe(2);
  });

  it('keeps retrying a 429 without a wait hint for at least a rate-limit window (60 s), backing off', async () => {
    // No Retry-After, no X-RateLimit-Reset: the limiter's window is unknown, but per-minute budgets are the norm.
    const { client, sleeps, calls } = harness(
      Array.from({ length: 200 }, () => ({ status: 429 })).concat({ status: 200 }),
      { random: 0, maxRetryWaitMs: 120_000 },
    );
    await expect(client.getExecution('e1')).resolves.toMatchObject({ id: 'e1' });
    expect(calls()).toBeGreaterThan(6); // past the attempt cap that other failures have
    const waited = sleeps.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThanOrEqual(60_000);
    for (let i = 1; i < sleeps.length; i++) expect(sleeps[i]).toBeGreaterThanOrEqual(sleeps[i - 1] ?? 0);
    expect(sleeps[0]).toBeGreaterThan(0); // even with no jitter drawn, each wait makes progress through the window
  });

  it('gives up on a 429 without a wait hint once the wait budget is spent, saying it was rate limited', async () => {
    const { client, sleeps } = harness([{ status: 429 }], { random: 0.5, maxRetryWaitMs: 120_000 });
    await expect(client.getExecution('e1')).rejects.toThrow(RateLimitedError);
    const waited = sleeps.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThanOrEqual(60_000);
    expect(waited).toBeLessThanOrEqual(120_000);
  });

  it('reports a spent quota coded in upper case (PREVIEW_LIMIT_EXCEEDED) at once instead of retrying it', async () => {
    const body = JSON.stringify({
      success: false,
      error: { code: 'PREVIEW_LIMIT_EXCEEDED', message: 'Daily preview quota used up' },
    });
    const { client, sleeps, calls } = harness([{ status: 429, body }, { status: 200 }]);
    const spent = client.previewTemplate('t1');
    await expect(spent).rejects.toThrow(RateLimitedError);
    await expect(spent).rejects.toMatchObject({ quota: 'preview_limit_exceeded' });
    expect(sleeps).toEqual([]);
    expect(calls()).toBe(1);
  });

  it('counts a pacing wait against the retry budget', async () => {
    const start = Date.UTC(2025, 0, 1);
    const reset = String(start / 1000 + 6);
    const { client, sleeps, calls } = harness(
      [{ status: 429, headers: { 'x-ratelimit-reset': reset } }, { status: 503 }, { status: 200 }],
      { random: 0.999, maxRetryWaitMs: 6050 },
    );
    // The 429 (with jitter beyond the budget) fails at once, but blocks the client until the reset.
    await expect(client.getExecution('a')).rejects.toThrow();
    // The next request waits 6 s for it; after the 503, the ~100 ms backoff no longer fits: no third request.
    await expect(client.getExecution('b')).rejects.toThrow(ServerError);
    expect(sleeps).toEqual([6000]);
    expect(calls()).toBe(2);
  });
});

describe('debug trace', () => {
  it('names method, path, status and the request id the service sent, never the token', async () => {
    const lines: string[] = [];
    const client = createClient({
      origin: 'http://127.0.0.1:9',
      token: 'secret-token',
      trace: (line) => lines.push(line),
      fetch: (async () =>
        new Response(JSON.stringify({ success: true, data: { id: 'e1', task_id: 't', status: 'queued' } }), {
          status: 200,
          headers: { 'x-request-id': 'req-42' },
        })) as typeof fetch,
    });
    await client.getExecution('e1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^GET \/api\/v1\/executions\/e1 200 \d+ms attempt 1/);
    expect(lines[0]).toContain('req-42');
    expect(lines.join('\n')).not.toContain('secret-token');
  });
});
