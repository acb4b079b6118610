/** The answer of a rate limiter: go on, or wait this many whole seconds. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one request from `key`'s allowance (`now` in milliseconds, for tests). */
  take(key: string, now?: number): RateDecision;
}

export interface RateLimitOptions {
  /** Requests per second each key may send on average. */
  readonly perSecond: number;
  /** Requests a key may send at once after being idle. Default `perSecond`. */
  readonly burst?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (a principal's id), in this process's memory: `burst` requests at once,
 * refilled at `perSecond`. Each service process counts on its own, so N processes allow N times
 * the rate.
 *
 * @example
 * const limiter = createRateLimiter({ perSecond: 100 });
 * const decision = limiter.take(principal.id);
 * if (!decision.ok) reply.header('retry-after', String(decision.retryAfterSeconds)).code(429);
 */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const rate = options.perSecond;
  const burst = Math.max(1, options.burst ?? rate);
  const buckets = new Map<string, Bucket>();
  let sweptAt = 0;
  const sweep = (now: number) => {
    // A bucket idle long enough to be full again says nothing: forget it, so the map stays small.
    const full = (burst / rate) * 1000;
    for (const [key, b] of buckets) if (now - b.at >= full) buckets.delete(key);
    sweptAt = now;
  };
  return {
    take(key, now = Date.now()) {
      if (now - sweptAt > 60_000) sweep(now);
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
    },
  };
}
