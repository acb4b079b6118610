import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

const post = (key: string | undefined, payload: Record<string, unknown>) =>
  svc.request({ method: 'POST', url: '/products', headers: key === undefined ? {} : { 'idempotency-key': key }, payload });

const countSku = async (sku: unknown) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM products_all WHERE sku = ${String(sku)}`.execute(svc.db)).rows[0]?.n;

describe('Idempotency-Key on POST /products', () => {
  it('a repeat replays the stored response with Idempotent-Replayed: true and no second effect', async () => {
    const body = newProduct();
    const first = await post('create-1', body);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post('create-1', body);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(await countSku(body.sku)).toBe(1);
  });

  it('the same key with another body is a 422 and writes nothing', async () => {
    const body = newProduct();
    await post('create-2', body);
    const other = newProduct();
    const res = await post('create-2', other);
    expect([res.statusCode, res.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
    expect(await countSku(other.sku)).toBe(0);
  });

  it('malformed or over-long keys are 400s naming the header, and write nothing', async () => {
    for (const key of ['x'.repeat(256), 'has space', '']) {
      const body = newProduct();
      const res = await post(key, body);
      expect(res.statusCode, JSON.stringify(key)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID', errors: [{ field: 'idempotency-key', in: 'header' }] });
      expect(await countSku(body.sku)).toBe(0);
    }
  });

  it('64 concurrent POSTs with one key: one effect; every answer is the stored response or a 409 with Retry-After; a later retry replays', async () => {
    const body = newProduct();
    const responses = await Promise.all(Array.from({ length: 64 }, () => post('burst-1', body)));
    const created = responses.filter((r) => r.statusCode === 201);
    const busy = responses.filter((r) => r.statusCode === 409);
    expect(created.length + busy.length).toBe(64);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(r.json().code).toBe('IDEMPOTENCY_KEY_IN_FLIGHT');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    const bodies = new Set(created.map((r) => r.body));
    expect(bodies.size).toBe(1);
    expect(await countSku(body.sku)).toBe(1);
    const later = await post('burst-1', body);
    expect([later.statusCode, later.headers['idempotent-replayed'], later.body]).toEqual([201, 'true', created[0]?.body]);
  });

  it('a request whose connection is killed mid-transaction, retried with the same key, has exactly one effect', async () => {
    await sql`CREATE TABLE kill_switch (armed boolean NOT NULL)`.execute(svc.db);
    await sql`INSERT INTO kill_switch VALUES (true)`.execute(svc.db);
    await sql`CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.sku LIKE 'KILL-%' AND (SELECT armed FROM kill_switch) THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`.execute(svc.db);
    await sql`CREATE TRIGGER slow_insert BEFORE INSERT ON products_all FOR EACH ROW EXECUTE FUNCTION slow_insert()`.execute(svc.db);
    const body = newProduct({ sku: `KILL-${Date.now()}` });
    const pending = post('kill-1', body);
    const killer = await svc.pg.rawClient();
    let killed = 0;
    for (let i = 0; i < 500 && killed === 0; i++) {
      const { rows } = await killer.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`);
      for (const row of rows) {
        await killer.query('UPDATE kill_switch SET armed = false');
        await killer.query('SELECT pg_terminate_backend($1)', [row.pid]);
        killed++;
      }
      if (killed === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(killed).toBe(1);
    const failed = await pending;
    expect(failed.statusCode).toBe(503);
    expect(failed.json().code).toBe('CONNECTION_LOST');
    expect(await countSku(body.sku)).toBe(0);
    const retried = await post('kill-1', body);
    expect(retried.statusCode).toBe(201);
    expect(await countSku(body.sku)).toBe(1);
    const replay = await post('kill-1', body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await countSku(body.sku)).toBe(1);
  });
});
