import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startProgress } from '../../src/cli/progress.js';

/** The lines progress writes without a terminal, on a clock the test moves (no real time passes). */
function lines(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY: false, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('progress lines without a terminal: rate, share done, ETA, at most one line a second', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('the first update prints; later ones wait a second; the ETA is what is left at the rate so far', () => {
    const { stream, written } = lines();
    const progress = startProgress('verifying', 100, stream, 'blobs');
    vi.advanceTimersByTime(500);
    progress.update(10);
    vi.advanceTimersByTime(999);
    progress.update(20);
    vi.advanceTimersByTime(1);
    progress.update(30);
    vi.advanceTimersByTime(1500);
    progress.update(100, 250);
    progress.stop();
    expect(written).toEqual([
      'verifying: 10 blobs, 20 blobs/s, 10%, ETA 5 s\n',
      'verifying: 30 blobs, 20 blobs/s, 30%, ETA 4 s\n',
      'verifying: 250 blobs, 83 blobs/s, 100%\n',
    ]);
  });

  it('the share done is rounded down and no ETA is given at 0% or past the total; no total, no share', () => {
    const { stream, written } = lines();
    const progress = startProgress('loading', 1000, stream);
    vi.advanceTimersByTime(2000);
    progress.update(0);
    vi.advanceTimersByTime(1000);
    progress.update(999);
    vi.advanceTimersByTime(1000);
    progress.update(1500);
    const open = startProgress('exporting', undefined, stream);
    open.update(7);
    const zero = startProgress('copying', 0, stream);
    zero.update(3);
    expect(written).toEqual([
      'loading: 0 rows, 0 rows/s, 0%\n',
      'loading: 999 rows, 333 rows/s, 99%, ETA 1 s\n',
      'loading: 1500 rows, 375 rows/s, 150%\n',
      'exporting: 7 rows, 7000 rows/s\n',
      'copying: 3 rows, 3000 rows/s\n',
    ]);
  });

  it('stop prints the last state once when no line showed it (a load that never reported: its start)', () => {
    const { stream, written } = lines();
    const progress = startProgress('loading', 10, stream);
    vi.advanceTimersByTime(1000);
    progress.update(4);
    progress.update(5, 6);
    progress.stop();
    progress.stop();
    const silent = startProgress('idle', 10, stream);
    silent.stop();
    expect(written).toEqual(['loading: 4 rows, 4 rows/s, 40%, ETA 2 s\n', 'loading: 6 rows, 6 rows/s, 50%, ETA 1 s\n', 'idle: 0 rows, 0 rows/s, 0%\n']);
  });
});
