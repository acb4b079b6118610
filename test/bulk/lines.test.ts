import { describe, expect, it } from 'vitest';
import { LineMap } from '../../src/bulk/line-map.js';
import { DoneLines, NOTHING_DONE } from '../../src/bulk/progress.js';

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

  it('counts the rows an earlier run rejected once per range it skips', () => {
    const done = new DoneLines(
      [
        [2, 5, 1],
        [6, 9, 2],
        [20, 21, 0],
      ],
      6,
    );
    for (const line of [2, 3, 4, 5, 3, 6]) done.has(line);
    expect(done.rejectedSeen).toBe(3);
  });

  it("a range's last line asked after a later range's line is still done", () => {
    const done = new DoneLines(
      [
        [2, 10],
        [21, 30],
      ],
      19,
    );
    expect([done.has(25), done.has(10), done.has(30), done.has(21), done.has(20)]).toEqual([true, true, true, true, false]);
  });

  it('with no ranges, nothing is done', () => {
    expect(new DoneLines([], 0).has(1)).toBe(false);
    expect([NOTHING_DONE.has(1), NOTHING_DONE.has(2), NOTHING_DONE.rejectedSeen, NOTHING_DONE.rows]).toEqual([false, false, 0, 0]);
  });
});

describe('LineMap (the input line of each row of a chunk)', () => {
  it('maps row positions to input lines across runs of consecutive and scattered lines', () => {
    const lines = [2, 3, 4, 5, 9, 12, 13, 14, 100];
    const map = LineMap.of(lines);
    expect(map.size).toBe(lines.length);
    expect([map.first, map.last]).toEqual([2, 100]);
    expect(lines.map((_, i) => map.lineOf(i))).toEqual(lines);
    expect([map.lineOf(-1), map.lineOf(lines.length)]).toEqual([undefined, undefined]);
  });

  it('append joins a run that continues the last one and keeps the others apart; iterating gives every line in order', () => {
    const map = LineMap.of([1, 2, 3]);
    map.append(LineMap.of([4, 5, 9, 10, 20]));
    map.append(LineMap.of([22]));
    expect([...map]).toEqual([1, 2, 3, 4, 5, 9, 10, 20, 22]);
    expect(map.size).toBe(9);
    expect([map.first, map.last]).toEqual([1, 22]);
    expect(Array.from({ length: 9 }, (_, i) => map.lineOf(i))).toEqual([1, 2, 3, 4, 5, 9, 10, 20, 22]);
    const empty = new LineMap();
    empty.append(LineMap.of([7, 8]));
    expect([[...empty], empty.size, empty.lineOf(1), empty.lineOf(2)]).toEqual([[7, 8], 2, 8, undefined]);
    expect([[...new LineMap()], new LineMap().first, new LineMap().last]).toEqual([[], undefined, undefined]);
  });

  it('maps any sequence of lines, also going back or repeating (runs join only a line one past the last)', () => {
    for (const lines of [
      [2, 1],
      [5, 4, 3],
      [7, 7, 8],
      [3, 9, 4, 5],
    ]) {
      const map = LineMap.of(lines);
      expect(
        lines.map((_, i) => map.lineOf(i)),
        String(lines),
      ).toEqual(lines);
      expect([...map]).toEqual(lines);
      const appended = new LineMap();
      for (const line of lines) appended.append(LineMap.of([line]));
      expect(
        lines.map((_, i) => appended.lineOf(i)),
        `appended ${lines}`,
      ).toEqual(lines);
    }
  });
});
