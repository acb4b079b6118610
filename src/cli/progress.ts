import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  /** `done` counts toward `total` (rows, or bytes of a file); `rows` is shown when it differs. */
  update(done: number, rows?: number): void;
  stop(): void;
}

/**
 * Progress for long work: a bar with rows, rows/s and ETA on a terminal (when the total is known),
 * else one log line per second and a last one, so CI logs and pipes stay readable.
 */
export function startProgress(label: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr, unit = 'rows'): Progress {
  const started = Date.now();
  const rate = (rows: number) => Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
  if (stream.isTTY && total !== undefined && total > 0) {
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {rows} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
        barCompleteChar: '#',
        barIncompleteChar: '.',
      },
      Presets.legacy,
    );
    bar.start(total, 0, { rows: 0, rate: 0 });
    return {
      update: (done, rows = done) => bar.update(Math.min(done, total), { rows, rate: rate(rows) }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let latest = { done: 0, rows: 0 };
  let shown: typeof latest | undefined;
  const line = () => {
    shown = latest;
    const r = rate(latest.rows);
    const fraction = total ? latest.done / total : undefined;
    const elapsed = (Date.now() - started) / 1000;
    const eta = fraction && fraction > 0 && fraction < 1 ? `, ETA ${Math.ceil((elapsed / fraction) * (1 - fraction))} s` : '';
    stream.write(`${label}: ${latest.rows} ${unit}, ${r} ${unit}/s${fraction !== undefined ? `, ${Math.floor(fraction * 100)}%` : ''}${eta}\n`);
  };
  return {
    update: (done, rows = done) => {
      latest = { done, rows };
      if (Date.now() - last >= 1000) {
        last = Date.now();
        line();
      }
    },
    // The last state, unless a line already showed it (the same state may be reported twice).
    stop: () => {
      if (shown?.done !== latest.done || shown.rows !== latest.rows) line();
    },
  };
}
