import { describe, expect, it } from 'vitest';
import { backfillPause, DEFAULT_BACKFILL } from '../../src/migrate/backfill.js';

describe('backfill pacing (the pause after a batch)', () => {
  const options = { ...DEFAULT_BACKFILL };

  it('yields as long as the batch took times the ratio, so a slower (busier) server gets longer pauses', () => {
    expect(backfillPause({ ...options, maxRowsPerSecond: 0 }, 1000, 20)).toBe(10);
    expect(backfillPause({ ...options, maxRowsPerSecond: 0 }, 1000, 200)).toBe(100);
    expect(backfillPause({ ...options, maxRowsPerSecond: 0, yieldRatio: 1 }, 1000, 200)).toBe(200);
  });

  it('keeps under the rate bound: 1,000 rows at 30,000 rows/s are 33.3 ms a batch, pause included', () => {
    expect(backfillPause({ ...options, yieldRatio: 0 }, 1000, 10)).toBeCloseTo(1000 / 30 - 10, 5);
    expect(backfillPause(options, 1000, 10)).toBeCloseTo(1000 / 30 - 10, 5);
  });

  it('a fixed throttle is a minimum; no pacing at all pauses 0', () => {
    expect(backfillPause({ ...options, throttleMs: 500 }, 1000, 10)).toBe(500);
    expect(backfillPause({ batchSize: 1000, throttleMs: 0, yieldRatio: 0, maxRowsPerSecond: 0 }, 1000, 10)).toBe(0);
    expect(backfillPause({ ...options, yieldRatio: 0 }, 1000, 100)).toBe(0);
  });
});
