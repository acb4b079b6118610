import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/db/index.js';
import { runCli, startCli } from '../support/cli.js';
import { queryRows as sql } from '../support/query.js';

let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'strata-cli-'));
  await chmod(home, 0o755);
});

afterAll(async () => {
  await runCli(['db', 'stop'], { STRATA_HOME: home });
  await rm(home, { recursive: true, force: true });
});

describe('strata serve (embedded PostgreSQL)', () => {
  it('serves, shares the embedded server with a second service, exits cleanly on SIGINT, and keeps data', async () => {
    const port = await freePort();
    const first = startCli(['serve', '--port', String(port)], { STRATA_HOME: home });
    const [, url] = await first.waitFor(/serving on (http:\/\/\S+)/);
    // A fresh data directory: the admin principal's token, printed once for the person on stderr.
    const [, token] = await first.waitFor(/^export TOKEN=(\S+)$/m);
    expect(first.output().stdout).not.toContain(token);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect(await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()).toContain('strata_db_pool_');

    const dbUrl = (await runCli(['db', 'url'], { STRATA_HOME: home })).stdout.trim();
    await sql(dbUrl, 'CREATE TABLE notes (body text)');
    await sql(dbUrl, "INSERT INTO notes VALUES ('written before restart')");

    // A second service on the same data directory shares its server; the first stopping leaves it up for the second.
    const second = startCli(['serve', '--port', String(await freePort())], { STRATA_HOME: home });
    const [, secondUrl] = await second.waitFor(/serving on (http:\/\/\S+)/);
    expect((await fetch(`${secondUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${secondUrl}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(second.output().stderr).not.toContain('export TOKEN');

    first.child.kill('SIGINT');
    const result = await first.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('strata: stopped');
    expect((await fetch(`${secondUrl}/readyz`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);

    const status = await runCli(['db', 'status'], { STRATA_HOME: home });
    expect(status.stdout).toContain('stopped');
    expect(status.code).toBe(3);

    const again = startCli(['serve', '--port', String(port)], { STRATA_HOME: home });
    await again.waitFor(/serving on/);
    const rows = await sql((await runCli(['db', 'url'], { STRATA_HOME: home })).stdout.trim(), 'SELECT body FROM notes');
    expect(rows).toEqual([{ body: 'written before restart' }]);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 240_000);

  it('exits non-zero with one line when the port is busy', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const result = await runCli(['serve', '--port', String(port)], { DATABASE_URL: inject('postgresAdminUrl') });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toBe(`strata: port ${port} on 127.0.0.1 is already in use; choose another with --port or PORT\n`);
    } finally {
      blocker.close();
    }
  });
});

describe('strata db', () => {
  it('start, status, url, psql-url and stop manage a background server', async () => {
    const start = await runCli(['db', 'start'], { STRATA_HOME: home });
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/started on port \d+/);
    const status = await runCli(['db', 'status'], { STRATA_HOME: home });
    expect(status.stdout).toMatch(/running, pid \d+, port \d+, started by `strata db start`/);
    const url = (await runCli(['db', 'url'], { STRATA_HOME: home })).stdout.trim();
    expect(await sql(url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const psqlUrl = (await runCli(['db', 'psql-url'], { STRATA_HOME: home })).stdout.trim();
    expect(psqlUrl).toMatch(/^postgresql:\/\//);
    const stop = await runCli(['db', 'stop'], { STRATA_HOME: home });
    expect(stop.stdout.trim()).toBe('stopped');
    const urlWhenStopped = await runCli(['db', 'url'], { STRATA_HOME: home });
    expect(urlWhenStopped.code).not.toBe(0);
    expect(urlWhenStopped.stderr).toBe('strata: the embedded PostgreSQL is not running; start it with `strata db start`\n');
  });

  it('refuses to manage a server when DATABASE_URL points elsewhere', async () => {
    const result = await runCli(['db', 'start'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^strata: DATABASE_URL is set/);
  });
});

describe('strata conventions', () => {
  it('--version prints the package version; --help shows an example; a typo fails with a hint', async () => {
    expect((await runCli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    const typo = await runCli(['serv']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain("unknown command 'serv'");
    const badPort = await runCli(['serve', '--port', 'eighty']);
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr).toContain('must be a port number');
  });
});
