/**
 * Per-token request budget (titan-api.md A4): a token bucket refilled at `rpm` per minute whose capacity is ten
 * seconds' worth of requests (the "short burst allowance"), plus the daily template-preview quota.
 */

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the next request will be allowed. */
  resetSeconds: number;
}

export interface RateLimiter {
  take(key: string): RateDecision;
}

export function createRateLimiter(rpm: number, now: () => Date): RateLimiter {
  const perMs = rpm / 60_000;
  const capacity = Math.max(1, Math.ceil(rpm / 6));
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const at = now().getTime();
      const bucket = buckets.get(key) ?? { tokens: capacity, at };
      bucket.tokens = Math.min(capacity, bucket.tokens + (at - bucket.at) * perMs);
      bucket.at = at;
      buckets.set(key, bucket);
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      const waitMs = bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / perMs;
      return {
        allowed,
        limit: rpm,
        remaining: Math.floor(bucket.tokens),
        resetSeconds: Math.ceil((at + waitMs) / 1000),
      };
    },
  };
}

export interface PreviewQuota {
  /** Counts one preview; false when the day's quota is spent. */
  take(key: string): { allowed: boolean; remaining: number; resetSeconds: number };
}

export function createPreviewQuota(perDay: number, now: () => Date): PreviewQuota {
  const used = new Map<string, number>();
  return {
    take(key) {
      const date = now();
      const day = date.toISOString().slice(0, 10);
      const slot = `${day}|${key}`;
      const count = used.get(slot) ?? 0;
      const nextMidnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
      const resetSeconds = Math.ceil(nextMidnight / 1000);
      if (count >= perDay) return { allowed: false, remaining: 0, resetSeconds };
      for (const old of used.keys()) if (!old.startsWith(day)) used.delete(old);
      used.set(slot, count + 1);
      return { allowed: true, remaining: perDay - count - 1, resetSeconds };
    },
  };
}
