import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/index.js';
import { startCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe('strata serve shutdown', () => {
  it('SIGINT while a request is in flight: the request completes (its write committed), then the process exits 0', async () => {
    const serving = startCli(['serve', '--port', String(await freePort())], { DATABASE_URL: pg.url });
    try {
      const [, url] = await serving.waitFor(/serving on (http:\/\/\S+)/);
      const [, token] = await serving.waitFor(/^export TOKEN=(\S+)$/m);
      // Another session holds a lock that makes the request's INSERT wait: it is in flight when SIGINT arrives.
      const holder = await pg.rawClient();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE products_all IN EXCLUSIVE MODE');
      const request = fetch(`${url}/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ sku: 'DRAIN-1', name: 'Drained', price: 100, currency: 'EUR' }),
      }).catch((err: unknown) => err);
      // Watched from another session: inside the holder's transaction pg_stat_activity is read once and kept.
      const watcher = await pg.rawClient();
      for (let tries = 0; ; tries++) {
        const { rows } = await watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (rows[0]?.n === 1) break;
        if (tries > 1000) throw new Error('the request never reached the database');
        await new Promise((r) => setTimeout(r, 10));
      }
      serving.child.kill('SIGINT');
      await serving.waitFor(/SIGINT: draining requests and shutting down/);
      // Closing: a new request is turned away (503, or refused once the port is closed) while the first one waits;
      // the first is held a while longer, so a process that quit without draining would have quit by now.
      const late = await fetch(`${url}/healthz`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(late);
      await new Promise((r) => setTimeout(r, 1000));
      expect(serving.child.exitCode).toBeNull();
      await holder.query('COMMIT');
      const response = await request;
      if (!(response instanceof Response)) throw new Error(`the in-flight request failed: ${String(response)}`);
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ sku: 'DRAIN-1' });
      const result = await serving.exited;
      expect(result.code, JSON.stringify(result)).toBe(0);
      expect(result.stderr).toContain('strata: stopped');
      const stored = await holder.query("SELECT count(*)::int AS n FROM products_all WHERE sku = 'DRAIN-1'");
      expect(stored.rows[0]?.n).toBe(1);
    } finally {
      serving.child.kill('SIGKILL');
    }
  });
});
