import { describe, expect, it } from 'vitest';
import {
  fullJitterDelayMs,
  parseRateLimitResetAt,
  parseRetryAfterMs,
  retryDelayMs,
  serverRequestedWaitMs,
} from '../../../src/io/api/backoff.js';

const policy = { baseMs: 100, capMs: 1000 };

describe('full-jitter backoff', () => {
  it('draws uniformly below a ceiling that doubles per retry up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((retry) => fullJitterDelayMs(retry, policy, () => 0.999999));
    expect(ceilings).toEqual([99, 199, 399, 799, 999, 999]);
    expect(fullJitterDelayMs(3, policy, () => 0)).toBe(0);
    expect(fullJitterDelayMs(3, policy, () => 0.5)).toBe(200);
  });

  it('waits at least what the server asked for, plus less than one base delay of jitter', () => {
    expect(retryDelayMs(1, policy, () => 0, 5000)).toBe(5000);
    expect(retryDelayMs(1, policy, () => 0.5, 5000)).toBe(5050);
    expect(retryDelayMs(4, policy, () => 0.5, undefined)).toBe(400);
  });
});

describe('server-requested waits', () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('0.5', now)).toBe(500);
    expect(parseRetryAfterMs(new Date(now + 7000).toUTCString(), now)).toBe(7000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it('reads X-RateLimit-Reset as Unix seconds, or a small number as seconds from now', () => {
    expect(parseRateLimitResetAt(String(now / 1000 + 12), now)).toBe(now + 12_000);
    expect(parseRateLimitResetAt('30', now)).toBe(now + 30_000);
    expect(parseRateLimitResetAt('tomorrow', now)).toBeUndefined();
  });

  it('prefers Retry-After over X-RateLimit-Reset and never returns a negative wait', () => {
    const both = new Headers({ 'retry-after': '2', 'x-ratelimit-reset': String(now / 1000 + 9) });
    expect(serverRequestedWaitMs(both, now)).toBe(2000);
    const resetOnly = new Headers({ 'x-ratelimit-reset': String(now / 1000 + 9) });
    expect(serverRequestedWaitMs(resetOnly, now)).toBe(9000);
    const past = new Headers({ 'x-ratelimit-reset': String(now / 1000 - 5) });
    expect(serverRequestedWaitMs(past, now)).toBe(0);
    expect(serverRequestedWaitMs(new Headers(), now)).toBeUndefined();
  });
});
