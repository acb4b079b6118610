import { type BackendName, type BlobStore, blobStoreFromEnv, collectGarbage, moveBlobs, verifyBlobs } from '../../blobs/index.js';
import type { Database } from '../../db/index.js';
import { withDatabase } from '../database.js';
import { startProgress } from '../progress.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function withStore(work: (store: BlobStore, database: Database) => Promise<void>): Promise<void> {
  await withDatabase(async (database) => {
    const store = await blobStoreFromEnv(database);
    try {
      await work(store, database);
    } finally {
      await store.close();
    }
  });
}

/** Stops long work at Ctrl-C between two blobs (its progress is saved, a rerun carries on). */
function interruptible(): AbortSignal {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort(new Error('interrupted; run the same command again to carry on')));
  return stop.signal;
}

/** `strata blobs status`. */
export function status(): Promise<void> {
  return withStore(async (store) => {
    const rows = await store.stats();
    if (rows.length === 0) say('no blobs stored');
    for (const r of rows)
      say(`${r.backend}: ${r.blobs} blobs, ${mb(r.bytes)}, ${r.attachments} attachments${r.unused ? `, ${r.unused} unused (gc collects them)` : ''}`);
  });
}

/** `strata blobs verify`. */
export function verify(opts: { restart?: boolean }): Promise<void> {
  return withStore(async (store) => {
    let progress: ReturnType<typeof startProgress> | undefined;
    const result = await verifyBlobs(store, {
      restart: opts.restart === true,
      signal: interruptible(),
      onProgress: (p) => {
        progress ??= startProgress('verifying blobs', p.totalBytes, process.stderr, 'blobs');
        progress.update(p.bytes, p.checked);
      },
    });
    progress?.stop();
    for (const p of result.problems) say(`${p.status} ${p.blobId} (${p.backend} ${p.key}): ${p.message}`);
    if (result.error) throw result.error;
    say(`verified ${result.checked} blobs (${mb(result.bytes)})${result.resumed ? ', carrying on a stopped run' : ''}: ${result.problems.length} bad`);
    if (result.problems.length > 0) throw new Error(`${result.problems.length} blob(s) corrupt or missing (listed above)`);
  });
}

/** `strata blobs gc`. */
export function gc(opts: { grace: number }): Promise<void> {
  return withStore(async (store) => {
    const progress = startProgress('collecting blobs', undefined, process.stderr, 'removed');
    const result = await collectGarbage(store, { graceMs: opts.grace, signal: interruptible(), onProgress: (p) => progress.update(p.blobs + p.objects) });
    progress.stop();
    if (result.error) throw result.error;
    say(`removed ${result.blobs} unused blobs and ${result.objects} objects`);
  });
}

/** `strata blobs move`. */
export function move(opts: { to: BackendName; grace: number }): Promise<void> {
  return withStore(async (store) => {
    let progress: ReturnType<typeof startProgress> | undefined;
    const result = await moveBlobs(store, {
      to: opts.to,
      graceMs: opts.grace,
      signal: interruptible(),
      onProgress: (p) => {
        progress ??= startProgress(`moving blobs to ${opts.to}`, p.totalBytes, process.stderr, 'blobs');
        progress.update(p.bytes, p.moved);
      },
    });
    progress?.stop();
    for (const f of result.failed) say(`not moved ${f.blobId}: ${f.message}`);
    if (result.error) throw result.error;
    say(`moved ${result.moved} blobs (${mb(result.bytes)}) to ${opts.to}${result.failed.length ? `; ${result.failed.length} not moved (listed above)` : ''}`);
    if (result.failed.length > 0) throw new Error(`${result.failed.length} blob(s) could not be moved; run strata blobs verify`);
  });
}
