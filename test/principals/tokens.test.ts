import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate,
  createPrincipal,
  issueToken,
  listPrincipals,
  listTokens,
  parseScopes,
  revokePrincipal,
  revokeToken,
} from '../../src/principals/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const bearer = (token: string) => `Bearer ${token}`;
/** The id and secret of a token (the secret may itself contain "_"). */
const partsOf = (token: string) => /^strata_([0-9a-f]{32})_(.+)$/.exec(token)?.slice(1) ?? [];

describe('principals and tokens', () => {
  let db: Kysely<unknown>;
  beforeAll(() => {
    db = pg.database.db;
  });

  it('a token is strata_<id>_<256 random bits>, authenticates its principal with its scopes, and only its hash is stored', async () => {
    const alice = await createPrincipal(db, 'alice');
    const issued = await issueToken(db, { principal: 'alice', scopes: 'catalog:write,catalog:read' });
    const match = /^strata_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/.exec(issued.token);
    expect(match).not.toBeNull();
    expect(Buffer.from(match?.[2] ?? '', 'base64url')).toHaveLength(32);
    expect(match?.[1]).toBe(issued.id.replaceAll('-', ''));
    expect(issued).toMatchObject({
      principalId: alice.id,
      principalName: 'alice',
      scopes: ['catalog:read', 'catalog:write'],
      expiresAt: null,
      revokedAt: null,
    });
    const auth = await authenticate(db, bearer(issued.token));
    expect(auth).toEqual({ ok: true, principal: { id: alice.id, name: 'alice', scopes: ['catalog:read', 'catalog:write'], tokenId: issued.id } });
    expect(await authenticate(db, `bearer   ${issued.token}`)).toMatchObject({ ok: true });

    const secret = partsOf(issued.token)[1] ?? '';
    const { rows } = await sql<{ text: string }>`SELECT row_to_json(t)::text AS text FROM strata.api_tokens t`.execute(db);
    const stored = rows.map((r) => r.text).join('\n');
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
    expect(stored).toContain(issued.id);
  });

  it('two tokens never share a secret', async () => {
    await createPrincipal(db, 'many');
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issueToken(db, { principal: 'many', scopes: ['wallet'] })));
    expect(new Set(tokens.map((t) => partsOf(t.token)[1])).size).toBe(20);
  });

  it('missing, malformed, unknown, wrong-secret, expired and revoked tokens are refused, each with its reason (for logs only)', async () => {
    await createPrincipal(db, 'bob');
    const good = await issueToken(db, { principal: 'bob', scopes: 'catalog:read' });
    const [id, secret] = partsOf(good.token);
    const wrongSecret = `strata_${id}_${secret?.startsWith('A') ? 'B' : 'A'}${secret?.slice(1)}`;
    const unknownId = `strata_${'0'.repeat(32)}_${secret}`;
    expect(await authenticate(db, undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(await authenticate(db, 'Basic Ym9iOnNlY3JldA==')).toEqual({ ok: false, reason: 'malformed' });
    expect(await authenticate(db, bearer('not-a-token'))).toEqual({ ok: false, reason: 'malformed' });
    expect(await authenticate(db, bearer(wrongSecret))).toEqual({ ok: false, reason: 'unknown' });
    expect(await authenticate(db, bearer(unknownId))).toEqual({ ok: false, reason: 'unknown' });

    const expiring = await issueToken(db, { principal: 'bob', scopes: 'catalog:read', expiresAt: new Date(Date.now() + 60_000) });
    expect(await authenticate(db, bearer(expiring.token))).toMatchObject({ ok: true });
    await sql`UPDATE strata.api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${expiring.id}`.execute(db);
    expect(await authenticate(db, bearer(expiring.token))).toEqual({ ok: false, reason: 'expired' });

    expect((await revokeToken(db, good.id)).revokedAt).toBeInstanceOf(Date);
    expect(await authenticate(db, bearer(good.token))).toEqual({ ok: false, reason: 'revoked' });
    // A revoked token with the wrong secret says nothing about the row: it is unknown.
    expect(await authenticate(db, bearer(`strata_${id}_${partsOf(wrongSecret)[1]}`))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('revoking a principal revokes every token it holds; it gets no new ones and its name is never reused', async () => {
    await createPrincipal(db, 'carol');
    const one = await issueToken(db, { principal: 'carol', scopes: 'catalog:read' });
    const two = await issueToken(db, { principal: 'carol', scopes: 'wallet' });
    const revoked = await revokePrincipal(db, 'carol');
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    for (const t of [one, two]) expect(await authenticate(db, bearer(t.token))).toEqual({ ok: false, reason: 'revoked' });
    expect((await caught(() => issueToken(db, { principal: 'carol', scopes: 'wallet' }))).code).toBe('PRINCIPAL_REVOKED');
    expect((await caught(() => createPrincipal(db, 'carol'))).code).toBe('PRINCIPAL_EXISTS');
    expect((await listPrincipals(db)).map((p) => p.name)).not.toContain('carol');
    expect((await listPrincipals(db, { includeRevoked: true })).map((p) => p.name)).toContain('carol');
    expect(await listTokens(db, { principal: 'carol' })).toEqual([]);
    expect((await listTokens(db, { principal: 'carol', includeInactive: true })).map((t) => t.id)).toEqual([one.id, two.id]);
    expect((await revokePrincipal(db, 'carol')).revokedAt).toEqual(revoked.revokedAt);
  });

  it('bad input is a typed error and writes nothing', async () => {
    const before = await sql<{ n: number }>`SELECT (SELECT count(*) FROM strata.principals)::int + (SELECT count(*) FROM strata.api_tokens)::int AS n`.execute(
      db,
    );
    for (const name of ['', 'Alice', 'has space', '-leading', 'x'.repeat(64), "o'brien"]) {
      expect((await caught(() => createPrincipal(db, name))).code).toBe('PRINCIPAL_NAME_INVALID');
    }
    expect((await caught(() => issueToken(db, { principal: 'nobody', scopes: 'wallet' }))).code).toBe('PRINCIPAL_NOT_FOUND');
    await createPrincipal(db, 'dave');
    expect((await caught(() => issueToken(db, { principal: 'dave', scopes: 'wallet,root' }))).code).toBe('SCOPE_UNKNOWN');
    expect((await caught(() => issueToken(db, { principal: 'dave', scopes: '' }))).code).toBe('SCOPE_UNKNOWN');
    expect((await caught(() => revokeToken(db, 'nope'))).code).toBe('TOKEN_NOT_FOUND');
    expect((await caught(() => revokeToken(db, '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70'))).code).toBe('TOKEN_NOT_FOUND');
    const after = await sql<{ n: number }>`SELECT (SELECT count(*) FROM strata.principals)::int + (SELECT count(*) FROM strata.api_tokens)::int AS n`.execute(
      db,
    );
    expect(after.rows[0]?.n).toBe((before.rows[0]?.n ?? 0) + 1);
  });

  it('scopes parse from text or lists, in canonical order, without duplicates', () => {
    expect(parseScopes(' admin , catalog:read,admin')).toEqual(['catalog:read', 'admin']);
    expect(parseScopes(['wallet'])).toEqual(['wallet']);
  });
});
