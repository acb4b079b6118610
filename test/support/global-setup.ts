import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { EmbeddedServer } from '../../src/db/index.js';
import { startPgBouncer } from './pgbouncer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    /** With STRATA_TEST_PGBOUNCER=1: the same server through a PgBouncer in transaction mode. */
    postgresPoolerUrl: string | undefined;
    mariadbUrl: string | undefined;
    /** The S3 store the blob tests use (.ci/ceph-rgw start prints its settings), when one runs. */
    s3: { endpoint: string; accessKeyId: string; secretAccessKey: string } | undefined;
  }
}

const say = (line: string) => process.stderr.write(`[strata tests] ${line}\n`);

/** One PostgreSQL for the whole run: DATABASE_URL when set, else a throwaway embedded server. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const requireMariadb = process.env.STRATA_REQUIRE_MARIADB ?? '';
  if (!['', '0', '1'].includes(requireMariadb)) throw new Error(`STRATA_REQUIRE_MARIADB must be 1, 0 or unset (got "${requireMariadb}")`);
  const mariadbUrl = process.env.MARIADB_URL || undefined;
  if (!mariadbUrl) {
    if (requireMariadb === '1') throw new Error('STRATA_REQUIRE_MARIADB=1 but MARIADB_URL is not set: the MariaDB tests would be skipped');
    say('MARIADB_URL is not set: MariaDB tests are SKIPPED');
  }
  project.provide('mariadbUrl', mariadbUrl);

  const requireS3 = process.env.STRATA_REQUIRE_S3 ?? '';
  if (!['', '0', '1'].includes(requireS3)) throw new Error(`STRATA_REQUIRE_S3 must be 1, 0 or unset (got "${requireS3}")`);
  const s3Endpoint = process.env.STRATA_TEST_S3_ENDPOINT || undefined;
  if (!s3Endpoint) {
    if (requireS3 === '1') throw new Error('STRATA_REQUIRE_S3=1 but STRATA_TEST_S3_ENDPOINT is not set: the S3 blob tests would be skipped');
    say('STRATA_TEST_S3_ENDPOINT is not set: S3 blob tests are SKIPPED (start a test store with: eval "$(.ci/ceph-rgw start)")');
  }
  project.provide(
    's3',
    s3Endpoint
      ? { endpoint: s3Endpoint, accessKeyId: process.env.STRATA_TEST_S3_ACCESS_KEY ?? '', secretAccessKey: process.env.STRATA_TEST_S3_SECRET_KEY ?? '' }
      : undefined,
  );

  const pooler = process.env.STRATA_TEST_PGBOUNCER ?? '';
  if (!['', '0', '1'].includes(pooler)) throw new Error(`STRATA_TEST_PGBOUNCER must be 1, 0 or unset (got "${pooler}")`);
  const behindPooler = async (adminUrl: string): Promise<() => Promise<void>> => {
    project.provide('postgresAdminUrl', adminUrl);
    if (pooler !== '1') {
      project.provide('postgresPoolerUrl', undefined);
      return async () => undefined;
    }
    const bouncer = await startPgBouncer(adminUrl);
    say(`STRATA_TEST_PGBOUNCER=1: test databases are reached through PgBouncer (transaction mode) on port ${bouncer.port}`);
    project.provide('postgresPoolerUrl', bouncer.url);
    return () => bouncer.stop();
  };

  if (process.env.DATABASE_URL) {
    say(`using DATABASE_URL for PostgreSQL tests`);
    return behindPooler(process.env.DATABASE_URL);
  }
  const started = await sharedEmbedded();
  const stopPooler = await behindPooler(started.url);
  return async () => {
    await stopPooler();
    await started.release();
  };
}

interface SharedServer {
  readonly url: string;
  release(): Promise<void>;
}

const shared = globalThis as { strataTestServer?: undefined | { users: number; ready: Promise<{ url: string; stop: () => Promise<void> }> } };

/**
 * Vitest runs the global setup once for the root and once per project: the run's projects share one
 * throwaway embedded server (started by the first, stopped by the last teardown), not one each.
 * Its max_connections is 400: the run's own server lets the heavy files (dozens of connections
 * each) run beside the ordinary ones (vitest.config.ts).
 */
function sharedEmbedded(): Promise<SharedServer> {
  shared.strataTestServer ??= {
    users: 0,
    ready: (async () => {
      const home = await mkdtemp(join(tmpdir(), 'strata-test-'));
      await chmod(home, 0o755);
      const server = new EmbeddedServer({
        home,
        database: 'postgres',
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '400' },
        notice: say,
      });
      const started = await server.start('process');
      say(`started a throwaway embedded PostgreSQL on port ${started.port}`);
      return {
        url: started.url,
        stop: async () => {
          await server.stop();
          await rm(home, { recursive: true, force: true });
        },
      };
    })(),
  };
  const entry = shared.strataTestServer;
  entry.users += 1;
  return entry.ready.then(({ url, stop }) => ({
    url,
    release: async () => {
      entry.users -= 1;
      if (entry.users > 0) return;
      shared.strataTestServer = undefined;
      await stop();
    },
  }));
}
