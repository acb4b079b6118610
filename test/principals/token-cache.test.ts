import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPrincipal, createTokenCache, issueToken, revokePrincipal, revokeToken } from '../../src/principals/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const bearer = (token: string) => `Bearer ${token}`;

/** Counts the statements reading a token's row (what the cache saves). */
function countingReads(db: Kysely<unknown>): { db: Kysely<unknown>; reads: () => number } {
  let reads = 0;
  const counted = db.withPlugin({
    transformQuery: (args) => {
      if (JSON.stringify(args.node).includes('token_state')) reads++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return { db: counted, reads: () => reads };
}

describe('createTokenCache: a valid token answered from memory for a bounded time', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await createPrincipal(db, 'cached');
  });

  it('reads a valid token once per ttl; a revocation elsewhere holds once the ttl has passed, and at once after clear()', async () => {
    const issued = await issueToken(db, { principal: 'cached', scopes: ['catalog:read'] });
    let now = 1_000_000;
    const counted = countingReads(db);
    const cache = createTokenCache(counted.db, { ttlMs: 1000, now: () => now });
    expect(await cache.authenticate(bearer(issued.token))).toMatchObject({ ok: true, principal: { name: 'cached', tokenId: issued.id } });
    expect(counted.reads()).toBe(1);
    expect(await cache.authenticate(bearer(issued.token))).toMatchObject({ ok: true });
    expect(counted.reads()).toBe(1);

    await revokeToken(db, issued.id);
    now += 999;
    // Within the bound the remembered answer may still be given ...
    expect(await cache.authenticate(bearer(issued.token))).toMatchObject({ ok: true });
    now += 1;
    // ... never after it.
    expect(await cache.authenticate(bearer(issued.token))).toEqual({ ok: false, reason: 'revoked' });

    const other = await issueToken(db, { principal: 'cached', scopes: ['catalog:read'] });
    expect(await cache.authenticate(bearer(other.token))).toMatchObject({ ok: true });
    await revokeToken(db, other.id);
    cache.clear();
    expect(await cache.authenticate(bearer(other.token))).toEqual({ ok: false, reason: 'revoked' });
  });

  it('a revoked principal: refused after the ttl, with every token it holds', async () => {
    await createPrincipal(db, 'leaving');
    const a = await issueToken(db, { principal: 'leaving', scopes: ['wallet'] });
    let now = 5_000_000;
    const cache = createTokenCache(db, { ttlMs: 500, now: () => now });
    expect(await cache.authenticate(bearer(a.token))).toMatchObject({ ok: true });
    await revokePrincipal(db, 'leaving');
    now += 500;
    expect(await cache.authenticate(bearer(a.token))).toEqual({ ok: false, reason: 'revoked' });
  });

  it('never accepts a token after its expires_at, even while it is remembered', async () => {
    const issued = await issueToken(db, { principal: 'cached', scopes: ['catalog:read'] });
    const expiresAt = new Date(Date.now() + 60_000);
    await sql`UPDATE strata.api_tokens SET expires_at = ${expiresAt} WHERE id = ${issued.id}`.execute(db);
    let now = expiresAt.getTime() - 100;
    const cache = createTokenCache(db, { ttlMs: 60_000, now: () => now });
    expect(await cache.authenticate(bearer(issued.token))).toMatchObject({ ok: true });
    now = expiresAt.getTime();
    // Remembered for another minute, but expired: the row is read again (the database clock decides).
    await sql`UPDATE strata.api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${issued.id}`.execute(db);
    expect(await cache.authenticate(bearer(issued.token))).toEqual({ ok: false, reason: 'expired' });
  });

  it('a wrong secret for a remembered token id is refused (the row is read, nothing is taken from memory)', async () => {
    const issued = await issueToken(db, { principal: 'cached', scopes: ['catalog:read'] });
    const cache = createTokenCache(db, { ttlMs: 60_000 });
    expect(await cache.authenticate(bearer(issued.token))).toMatchObject({ ok: true });
    const forged = `${issued.token.slice(0, -4)}${issued.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(await cache.authenticate(bearer(forged))).toEqual({ ok: false, reason: 'unknown' });
    expect(await cache.authenticate(bearer(issued.token))).toMatchObject({ ok: true });
    expect(await cache.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(await cache.authenticate('Basic eA==')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('ttl 0 reads the row on every call; at most maxEntries tokens are remembered', async () => {
    const issued = await issueToken(db, { principal: 'cached', scopes: ['catalog:read'] });
    const counted = countingReads(db);
    const off = createTokenCache(counted.db, { ttlMs: 0 });
    await off.authenticate(bearer(issued.token));
    await off.authenticate(bearer(issued.token));
    expect(counted.reads()).toBe(2);

    const tokens = await Promise.all([1, 2, 3].map(() => issueToken(db, { principal: 'cached', scopes: ['catalog:read'] })));
    const small = countingReads(db);
    const cache = createTokenCache(small.db, { ttlMs: 60_000, maxEntries: 2 });
    for (const t of tokens) await cache.authenticate(bearer(t.token));
    expect(small.reads()).toBe(3);
    // The first was forgotten (oldest first); the last two are still remembered.
    await cache.authenticate(bearer(tokens[2]?.token ?? ''));
    expect(small.reads()).toBe(3);
    await cache.authenticate(bearer(tokens[0]?.token ?? ''));
    expect(small.reads()).toBe(4);
  });
});
