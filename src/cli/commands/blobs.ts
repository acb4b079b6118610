import { Command, InvalidArgumentError } from 'commander';
import {
  BACKEND_NAMES,
  type BackendName,
  type BlobStore,
  blobStoreFromEnv,
  collectGarbage,
  DEFAULT_GRACE_MS,
  moveBlobs,
  verifyBlobs,
} from '../../blobs/index.js';
import type { Database } from '../../db/index.js';
import { withDatabase } from '../database.js';
import { fail } from '../fail.js';
import { parseDuration } from '../options.js';
import { startProgress } from '../progress.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function parseBackend(value: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${BACKEND_NAMES.join(', ')}`);
  return value as BackendName;
}

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

const ENV = `
Environment:
  STRATA_BLOBS       where new objects go: fs (default), postgres or s3
  STRATA_BLOBS_DIR   the fs backend's folder (default .strata/blobs)
  STRATA_S3_BUCKET, STRATA_S3_ENDPOINT, STRATA_S3_REGION, STRATA_S3_PREFIX, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
                     the s3 backend (objects there are readable whenever the bucket is set)`;

export function blobsCommand(): Command {
  const cmd = new Command('blobs')
    .description('blob storage (images and files): verify checksums, collect garbage, move between backends')
    .addHelpText('after', `\nExamples:\n  $ strata blobs status\n  $ strata blobs verify\n  $ STRATA_S3_BUCKET=media strata blobs move --to s3\n${ENV}`);
  cmd
    .command('status')
    .description('blobs, attachments and bytes per backend')
    .addHelpText('after', '\nExample:\n  $ strata blobs status')
    .action(() =>
      withStore(async (store) => {
        const rows = await store.stats();
        if (rows.length === 0) say('no blobs stored');
        for (const r of rows)
          say(`${r.backend}: ${r.blobs} blobs, ${mb(r.bytes)}, ${r.attachments} attachments${r.unused ? `, ${r.unused} unused (gc collects them)` : ''}`);
      }).catch(fail),
    );
  cmd
    .command('verify')
    .description('re-read every blob and check its sha256; resumable: after a kill or Ctrl-C, run it again to carry on')
    .option('--restart', 'start a new run instead of carrying on with a stopped one')
    .addHelpText('after', '\nExample:\n  $ strata blobs verify\n\nExits 1 when a blob is corrupt or missing, listing each on stdout.')
    .action((opts: { restart?: boolean }) =>
      withStore(async (store) => {
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
      }).catch(fail),
    );
  cmd
    .command('gc')
    .description('remove blobs nothing uses, and objects no row uses (crashed uploads, moved copies), after a grace period')
    .option('--grace <duration>', 'keep what became unused less than this long ago', parseDuration, DEFAULT_GRACE_MS)
    .addHelpText('after', '\nExamples:\n  $ strata blobs gc\n  $ strata blobs gc --grace 24h')
    .action((opts: { grace: number }) =>
      withStore(async (store) => {
        const progress = startProgress('collecting blobs', undefined, process.stderr, 'removed');
        const result = await collectGarbage(store, { graceMs: opts.grace, signal: interruptible(), onProgress: (p) => progress.update(p.blobs + p.objects) });
        progress.stop();
        if (result.error) throw result.error;
        say(`removed ${result.blobs} unused blobs and ${result.objects} objects`);
      }).catch(fail),
    );
  cmd
    .command('move')
    .description('copy every blob to another backend and switch it there, while the service runs; resumable')
    .requiredOption('--to <backend>', `the backend to move to (${BACKEND_NAMES.join(', ')})`, parseBackend)
    .option('--grace <duration>', 'how long old copies stay for reads in flight (gc removes them after)', parseDuration, DEFAULT_GRACE_MS)
    .addHelpText(
      'after',
      '\nExamples:\n  $ STRATA_S3_BUCKET=media STRATA_S3_ENDPOINT=http://127.0.0.1:7480 strata blobs move --to s3\n  $ strata blobs move --to fs\n\nSet STRATA_BLOBS to the new backend for the service too, so new uploads go there.',
    )
    .action((opts: { to: BackendName; grace: number }) =>
      withStore(async (store) => {
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
        say(
          `moved ${result.moved} blobs (${mb(result.bytes)}) to ${opts.to}${result.failed.length ? `; ${result.failed.length} not moved (listed above)` : ''}`,
        );
        if (result.failed.length > 0) throw new Error(`${result.failed.length} blob(s) could not be moved; run strata blobs verify`);
      }).catch(fail),
    );
  return cmd;
}
