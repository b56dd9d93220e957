import { describe, expect, it } from 'vitest';
import { RatePacer } from '../../../src/io/api/pacer.js';

const budget = (limit: number, remaining: number, extra: Record<string, string> = {}): Headers =>
  new Headers({ 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(remaining), ...extra });

describe('rate pacing from X-RateLimit headers', () => {
  it('does not hold requests back while the budget is comfortable', () => {
    let now = 1_000_000;
    const pacer = new RatePacer(() => now);
    expect(pacer.reserve()).toBe(0);
    pacer.observe(200, budget(120, 100));
    expect([pacer.reserve(), pacer.reserve(), pacer.reserve()]).toEqual([0, 0, 0]);
    now += 10;
    expect(pacer.reserve()).toBe(0);
  });

  it('spaces requests at the refill rate once the budget runs low, across concurrent callers', () => {
    const now = 1_000_000;
    const pacer = new RatePacer(() => now);
    pacer.observe(200, budget(120, 120));
    pacer.observe(200, budget(120, 5)); // low mark 6; 120 per minute → one every 500 ms
    expect([pacer.reserve(), pacer.reserve(), pacer.reserve()]).toEqual([0, 500, 1000]);
  });

  it('counts requests in flight against the budget before their answers arrive', () => {
    const now = 1_000_000;
    const pacer = new RatePacer(() => now);
    pacer.observe(200, budget(60, 60));
    pacer.observe(200, budget(60, 6)); // low mark: 3 left
    const waits = Array.from({ length: 6 }, () => pacer.reserve());
    expect(waits).toEqual([0, 0, 0, 0, 1000, 2000]);
  });

  it('keeps counting requests still in flight when an earlier answer reports the budget', () => {
    const now = 1_000_000;
    const pacer = new RatePacer(() => now);
    pacer.observe(200, budget(120, 20)); // a burst of 20: low mark 1
    const burst = Array.from({ length: 17 }, () => pacer.reserve());
    expect(burst.every((wait) => wait === 0)).toBe(true);
    // The first answer was counted before the 16 others reached the service: 19 left for it, 3 in truth.
    pacer.observe(200, budget(120, 19));
    expect(Array.from({ length: 4 }, () => pacer.reserve())).toEqual([0, 0, 0, 500]);
  });

  it('forgets a request that ended without an answer', () => {
    const now = 1_000_000;
    const pacer = new RatePacer(() => now);
    pacer.observe(200, budget(120, 20));
    Array.from({ length: 18 }, () => pacer.reserve());
    for (let i = 0; i < 17; i++) pacer.settle(); // network failures: the service never counted them
    pacer.observe(200, budget(120, 19));
    expect(Array.from({ length: 3 }, () => pacer.reserve())).toEqual([0, 0, 0]);
  });

  it('measures "low" against the burst capacity it has seen, not only the per-minute limit', () => {
    const now = 1_000_000;
    const pacer = new RatePacer(() => now);
    pacer.observe(200, budget(600, 100)); // a burst of 100 under 600 per minute: low mark 5
    pacer.observe(200, budget(600, 6));
    expect([pacer.reserve(), pacer.reserve(), pacer.reserve()]).toEqual([0, 0, 100]);
  });

  it('holds every request until the reset a 429 announced', () => {
    let now = Date.UTC(2025, 0, 1);
    const pacer = new RatePacer(() => now);
    pacer.observe(429, budget(120, 0, { 'x-ratelimit-reset': String((now + 3000) / 1000) }));
    expect(pacer.reserve()).toBe(3000);
    now += 3000;
    expect(pacer.reserve()).toBeLessThanOrEqual(500);
  });

  it('honours Retry-After on a 429 as the hold', () => {
    const now = 1_000_000;
    const pacer = new RatePacer(() => now);
    pacer.observe(429, new Headers({ 'retry-after': '2' }));
    expect(pacer.reserve()).toBe(2000);
  });

  it('refuses, booking nothing, a wait longer than the caller allows', () => {
    let now = Date.UTC(2025, 0, 1);
    const pacer = new RatePacer(() => now);
    pacer.observe(429, budget(120, 0, { 'x-ratelimit-reset': String((now + 3 * 3600_000) / 1000) }));
    expect(pacer.reserve(120_000)).toBeUndefined();
    expect(pacer.earliestStart()).toBe(now + 3 * 3600_000);
    now += 3 * 3600_000;
    expect(pacer.reserve(120_000)).toBe(0);
  });

  it('is not blocked by a spent daily quota, whose reset is hours away', () => {
    const now = Date.UTC(2025, 0, 1, 9);
    const pacer = new RatePacer(() => now);
    const midnight = String(Date.UTC(2025, 0, 2) / 1000);
    pacer.observe(429, budget(120, 100, { 'x-ratelimit-reset': midnight }), true);
    expect(pacer.reserve()).toBe(0);
  });
});
