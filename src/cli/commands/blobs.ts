import { Command, InvalidArgumentError } from 'commander';
import type { BackendName } from '../../blobs/index.js';
import { lazy } from '../lazy.js';
import { parseDuration } from '../options.js';

// Definitions only: blobs' code, its backends and the database driver are imported when a command runs.
const actions = () => import('../actions/blobs.js');

// BACKEND_NAMES and DEFAULT_GRACE_MS of strata/blobs, written out so this definition loads nothing (test/cli/startup.test.ts compares them).
export const BACKENDS: readonly BackendName[] = ['fs', 'postgres', 's3'];
export const GRACE_MS = 3_600_000;

function parseBackend(value: string): BackendName {
  if (!(BACKENDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${BACKENDS.join(', ')}`);
  return value as BackendName;
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
    .action(lazy(actions, (a) => a.status()));
  cmd
    .command('verify')
    .description('re-read every blob and check its sha256; resumable: after a kill or Ctrl-C, run it again to carry on')
    .option('--restart', 'start a new run instead of carrying on with a stopped one')
    .addHelpText('after', '\nExample:\n  $ strata blobs verify\n\nExits 1 when a blob is corrupt or missing, listing each on stdout.')
    .action(lazy(actions, (a, opts: { restart?: boolean }) => a.verify(opts)));
  cmd
    .command('gc')
    .description('remove blobs nothing uses, and objects no row uses (crashed uploads, moved copies), after a grace period')
    .option('--grace <duration>', 'keep what became unused less than this long ago', parseDuration, GRACE_MS)
    .addHelpText('after', '\nExamples:\n  $ strata blobs gc\n  $ strata blobs gc --grace 24h')
    .action(lazy(actions, (a, opts: { grace: number }) => a.gc(opts)));
  cmd
    .command('move')
    .description('copy every blob to another backend and switch it there, while the service runs; resumable')
    .requiredOption('--to <backend>', `the backend to move to (${BACKENDS.join(', ')})`, parseBackend)
    .option('--grace <duration>', 'how long old copies stay for reads in flight (gc removes them after)', parseDuration, GRACE_MS)
    .addHelpText(
      'after',
      '\nExamples:\n  $ STRATA_S3_BUCKET=media STRATA_S3_ENDPOINT=http://127.0.0.1:7480 strata blobs move --to s3\n  $ strata blobs move --to fs\n\nSet STRATA_BLOBS to the new backend for the service too, so new uploads go there.',
    )
    .action(lazy(actions, (a, opts: { to: BackendName; grace: number }) => a.move(opts)));
  return cmd;
}
