import { describe, expect, it, vi } from 'vitest';
import { collectArrayBuffers } from '../../src/cli/array-buffer-collector.js';

const MIB = 1024 * 1024;

// strata serve's collector of dead transfer buffers (src/cli/array-buffer-collector.ts), with the
// figure it watches and the collection it runs replaced: when it collects, not how fast.
describe('collectArrayBuffers', () => {
  it('collects once ArrayBuffer memory is the slack above its lowest, then measures from the new lowest', async () => {
    let figure = 10 * MIB;
    const collect = vi.fn(() => {
      figure = 12 * MIB; // what survives: buffers still in use
    });
    const stop = collectArrayBuffers({ slackBytes: 16 * MIB, everyMs: 1, minGapMs: 0, collect, arrayBuffers: () => figure });
    try {
      figure = 25 * MIB; // 15 MiB above the lowest: not yet
      await new Promise((r) => setTimeout(r, 30));
      expect(collect).not.toHaveBeenCalled();
      figure = 27 * MIB;
      await vi.waitFor(() => expect(collect).toHaveBeenCalledTimes(1));
      // The lowest is now 12 MiB: 27 would have been enough before, not now.
      figure = 27 * MIB;
      await new Promise((r) => setTimeout(r, 30));
      expect(collect).toHaveBeenCalledTimes(1);
      figure = 28 * MIB;
      await vi.waitFor(() => expect(collect).toHaveBeenCalledTimes(2));
    } finally {
      stop();
    }
  });

  it('waits the minimum gap between two collections', async () => {
    let figure = 0;
    const collect = vi.fn();
    const stop = collectArrayBuffers({ slackBytes: MIB, everyMs: 1, minGapMs: 60_000, collect, arrayBuffers: () => figure });
    try {
      figure = 5 * MIB;
      await vi.waitFor(() => expect(collect).toHaveBeenCalledTimes(1));
      figure = 50 * MIB;
      await new Promise((r) => setTimeout(r, 30));
      expect(collect).toHaveBeenCalledTimes(1);
    } finally {
      stop();
    }
  });
});
