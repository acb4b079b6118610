import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOutput, defineRoute, installProblemHandlers, registerRoutes, reply } from '../../src/boundary/index.js';
import { createIdempotencyTable, idempotencyWrapper } from '../../src/upsert/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const Out = defineOutput('Out', z.object({ n: z.number().int() }), (n: number) => ({ n }));
const LOCK_MS = 600;

describe('Idempotency-Key hook: long requests and streamed bodies', () => {
  let db: Kysely<unknown>;
  let app: FastifyInstance;
  let runs = 0;
  let gate: Promise<void> = Promise.resolve();
  beforeAll(async () => {
    db = pg.database.db;
    await createIdempotencyTable(db);
    app = Fastify({ logger: false });
    installProblemHandlers(app);
    app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
    registerRoutes(
      app,
      [
        defineRoute({
          method: 'POST',
          url: '/slow',
          scope: 'public',
          summary: 'the first run waits for the gate',
          responses: { 201: Out },
          handler: async () => {
            const run = ++runs;
            if (run === 1) await gate;
            return reply(201, Out.from(run));
          },
        }),
        defineRoute({
          method: 'POST',
          url: '/upload',
          scope: 'public',
          summary: 'counts the bytes of a streamed body',
          bodyLimit: 1000,
          responses: { 200: Out },
          handler: async ({ request }) => {
            let bytes = 0;
            for await (const chunk of request.body as Readable) bytes += (chunk as Buffer).length;
            return reply(200, Out.from(bytes));
          },
        }),
      ],
      { wrap: idempotencyWrapper(db, { principalOf: () => 'p', lockTtlMs: LOCK_MS }) },
    );
  });
  afterAll(() => app.close());

  it('a request running longer than the lock keeps its key: a retry meanwhile is 409, not a second run', async () => {
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const first = app.inject({ method: 'POST', url: '/slow', headers: { 'idempotency-key': 'long-1' } });
    while ((await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.idempotency_keys WHERE key = 'long-1'`.execute(db)).rows[0]?.n !== 1) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, LOCK_MS * 2.5));
    const retry = await app.inject({ method: 'POST', url: '/slow', headers: { 'idempotency-key': 'long-1' } });
    expect([retry.statusCode, retry.json().code]).toEqual([409, 'IDEMPOTENCY_KEY_IN_FLIGHT']);
    open();
    const done = await first;
    expect([done.statusCode, done.json()]).toEqual([201, { n: 1 }]);
    const replay = await app.inject({ method: 'POST', url: '/slow', headers: { 'idempotency-key': 'long-1' } });
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.json()]).toEqual([201, 'true', { n: 1 }]);
    expect(runs).toBe(1);
  });

  it('a streamed body is fingerprinted by its bytes as it is read: same bytes replay, other bytes 422, chunking does not matter', async () => {
    const upload = (key: string, parts: string[]) =>
      app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'text/csv', 'idempotency-key': key }, payload: Readable.from(parts) });
    const first = await upload('up-1', ['a,b\n', '1,2\n']);
    expect([first.statusCode, first.json()]).toEqual([200, { n: 8 }]);
    const same = await upload('up-1', ['a,b\n1', ',2\n']);
    expect([same.statusCode, same.headers['idempotent-replayed']]).toEqual([200, 'true']);
    const other = await upload('up-1', ['a,b\n', '1,3\n']);
    expect([other.statusCode, other.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
  });

  it("a streamed body is held to the route's bodyLimit, with or without a key (413, key released)", async () => {
    const big = 'x'.repeat(600);
    for (const headers of [{}, { 'idempotency-key': 'up-big' }]) {
      const streamed = await app.inject({
        method: 'POST',
        url: '/upload',
        headers: { 'content-type': 'text/csv', ...headers },
        payload: Readable.from([big, big]),
      });
      expect([streamed.statusCode, streamed.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const declared = await app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'text/csv', ...headers }, payload: big + big });
      expect([declared.statusCode, declared.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    }
    const fits = await app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'text/csv', 'idempotency-key': 'up-big' }, payload: big });
    expect([fits.statusCode, fits.json()]).toEqual([200, { n: 600 }]);
  });
});
