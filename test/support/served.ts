import { freePort } from '../../src/db/index.js';
import type { TestBlobs } from './blobs.js';
import { type CliProcess, startCli } from './cli.js';

/** `strata serve` running as its own process, the way it is deployed. */
export interface ServedProcess {
  readonly url: string;
  readonly pid: number;
  /** `Authorization: Bearer <the admin token strata serve printed>`, for every request but the public ones. */
  readonly auth: Record<string, string>;
  readonly process: CliProcess;
  /** SIGTERM, then waits for it to drain and exit. */
  stop(): Promise<void>;
}

/** Starts `strata serve` on a free port with `env` and waits until it listens. */
export async function startServed(env: NodeJS.ProcessEnv): Promise<ServedProcess> {
  const port = await freePort();
  const running = startCli(['serve', '--port', String(port)], env);
  const [, url] = await running.waitFor(/serving on (http:\/\/\S+)/);
  // A database without principals: strata serve creates the admin and prints its token once.
  const [, token] = await running.waitFor(/^export TOKEN=(\S+)$/m);
  const pid = running.child.pid;
  if (!url || !token || pid === undefined) throw new Error('strata serve printed no URL or token');
  return {
    url,
    pid,
    auth: { authorization: `Bearer ${token}` },
    process: running,
    async stop() {
      if (running.child.exitCode === null) running.child.kill('SIGTERM');
      await running.exited;
    },
  };
}

/**
 * The environment a separate service process needs for a test's blobs: its database, its fs folder,
 * its bucket when a test S3 store runs (readable whatever `writeTo` is), new objects to `writeTo`.
 */
export function servedBlobsEnv(blobs: TestBlobs, writeTo: string, maxBytes: number): NodeJS.ProcessEnv {
  const { url, dir, s3 } = blobs.settings;
  return {
    DATABASE_URL: url,
    STRATA_BLOBS: writeTo,
    STRATA_BLOBS_DIR: dir,
    STRATA_BLOBS_MAX_BYTES: String(maxBytes),
    ...(s3
      ? { STRATA_S3_BUCKET: s3.bucket, STRATA_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }
      : {}),
  };
}
