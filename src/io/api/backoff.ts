/** Pure arithmetic of retries: full-jitter backoff and the waits servers ask for (titan-api.md A4). */

export interface BackoffPolicy {
  /** Delay ceiling of the first retry (ms); it doubles each retry up to `capMs`. */
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 20_000 };

/** "Full jitter": uniform in [0, min(cap, base·2^(retry-1))). `retry` counts from 1; `random` is in [0, 1). */
export function fullJitterDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** "Equal jitter": uniform in [c/2, c) for the same doubling ceiling c: spread out, yet never near zero. */
export function equalJitterDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After` as delta seconds or an HTTP date → ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * `X-RateLimit-Reset` → the instant (ms since epoch) the budget refills. Documented as Unix seconds; a small
 * number is read as seconds from now, which some gateways send instead.
 */
export function parseRateLimitResetAt(value: string | null, nowMs: number): number | undefined {
  if (value === null || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const seconds = Number(value.trim());
  return seconds < 1_000_000_000 ? nowMs + seconds * 1000 : seconds * 1000;
}

/** The least the server asked us to wait (ms), from `Retry-After` or else `X-RateLimit-Reset`. */
export function serverRequestedWaitMs(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfterMs(headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const resetAt = parseRateLimitResetAt(headers.get('x-ratelimit-reset'), nowMs);
  return resetAt === undefined ? undefined : Math.max(0, resetAt - nowMs);
}

/**
 * The wait before the next attempt: at least what the server asked for (plus a little jitter, so that the
 * requests it held back do not all return in the same millisecond), otherwise full-jitter backoff.
 */
export function retryDelayMs(
  retry: number,
  policy: BackoffPolicy,
  random: () => number,
  requestedMs: number | undefined,
): number {
  if (requestedMs === undefined) return fullJitterDelayMs(retry, policy, random);
  return requestedMs + Math.floor(random() * policy.baseMs);
}
