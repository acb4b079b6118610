import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/index.js';
import { SCOPES } from '../../src/principals/index.js';
import { runCli, startCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';
import { principalWith } from '../support/service.js';

const pg = usePostgres();
let headers: Record<string, string> = {};
beforeAll(async () => {
  headers = { authorization: `Bearer ${(await principalWith(pg.database.db, SCOPES)).token}` };
});
const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const hasScript = spawnSync('script', ['--version']).status === 0;

async function waitUntilUp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

describe('service logs', () => {
  it('piped (not a terminal): every line on stdout is a JSON log record, the request lines included', async () => {
    const port = await freePort();
    const service = startCli(['serve', '--port', String(port)], { DATABASE_URL: pg.url, LOG_LEVEL: 'info' });
    const [, url] = await service.waitFor(/serving on (http:\/\/\S+)/);
    await fetch(`${url}/healthz`);
    await fetch(`${url}/products/not-a-uuid`, { headers });
    service.child.kill('SIGINT');
    const { code, stdout } = await service.exited;
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as { level: number; msg: string; req?: { url: string }; res?: { statusCode: number } });
    expect(records.some((r) => r.req?.url === '/products/not-a-uuid')).toBe(true);
    expect(records.some((r) => r.res?.statusCode === 400)).toBe(true);
  });

  it('#32: JSON lines are written asynchronously, yet none is lost: SIGTERM right after a burst of requests leaves every request line on stdout', async () => {
    const port = await freePort();
    const service = startCli(['serve', '--port', String(port)], { DATABASE_URL: pg.url, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    const [, url] = await service.waitFor(/serving on (http:\/\/\S+)/);
    const ids = Array.from({ length: 300 }, (_, i) => `flush-${i}`);
    // Ten at a time, as clients would; every answer has arrived before the signal.
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(
        ids.slice(i, i + 10).map((id) => fetch(`${url}/products?limit=1`, { headers: { ...headers, 'x-request-id': id } }).then((r) => r.text())),
      );
    }
    service.child.kill('SIGTERM');
    const { code, stdout } = await service.exited;
    expect(code).toBe(0);
    const completed = new Set(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { reqId?: string; msg: string })
        .filter((r) => r.msg === 'request completed')
        .map((r) => r.reqId),
    );
    expect(ids.filter((id) => !completed.has(id))).toEqual([]);
  });

  it('`npm start --silent`, piped as the docs say: stdout is JSON only (without --silent npm writes its own banner there first)', async () => {
    const port = await freePort();
    const { DATABASE_URL: _omit, ...env } = process.env;
    // Its own process group, as a shell runs a pipeline: Ctrl-C signals npm and strata alike.
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...env, DATABASE_URL: pg.url, PORT: String(port), LOG_LEVEL: 'info', LOG_FORMAT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const url = `http://127.0.0.1:${port}`;
    await waitUntilUp(url);
    await fetch(`${url}/products/not-a-uuid`, { headers });
    for (let i = 0; i < 100 && !stdout.includes('"statusCode":400'); i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(-(child.pid as number), 'SIGINT');
    // npm itself ends by the signal; 'close' waits for strata too, which holds the pipes.
    await exited;
    expect(stderr).toContain('strata: stopped');
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { req?: { url: string } });
    expect(records.some((r) => r.req?.url === '/products/not-a-uuid')).toBe(true);
  });

  it.skipIf(!hasScript)('on a terminal: one readable line per request, no JSON; Ctrl-C stops it cleanly', async () => {
    const port = await freePort();
    const { DATABASE_URL: _omit, ...env } = process.env;
    // `script` runs the command on a pseudo-terminal, as a person's shell would. `exec` makes strata
    // the terminal's foreground process itself: otherwise the intermediate non-interactive shell
    // (dash when SHELL is unset, as in CI) is killed by the same Ctrl-C and reports 130 for it.
    const child = spawn('script', ['-qfec', `exec ${process.execPath} ${BIN} serve --port ${port}`, '/dev/null'], {
      env: { ...env, DATABASE_URL: pg.url, LOG_LEVEL: 'info', LOG_FORMAT: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const url = `http://127.0.0.1:${port}`;
    await waitUntilUp(url);
    await fetch(`${url}/products?limit=1`, { headers });
    await fetch(`${url}/products/not-a-uuid`, { headers });
    // A request's line is written once its answer has gone out: wait for it before pressing Ctrl-C.
    for (let i = 0; i < 100 && !output.includes('/products/not-a-uuid 400'); i++) await new Promise((r) => setTimeout(r, 50));
    child.stdin.write('\x03');
    expect(await exited).toBe(0);
    const lines = output.replace(ANSI, '').split(/\r?\n/).filter(Boolean);
    expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    const requests = lines.filter((l) => /\b(GET|POST) \//.test(l));
    expect(requests.find((l) => l.includes('/products?limit=1'))).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/products\?limit=1 200 \d+\.\d ms$/);
    expect(requests.filter((l) => l.includes('/products/not-a-uuid'))).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/products\/not-a-uuid 400 \d+\.\d ms$/),
    ]);
    expect(lines.some((l) => l.includes('strata: stopped'))).toBe(true);
  });

  it('LOG_FORMAT and LOG_LEVEL are validated with a one-line reason naming the variable', async () => {
    const format = await runCli(['serve', '--port', String(await freePort())], { DATABASE_URL: pg.url, LOG_FORMAT: 'yaml' });
    expect(format.code).not.toBe(0);
    expect(format.stderr).toBe('strata: LOG_FORMAT must be one of pretty, json (got "yaml")\n');
    const level = await runCli(['serve', '--port', String(await freePort())], { DATABASE_URL: pg.url, LOG_LEVEL: 'loud' });
    expect(level.code).not.toBe(0);
    expect(level.stderr).toBe('strata: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")\n');
  });
});
