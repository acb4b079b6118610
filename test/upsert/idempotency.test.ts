import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/index.js';
import {
  bodyHash,
  type Claim,
  claimIdempotencyKey,
  cleanupIdempotencyKeys,
  completeIdempotencyKey,
  createIdempotencyTable,
  releaseIdempotencyKey,
} from '../../src/upsert/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
type Acquired = Extract<Claim, { kind: 'acquired' }>;

describe('idempotency key store', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await createIdempotencyTable(db);
  });

  const request = (key: string, body: unknown = { a: 1 }, principal = 'alice') => ({
    principal,
    key,
    method: 'POST',
    path: '/things',
    bodyHash: bodyHash(body),
  });
  const acquired = (claim: Claim): Acquired => {
    expect(claim.kind).toBe('acquired');
    return claim as Acquired;
  };

  it('first claim runs; a repeat while running is in flight; after completion it replays; another body is a mismatch', async () => {
    const first = acquired(await claimIdempotencyKey(db, request('k1')));
    expect(await claimIdempotencyKey(db, request('k1'))).toMatchObject({ kind: 'in_flight' });
    await withTransaction(db, (trx) => completeIdempotencyKey(trx, first, { status: 201, headers: { location: '/things/1' }, body: '{"id":1}' }));
    expect(await claimIdempotencyKey(db, request('k1'))).toEqual({
      kind: 'replay',
      response: { status: 201, headers: { location: '/things/1' }, body: '{"id":1}' },
      bodyHash: bodyHash({ a: 1 }),
    });
    expect(await claimIdempotencyKey(db, request('k1', { a: 2 }))).toEqual({ kind: 'mismatch' });
    expect(await claimIdempotencyKey(db, { ...request('k1'), path: '/other' })).toEqual({ kind: 'mismatch' });
  });

  it('the body hash ignores key order and formatting', () => {
    expect(bodyHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(bodyHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(bodyHash({ a: 1 })).not.toBe(bodyHash({ a: '1' }));
  });

  it('keys are scoped per principal', async () => {
    const alice = acquired(await claimIdempotencyKey(db, request('shared', { a: 1 }, 'alice')));
    await withTransaction(db, (trx) => completeIdempotencyKey(trx, alice, { status: 201, headers: {}, body: '"alice"' }));
    const bob = await claimIdempotencyKey(db, request('shared', { a: 1 }, 'bob'));
    expect(bob.kind).toBe('acquired');
  });

  it('a rolled-back effect stores nothing; release lets a retry run at once', async () => {
    const first = acquired(await claimIdempotencyKey(db, request('k2')));
    const effect = withTransaction(db, async (trx) => {
      await completeIdempotencyKey(trx, first, { status: 201, headers: {}, body: '{}' });
      throw new Error('effect failed');
    });
    await expect(effect).rejects.toThrow(/^effect failed$/);
    // The stored response went with the rollback: the key is still only claimed.
    const stored = await sql<{ state: string; response_status: number | null }>`
      SELECT state, response_status FROM strata.idempotency_keys WHERE principal = 'alice' AND key = 'k2'`.execute(db);
    expect(stored.rows).toEqual([{ state: 'in_flight', response_status: null }]);
    expect(await claimIdempotencyKey(db, request('k2'))).toMatchObject({ kind: 'in_flight' });
    await releaseIdempotencyKey(db, first);
    expect((await claimIdempotencyKey(db, request('k2'))).kind).toBe('acquired');
  });

  it('a key whose holder died can be taken over after its lock expires, and the old holder can no longer complete', async () => {
    const dead = acquired(await claimIdempotencyKey(db, request('k3'), { lockTtlMs: 100 }));
    expect((await claimIdempotencyKey(db, request('k3'), { lockTtlMs: 100 })).kind).toBe('in_flight');
    await sql`SELECT pg_sleep(0.2)`.execute(db);
    const heir = acquired(await claimIdempotencyKey(db, request('k3'), { lockTtlMs: 100 }));
    expect(heir.token).not.toBe(dead.token);
    const err = await caught(() => withTransaction(db, (trx) => completeIdempotencyKey(trx, dead, { status: 201, headers: {}, body: '{}' })));
    expect(err.code).toBe('IDEMPOTENCY_KEY_IN_FLIGHT');
  });

  it('expired keys start afresh without waiting for cleanup: a claim of a completed key past its retention runs again', async () => {
    const old = acquired(await claimIdempotencyKey(db, request('k4-stale'), { retentionMs: 50 }));
    await withTransaction(db, (trx) => completeIdempotencyKey(trx, old, { status: 201, headers: {}, body: '{}' }));
    await sql`SELECT pg_sleep(0.1)`.execute(db);
    // No cleanupIdempotencyKeys here: the claim itself must see that the stored response expired.
    const again = await claimIdempotencyKey(db, request('k4-stale'));
    expect(again.kind).toBe('acquired');
    await withTransaction(db, (trx) => completeIdempotencyKey(trx, acquired(again), { status: 200, headers: {}, body: '{"again":true}' }));
    expect(await claimIdempotencyKey(db, request('k4-stale'))).toMatchObject({ kind: 'replay', response: { status: 200, body: '{"again":true}' } });
  });

  it('expired keys start afresh and are cleaned up', async () => {
    const old = acquired(await claimIdempotencyKey(db, request('k4'), { retentionMs: 50 }));
    await withTransaction(db, (trx) => completeIdempotencyKey(trx, old, { status: 201, headers: {}, body: '{}' }));
    await sql`SELECT pg_sleep(0.1)`.execute(db);
    expect(await cleanupIdempotencyKeys(db)).toBeGreaterThanOrEqual(1);
    expect((await claimIdempotencyKey(db, request('k4'))).kind).toBe('acquired');
  });

  it('malformed keys are refused with a typed error', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256), 'ünïcode']) {
      expect((await caught(() => claimIdempotencyKey(db, request(key)))).code).toBe('IDEMPOTENCY_KEY_INVALID');
    }
  });
});
