import { describe, expect, it } from 'vitest';
import { DoneLines } from '../../src/bulk/progress.js';

describe('DoneLines (which input lines an earlier run committed)', () => {
  it('answers for lines inside and between committed ranges, in any order', () => {
    const done = new DoneLines(
      [
        [2, 10],
        [21, 30],
        [51, 51],
      ],
      21,
    );
    const ascending = Array.from({ length: 60 }, (_, i) => i + 1).filter((line) => done.has(line));
    expect(ascending).toEqual([...Array.from({ length: 9 }, (_, i) => i + 2), ...Array.from({ length: 10 }, (_, i) => i + 21), 51]);
    expect([done.has(25), done.has(3), done.has(11), done.has(51), done.has(1), done.has(52)]).toEqual([true, true, false, true, false, false]);
  });

  it('with no ranges, nothing is done', () => {
    expect(new DoneLines([], 0).has(1)).toBe(false);
  });
});
