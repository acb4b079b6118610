import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedServer, StrataError } from '../../src/db/index.js';
import { queryRows } from '../support/query.js';

const homes: string[] = [];
const servers: EmbeddedServer[] = [];

async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'strata-embedded-'));
  await chmod(home, 0o755);
  homes.push(home);
  return home;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop().catch(() => undefined)));
  await Promise.all(homes.splice(0).map((h) => rm(h, { recursive: true, force: true })));
});

describe('embedded PostgreSQL', () => {
  it('keeps data across a restart of the server', async () => {
    const home = await newHome();
    const first = new EmbeddedServer({ home });
    servers.push(first);
    const { url } = await first.start('process');
    await queryRows(url, 'CREATE TABLE kept (v text)');
    await queryRows(url, "INSERT INTO kept VALUES ('survives restarts')");
    await first.stop();
    expect((await first.status()).state).toBe('stopped');

    const second = new EmbeddedServer({ home });
    servers.push(second);
    const again = await second.start('process');
    expect(await queryRows(again.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);
  });

  it('shares the server with a second user instead of refusing it; the last to release it stops it (#20 point 13)', async () => {
    const home = await newHome();
    const first = new EmbeddedServer({ home });
    const second = new EmbeddedServer({ home });
    servers.push(first, second);
    const a = await first.start('process');
    const b = await second.start('process');
    expect(b).toMatchObject({ attached: true, daemon: false, port: a.port });
    expect(await first.release()).toMatchObject({ state: 'running', keptBy: 'users' });
    expect(await queryRows(b.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await second.release()).toEqual({ state: 'stopped' });
    expect((await first.status()).state).toBe('stopped');
  });

  it('stop({ ifUnused }) refuses while another live process uses the server, naming it', async () => {
    const home = await newHome();
    const server = new EmbeddedServer({ home });
    servers.push(server);
    await server.start('process');
    await writeFile(join(home, 'pg.users', `${process.ppid}-other`), '');
    const err = await new EmbeddedServer({ home }).stop({ ifUnused: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).code).toBe('EMBEDDED_IN_USE');
    // This process uses it too (the first server): both pids are named, in no particular order.
    expect((err as StrataError).message).toMatch(new RegExp(`^the embedded PostgreSQL is in use by strata process [\\d, ]*\\b${process.ppid}\\b`));
    expect((await server.status()).state).toBe('running');
  });

  it('takes over a server whose owner died (stale lock)', async () => {
    const home = await newHome();
    const server = new EmbeddedServer({ home });
    servers.push(server);
    const first = await server.start('process');
    await writeFile(join(home, 'pg.lock'), JSON.stringify({ pid: 2 ** 22 + 7, kind: 'process' }));
    const adopted = await new EmbeddedServer({ home }).start('process');
    expect(adopted.port).toBe(first.port);
    expect(await queryRows(adopted.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('shares a server started as a daemon instead of starting another', async () => {
    const home = await newHome();
    const daemon = new EmbeddedServer({ home });
    servers.push(daemon);
    const started = await daemon.start('daemon');
    const attached = await new EmbeddedServer({ home }).start('process');
    expect(attached).toMatchObject({ attached: true, port: started.port });
    expect((await daemon.status()).state).toBe('running');
  });
});
