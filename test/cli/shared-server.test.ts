import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/index.js';
import { runCli, startCli } from '../support/cli.js';

let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'strata-shared-'));
  await chmod(home, 0o755);
  env = { STRATA_HOME: home };
});

afterAll(async () => {
  await runCli(['db', 'stop', '--force'], env);
  await rm(home, { recursive: true, force: true });
});

async function usersAtLeast(n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await readdir(join(home, 'pg.users')).catch(() => [])).length >= n) return;
    await sleep(50);
  }
  throw new Error(`fewer than ${n} users registered`);
}

describe('strata CLI while strata serve runs on the embedded server (#20 point 13)', () => {
  it("while npm start runs, README's CLI examples use its embedded server; db stop refuses; stopping the service leaves the server to a command still running", async () => {
    const serve = startCli(['serve', '--port', String(await freePort())], env);
    const [, url] = await serve.waitFor(/serving on (http:\/\/\S+)/);
    const [, token] = await serve.waitFor(/^export TOKEN=(\S+)$/m);
    const csv = join(home, 'products.csv');
    await writeFile(csv, 'sku,name,price,currency,stock\nA-1,Espresso cup,1200,EUR,10\n');
    for (const args of [
      ['explain', "SELECT * FROM products WHERE sku = 'A-1'"],
      ['top', '--order', 'mean'],
      ['load', 'products', csv, '--upsert-key', 'sku'],
      ['export', 'products', '--format', 'ndjson'],
      ['softdelete', 'purge', 'products', '--older-than', '30d'],
    ]) {
      const result = await runCli(args, env);
      expect(result.code, `strata ${args.join(' ')}: ${result.stderr}`).toBe(0);
      if (args[0] === 'export') expect(result.stdout).toContain('"sku":"A-1"');
    }
    expect((await fetch(`${url}/products?limit=5`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const stop = await runCli(['db', 'stop'], env);
    expect(stop.code).not.toBe(0);
    expect(stop.stderr).toBe(
      `strata: the embedded PostgreSQL is in use by strata process ${serve.child.pid}; stop that first, or use --force (their database connections then fail)\n`,
    );
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const status = await runCli(['db', 'status'], env);
    expect(status.stdout).toMatch(new RegExp(`running, pid \\d+, port \\d+, used by strata process ${serve.child.pid} `));

    // The service stops while a command still uses the server: the server stays up until that command ends.
    const slow = startCli(['explain', '--analyze', 'SELECT pg_sleep(4)'], env);
    await usersAtLeast(2);
    serve.child.kill('SIGINT');
    const served = await serve.exited;
    expect(served.code, served.stderr).toBe(0);
    expect(served.stderr).toContain(`strata: note: the embedded PostgreSQL stays up for strata process ${slow.child.pid}, which will stop it when done`);
    const done = await slow.exited;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Result');
    const after = await runCli(['db', 'status'], env);
    expect(after.code, after.stdout).toBe(3);
  }, 240_000);

  it('strata db start while strata serve runs keeps the server up after the service exits', async () => {
    const serve = startCli(['serve', '--port', String(await freePort())], env);
    await serve.waitFor(/serving on/);
    const start = await runCli(['db', 'start'], env);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(
      new RegExp(
        `^already running on port \\d+ \\(used by strata process ${serve.child.pid}\\); it now stays up after that exits, until \`strata db stop\`\\n$`,
      ),
    );
    serve.child.kill('SIGINT');
    expect((await serve.exited).code).toBe(0);
    const status = await runCli(['db', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('started by `strata db start`');
    const stop = await runCli(['db', 'stop'], env);
    expect(stop.stdout).toBe('stopped\n');
  }, 240_000);

  it('commands started at once on a stopped server: one starts it, the others share it, the last one out stops it', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => runCli(['explain', 'SELECT 1'], env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const status = await runCli(['db', 'status'], env);
    expect(status.code, status.stdout).toBe(3);
    expect(await readdir(join(home, 'pg.users'))).toEqual([]);
  }, 240_000);
});
