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

  it('stop prints the last state when only the rows differ from the line shown (same share done)', () => {
    const { stream, written } = lines();
    const progress = startProgress('loading', 10, stream);
    vi.advanceTimersByTime(1000);
    progress.update(4);
    progress.update(4, 9);
    progress.stop();
    expect(written).toEqual(['loading: 4 rows, 4 rows/s, 40%, ETA 2 s\n', 'loading: 9 rows, 9 rows/s, 40%, ETA 2 s\n']);
  });
});

describe('progress on a terminal: a bar when the total is known, else lines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  const terminal = () => {
    const { stream, written } = lines();
    Object.assign(stream, { isTTY: true, columns: 120 });
    return { stream, written };
  };

  it('the bar: hidden cursor, #/. bar, percentage of the total (capped), rows and rate, cursor back and a newline at the end', () => {
    const { stream, written } = terminal();
    const progress = startProgress('loading', 10, stream);
    vi.advanceTimersByTime(1000);
    progress.update(4);
    vi.advanceTimersByTime(1000);
    progress.update(15, 20);
    progress.stop();
    const line = (text: string) => ['\x1b[1G', text, '\x1b[0K'];
    expect(written).toEqual([
      '\x1b7',
      '\x1b[?25l',
      '\x1b[?7l',
      ...line('loading [........................................] 0% | 0 rows | 0 rows/s | ETA 0s'),
      ...line('loading [################........................] 40% | 4 rows | 4 rows/s | ETA 2s'),
      ...line('loading [########################################] 100% | 20 rows | 10 rows/s | ETA 0s'),
      '\x1b[?25h',
      '\x1b[?7h',
      '\x1b8',
      '\n',
    ]);
  });

  it('no total, or a total of 0: lines, as without a terminal', () => {
    const { stream, written } = terminal();
    startProgress('exporting', undefined, stream).update(7);
    startProgress('copying', 0, stream).update(3);
    expect(written).toEqual(['exporting: 7 rows, 7000 rows/s\n', 'copying: 3 rows, 3000 rows/s\n']);
  });
});
