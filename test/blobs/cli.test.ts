import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../src/blobs/index.js';
import { chunked, pngBytes, useBlobs } from '../support/blobs.js';
import { runCli, startCli } from '../support/cli.js';

describe('strata blobs', () => {
  const blobs = useBlobs();
  const env = () => ({ DATABASE_URL: blobs.pg.url, STRATA_BLOBS_DIR: blobs.dir, STRATA_BLOBS: 'fs' });

  it('verify reports a corrupt blob and exits 1; killed halfway, a rerun carries on where it stopped', async () => {
    const store = blobs.store('fs');
    const made = [];
    for (let i = 0; i < 30; i++)
      made.push(await store.attach({ owner: { table: 'cli', id: String(i) }, role: 'file', source: chunked(pngBytes(2 * BLOCK_SIZE, 500 + i)) }));
    await blobs.corrupt('fs', made[20]!.blob.key, 100);
    const running = startCli(['blobs', 'verify'], env());
    await running.waitFor(/verifying blobs: \d+ blobs/);
    running.child.kill('SIGKILL');
    await running.exited;
    const rerun = await runCli(['blobs', 'verify'], env());
    expect(rerun.stdout).toMatch(/verified 30 blobs \([\d.]+ MiB\), carrying on a stopped run: 1 bad/);
    expect(rerun.stdout).toContain(`corrupt ${made[20]!.blob.id}`);
    expect(rerun.code).toBe(1);
    expect(rerun.stderr).toMatch(/^strata: 1 blob\(s\) corrupt or missing \(listed above\)$/m);
    const fresh = await runCli(['blobs', 'verify', '--restart'], env());
    expect(fresh.stdout).not.toContain('carrying on');
    expect(fresh.code).toBe(1);
  });

  it('move switches every blob to another backend, status shows it, gc removes the old copies after the grace period', async () => {
    const before = await runCli(['blobs', 'status'], env());
    expect(before.stdout).toMatch(/^fs: 30 blobs, 60\.0 MiB, 30 attachments$/m);
    const moved = await runCli(['blobs', 'move', '--to', 'postgres', '--grace', '0s'], env());
    expect(moved.stdout).toMatch(/moved 29 blobs .*; 1 not moved/);
    expect(moved.code).toBe(1);
    const after = await runCli(['blobs', 'status'], env());
    expect(after.stdout).toMatch(/^fs: 1 blobs/m);
    expect(after.stdout).toMatch(/^postgres: 29 blobs/m);
    const gc = await runCli(['blobs', 'gc', '--grace', '0s'], env());
    expect(gc.stdout).toMatch(/removed 0 unused blobs and 29 objects/);
    expect(gc.code).toBe(0);
  });

  it('refuses an unknown backend with a one-line reason', async () => {
    const result = await runCli(['blobs', 'move', '--to', 'tape'], env());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/must be one of fs, postgres, s3/);
  });
});
