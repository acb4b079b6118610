import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The variables of README's configuration table. */
function readmeVariables(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  return [...table.matchAll(/^\| (`[A-Z0-9_]+`(?: \/ `[A-Z0-9_]+`)*)/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((v) => v[1] ?? ''));
}

/** Variables the program reads (by name in src/), so the table cannot silently miss one. */
function variablesReadBySource(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/env\.([A-Z][A-Z0-9_]+)|env, '([A-Z][A-Z0-9_]+)'/g)) names.add(m[1] ?? m[2] ?? '');
      }
    }
  };
  walk(join(ROOT, 'src'));
  return [...names].sort();
}

/** Read by the test run only (test/support/global-setup.ts, test/support/soak.ts, test/support/browser.ts, vitest.config.ts), not by the program. */
const TEST_RUN_ONLY = new Set([
  'STRATA_REQUIRE_MARIADB',
  'STRATA_SOAK',
  'STRATA_TEST_WORKERS',
  'STRATA_CHROMIUM',
  'STRATA_REQUIRE_BROWSER',
  'STRATA_TEST_PGBOUNCER',
  'STRATA_REQUIRE_PGBOUNCER',
  'STRATA_PGBOUNCER',
]);

let home: string;
let aFile: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'strata-config-'));
  await chmod(home, 0o755);
  aFile = join(home, 'not-a-folder');
  await writeFile(aFile, '');
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const invalid = (): Record<string, string> => ({
  DATABASE_URL: 'not a url',
  MARIADB_URL: 'postgres://x',
  STRATA_DIRECT_URL: 'mysql://x',
  STRATA_HOME: aFile,
  STRATA_PG_PORT: '70000',
  STRATA_POOL_MAX: 'ten',
  STRATA_POOL_IDLE_TIMEOUT_MS: '-1',
  STRATA_POOL_CONNECT_TIMEOUT_MS: '5s',
  STRATA_STATEMENT_TIMEOUT_MS: 'forever',
  STRATA_SLOW_QUERY_MS: 'slow',
  STRATA_EXPLAIN: 'maybe',
  STRATA_EXPLAIN_SAMPLE_RATE: '2',
  PORT: 'abc',
  HOST: 'exa_mple',
  LOG_LEVEL: 'loud',
  LOG_FORMAT: 'yaml',
  STRATA_BLOBS: 'tape',
  STRATA_BLOBS_DIR: aFile,
  STRATA_S3_BUCKET: 'Media_Bucket',
  STRATA_S3_ENDPOINT: 'ftp://store',
  STRATA_S3_REGION: 'eu west',
  STRATA_S3_PREFIX: '../up',
  STRATA_BLOBS_MAX_BYTES: '25MB',
  STRATA_BLOBS_IMAGE_TYPES: 'image/svg+xml',
  STRATA_RATE_LIMIT: 'fast',
  STRATA_METRICS_ACCESS: 'everyone',
  STRATA_TOKEN_CACHE_MS: '1s',
});

describe('configuration messages (#20 point 12)', () => {
  it('README configuration table lists every variable the program reads', () => {
    const documented = readmeVariables();
    expect(documented).toContain('PORT');
    expect(variablesReadBySource().filter((v) => !documented.includes(v))).toEqual([]);
  });

  it('PORT=abc npm start names PORT; every config message names its variable (all of README table)', async () => {
    const examples = invalid();
    // NODE_OPTIONS is Node's own: strata reads it (strata serve's young-generation flag) but does not validate it.
    const variables = readmeVariables().filter((v) => !TEST_RUN_ONLY.has(v) && v !== 'NODE_OPTIONS');
    expect(variables.filter((v) => examples[v] === undefined)).toEqual([]);
    // Four processes at a time: one per variable at once (30+) overran the timeout on a busy machine.
    const results: { name: string; code: number | null; stderr: string; stdout: string }[] = [];
    const queue = [...variables];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          // A database that refuses at once: were a value accepted, serve would fail fast instead of serving.
          const r = await runCli(['serve'], { STRATA_HOME: home, DATABASE_URL: 'postgres://strata@127.0.0.1:1/none', [name]: examples[name] });
          results.push({ name, code: r.code, stderr: r.stderr, stdout: r.stdout });
        }
      }),
    );
    for (const r of results) {
      expect(r.code, `${r.name}: ${r.stdout}${r.stderr}`).not.toBe(0);
      expect(r.stderr.trim().split('\n'), r.name).toHaveLength(1);
      expect(r.stderr, r.name).toMatch(new RegExp(`^strata: .*\\b${r.name}\\b`));
    }
  }, 300_000);

  it('--host with a bad value is a usage error naming the option', async () => {
    const r = await runCli(['serve', '--host', 'exa_mple'], { STRATA_HOME: home });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--host.*must be an IP address or a host name/);
  });

  it('a HOST that is not an address of this machine is named as such, not as a port in use', async () => {
    const r = await runCli(['serve', '--port', '3197'], { STRATA_HOME: home, HOST: '192.0.2.1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      'strata: cannot listen on 192.0.2.1: not an address of this machine (EADDRNOTAVAIL); choose another with --host or HOST, e.g. 127.0.0.1 or 0.0.0.0\n',
    );
  });
});
