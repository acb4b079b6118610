import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/**
 * Progress for long work: a bar with rate and ETA on a terminal, else one log line per second
 * (and a last one), so CI logs and pipes stay readable.
 */
export function startProgress(label: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  if (stream.isTTY && total !== undefined) {
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
        barCompleteChar: '#',
        barIncompleteChar: '.',
      },
      Presets.legacy,
    );
    bar.start(total, 0, { rate: 0 });
    return {
      update: (done) => bar.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let latest = 0;
  const line = () => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = Math.round(latest / seconds);
    const eta = total !== undefined && rate > 0 ? `, ETA ${Math.ceil((total - latest) / rate)} s` : '';
    stream.write(`${label}: ${latest}${total !== undefined ? `/${total}` : ''} rows, ${rate} rows/s${eta}\n`);
  };
  return {
    update: (done) => {
      latest = done;
      if (Date.now() - last >= 1000) {
        last = Date.now();
        line();
      }
    },
    stop: line,
  };
}
