import Fastify, { type FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOutput, defineRoute, installProblemHandlers, registerRoutes, reply } from '../../src/boundary/index.js';
import { createIdempotencyTable, idempotencyWrapper } from '../../src/upsert/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe("a route declared idempotency: 'required'", () => {
  let db: Kysely<unknown>;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = pg.database.db;
    await createIdempotencyTable(db);
    await sql`CREATE TABLE charges (id serial PRIMARY KEY, amount int NOT NULL)`.execute(db);
    const Charge = defineOutput('Charge', z.object({ id: z.number(), amount: z.number() }), (row: { id: number; amount: number }) => row);
    const charge = defineRoute({
      method: 'POST',
      url: '/charges',
      scope: 'public',
      summary: 'Charge once',
      body: z.object({ amount: z.number().int() }),
      responses: { 201: Charge },
      idempotency: 'required',
      handler: async ({ body }) => {
        const { rows } = await sql<{ id: number; amount: number }>`INSERT INTO charges (amount) VALUES (${body.amount}) RETURNING id, amount`.execute(db);
        return reply(201, Charge.from(rows[0] as { id: number; amount: number }));
      },
    });
    app = Fastify({ logger: false });
    installProblemHandlers(app);
    registerRoutes(app, [charge], { wrap: idempotencyWrapper(db, { principalOf: () => 'tester' }) });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 400 IDEMPOTENCY_KEY_REQUIRED naming the header without a key and runs nothing; with a key it runs once', async () => {
    const without = await app.inject({ method: 'POST', url: '/charges', payload: { amount: 5 } });
    expect(without.statusCode).toBe(400);
    expect(without.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(without.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', errors: [{ field: 'idempotency-key', in: 'header', message: 'is required' }] });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM charges`.execute(db)).rows[0]?.n).toBe(0);
    const first = await app.inject({ method: 'POST', url: '/charges', payload: { amount: 5 }, headers: { 'idempotency-key': 'charge-1' } });
    const again = await app.inject({ method: 'POST', url: '/charges', payload: { amount: 5 }, headers: { 'idempotency-key': 'charge-1' } });
    expect([first.statusCode, again.statusCode, again.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM charges`.execute(db)).rows[0]?.n).toBe(1);
  });
});
