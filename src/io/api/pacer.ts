/**
 * Client-side pacing from the `X-RateLimit-*` headers, shared by every request of one client: when the budget
 * runs low, requests are spaced at the refill rate (limit per minute) so a busy run slows down before the service
 * answers 429; after a 429 from the rate limiter every request waits for the announced reset. A wait is never
 * longer than the caller allows: `reserve` refuses (books nothing) instead, so nothing waits forever (A4).
 */
import { parseRateLimitResetAt, parseRetryAfterMs } from './backoff.js';

/**
 * Below this share of the budget (the burst capacity seen, at most the limit) left, requests are spaced out. Small,
 * because requests in flight are already counted: every token held back is a request sent a refill interval late.
 */
const LOW_BUDGET_SHARE = 0.05;

export class RatePacer {
  private limit: number | undefined;
  private remaining: number | undefined;
  /** The most ever seen remaining: the burst capacity, when the service allows bursts below its per-minute limit. */
  private peakRemaining = 0;
  private blockedUntil = 0;
  private nextSlot = 0;
  /** Requests booked whose answers have not arrived: an answer's budget does not count them yet. */
  private inFlight = 0;

  constructor(
    private readonly now: () => number,
    /** The budget's window; the docs speak of requests per minute. */
    private readonly windowMs = 60_000,
  ) {}

  /**
   * Books a start time for one request and returns how long (ms) to wait before sending it, or undefined —
   * booking nothing — when that wait would be longer than `maxWaitMs` (see `earliestStart` for when it could go).
   */
  reserve(maxWaitMs = Number.POSITIVE_INFINITY): number | undefined {
    const t = this.now();
    const start = this.startAt(t);
    if (start - t > maxWaitMs) return undefined;
    if (this.limit !== undefined && this.isBudgetLow()) this.nextSlot = start + this.windowMs / this.limit;
    // Count the request against the last known budget so concurrent callers see it shrink before answers arrive.
    if (this.remaining !== undefined) this.remaining -= 1;
    this.inFlight += 1;
    return start - t;
  }

  /** The earliest instant (ms since epoch) a request booked now could be sent. */
  earliestStart(): number {
    return this.startAt(this.now());
  }

  private startAt(t: number): number {
    const start = Math.max(t, this.blockedUntil);
    return this.limit !== undefined && this.isBudgetLow() ? Math.max(start, this.nextSlot) : start;
  }

  /** A booked request ended without an answer (network failure, timeout): it no longer spends budget. */
  settle(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * Learns the budget from an answer's headers; a 429 from the rate limiter blocks everyone until the reset it
   * announces. A spent daily quota (`spentQuota`) concerns only its own endpoint: it blocks no one.
   */
  observe(status: number, headers: Headers, spentQuota = false): void {
    this.settle();
    const limit = positiveInt(headers.get('x-ratelimit-limit'));
    if (limit !== undefined && limit > 0) this.limit = limit;
    const remaining = positiveInt(headers.get('x-ratelimit-remaining'));
    if (remaining !== undefined) {
      // The service answered before it saw the requests still in flight; they will spend the budget too.
      // (Taking its figure as is let a burst of concurrent requests overrun the budget into a 429.)
      this.remaining = remaining - this.inFlight;
      this.peakRemaining = Math.max(this.peakRemaining, remaining);
    }
    if (status !== 429 || spentQuota) return;
    this.remaining = 0;
    const t = this.now();
    const retryAfter = parseRetryAfterMs(headers.get('retry-after'), t);
    const resetAt =
      retryAfter !== undefined ? t + retryAfter : parseRateLimitResetAt(headers.get('x-ratelimit-reset'), t);
    if (resetAt !== undefined) this.blockedUntil = Math.max(this.blockedUntil, resetAt);
  }

  private isBudgetLow(): boolean {
    if (this.limit === undefined || this.remaining === undefined) return false;
    const capacity = Math.min(this.limit, Math.max(this.peakRemaining, 1));
    return this.remaining <= Math.max(1, Math.ceil(capacity * LOW_BUDGET_SHARE));
  }
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
