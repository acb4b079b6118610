import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/principals/index.js';

describe('createRateLimiter', () => {
  it('allows a burst, then refuses with the whole seconds until the next request is allowed; keys are separate', () => {
    const limiter = createRateLimiter({ perSecond: 2, burst: 3 });
    const t = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('a', t).ok)).toEqual([true, true, true]);
    expect(limiter.take('a', t)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b', t).ok).toBe(true);
    expect(limiter.take('a', t + 499).ok).toBe(false);
    expect(limiter.take('a', t + 1000).ok).toBe(true);
  });

  it('a slow rate answers a Retry-After of several seconds', () => {
    const limiter = createRateLimiter({ perSecond: 0.2, burst: 1 });
    expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 5 });
  });
});
