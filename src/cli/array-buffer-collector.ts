import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIB = 1024 * 1024;

export interface ArrayBufferCollectorOptions {
  /** Collect once the process's ArrayBuffer memory is this much above its lowest since the last collection. Default 16 MiB. */
  readonly slackBytes?: number;
  /** How often the figure is read. Default 100 ms. */
  readonly everyMs?: number;
  /** The shortest time between two collections. Default 250 ms. */
  readonly minGapMs?: number;
  /** The collection itself (default: V8's full GC, exposed for this). */
  readonly collect?: () => void;
  /** The figure watched (default: `process.memoryUsage().arrayBuffers`). */
  readonly arrayBuffers?: () => number;
}

/** V8's full garbage collection, exposed to this process (`--expose-gc` set now, `gc` taken from a new context). */
function fullGc(): () => void {
  const own = (globalThis as { gc?: () => void }).gc;
  if (own) return own;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Runs a full garbage collection when the process's ArrayBuffer memory has grown `slackBytes` above
 * its lowest since the last one; returns a function that stops watching.
 *
 * Why: the pieces a large upload or download passes through (socket reads, part and chunk buffers,
 * query results) live long enough to be promoted to V8's old generation, where only a full
 * collection frees them, and V8 starts one for ArrayBuffer memory only after it grew 64 MiB. Through
 * `strata serve` that was 40-80 MiB of dead buffers at the peak of a 256 MiB transfer (issue #26's
 * budget is 150 MB for the whole process; docs/blobs.md#memory). Watching the figure costs nothing
 * measurable; a collection (tens of ms on a heap of ~30 MiB) runs only while buffers are being
 * discarded, at most once per `minGapMs`.
 */
export function collectArrayBuffers(options: ArrayBufferCollectorOptions = {}): () => void {
  const slack = options.slackBytes ?? 16 * MIB;
  const gap = options.minGapMs ?? 250;
  const read = options.arrayBuffers ?? (() => process.memoryUsage().arrayBuffers);
  let collect = options.collect;
  let lowest = read();
  let last = 0;
  const timer = setInterval(() => {
    const now = read();
    if (now < lowest) lowest = now;
    if (now - lowest < slack || Date.now() - last < gap) return;
    collect ??= fullGc();
    collect();
    last = Date.now();
    // Freed buffers are released by a background sweep: the next readings find the new lowest.
    lowest = read();
  }, options.everyMs ?? 100);
  timer.unref();
  return () => clearInterval(timer);
}
