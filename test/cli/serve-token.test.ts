import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/index.js';
import { startCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe('strata serve: the first token', () => {
  it('on a database without principals prints `export TOKEN=…` once on stderr; the log (stdout, at trace) never holds it', async () => {
    const env = { DATABASE_URL: pg.url, LOG_LEVEL: 'trace', LOG_FORMAT: 'json' };
    const first = startCli(['serve', '--port', String(await freePort())], env);
    let token = '';
    try {
      const [, url] = await first.waitFor(/serving on (http:\/\/\S+)/);
      [, token = ''] = await first.waitFor(/^export TOKEN=(strata_\S+)$/m);
      const auth = { authorization: `Bearer ${token}` };
      const me = await fetch(`${url}/me`, { headers: auth });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ name: 'admin', scopes: ['catalog:read', 'catalog:write', 'wallet', 'admin'] });
      const created = await fetch(`${url}/products`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'FIRST-1', name: 'First', price: 100, currency: 'EUR' }),
      });
      expect(created.status).toBe(201);
      expect((await fetch(`${url}/products`, { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } })).status).toBe(401);
      expect((await fetch(`${url}/products`)).status).toBe(401);
    } finally {
      first.child.kill('SIGINT');
    }
    const result = await first.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
    expect(result.stdout).not.toContain(token);
    expect(result.stdout).not.toContain(token.slice(-43));
    expect(result.stderr.match(/export TOKEN=/g)).toHaveLength(1);

    // A second start on the same database prints no token.
    const second = startCli(['serve', '--port', String(await freePort())], env);
    try {
      await second.waitFor(/serving on/);
    } finally {
      second.child.kill('SIGINT');
    }
    const again = await second.exited;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('TOKEN');
  }, 120_000);
});
