import { describe, expect, it } from 'vitest';
import { authenticate } from '../../src/principals/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const TOKEN = /^strata_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/;

describe('strata principal and strata token', () => {
  it('token issue on a database without principals creates admin and prints only the token on stdout, as its last line', async () => {
    const env = { DATABASE_URL: pg.url };
    const issued = await runCli(['token', 'issue', '--scopes', 'catalog:read,catalog:write'], env);
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toMatch(/^strata_\S+\n$/);
    const token = issued.stdout.trim();
    expect(token).toMatch(TOKEN);
    expect(issued.stderr).toContain('created the principal admin');
    expect(await authenticate(pg.database.db, `Bearer ${token}`)).toMatchObject({
      ok: true,
      principal: { name: 'admin', scopes: ['catalog:read', 'catalog:write'] },
    });
  });

  it('create, issue with expiry, list (never a secret), revoke a token, revoke a principal', async () => {
    const env = { DATABASE_URL: pg.url };
    const db = pg.database.db;
    const created = await runCli(['principal', 'create', 'checkout'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^principal checkout created \(id [0-9a-f-]{36}\)/);
    const one = await runCli(['token', 'issue', '--principal', 'checkout', '--scopes', 'wallet', '--expires-in', '1d'], env);
    const two = await runCli(['token', 'issue', '--principal', 'checkout', '--scopes', 'catalog:read'], env);
    expect([one.code, two.code]).toEqual([0, 0]);
    const first = one.stdout.trim().split('\n').at(-1) ?? '';
    const second = two.stdout.trim().split('\n').at(-1) ?? '';
    const auth = await authenticate(db, `Bearer ${first}`);
    expect(auth.ok).toBe(true);
    const firstId = auth.ok ? auth.principal.tokenId : '';

    const principals = await runCli(['principal', 'list'], env);
    expect(principals.stdout).toMatch(/^checkout\s+[0-9a-f-]{36}\s+\S+\s+-\s+2$/m);
    const tokens = await runCli(['token', 'list', '--principal', 'checkout'], env);
    expect(tokens.stdout).toContain(firstId);
    expect(tokens.stdout).toMatch(new RegExp(`^${firstId}\\s+checkout\\s+wallet\\s+\\S+\\s+\\d{4}-`, 'm'));
    for (const t of [first, second]) expect(`${tokens.stdout}${principals.stdout}`).not.toContain(t.slice(40));

    const revoked = await runCli(['token', 'revoke', firstId], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await authenticate(db, `Bearer ${first}`)).toEqual({ ok: false, reason: 'revoked' });
    expect(await authenticate(db, `Bearer ${second}`)).toMatchObject({ ok: true });
    const gone = await runCli(['principal', 'revoke', 'checkout'], env);
    expect(gone.code, gone.stderr).toBe(0);
    expect(await authenticate(db, `Bearer ${second}`)).toEqual({ ok: false, reason: 'revoked' });
    expect((await runCli(['principal', 'list'], env)).stdout).not.toMatch(/^checkout/m);
    expect((await runCli(['principal', 'list', '--all'], env)).stdout).toMatch(/^checkout/m);
  });

  it('bad input exits non-zero with one line naming the problem', async () => {
    const env = { DATABASE_URL: pg.url };
    const cases: [string[], RegExp][] = [
      [['token', 'issue', '--scopes', 'root'], /unknown scope "root"/],
      [['token', 'issue', '--scopes', 'wallet', '--principal', 'nobody'], /no principal named "nobody"/],
      [['token', 'issue', '--scopes', 'wallet', '--expires-in', 'soon'], /duration/],
      [['principal', 'create', 'Bad Name'], /not a valid principal name/],
      [['token', 'revoke', 'abc'], /no token with id/],
      [['principal', 'revoke', 'nobody'], /no principal named "nobody"/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i] ?? { code: 0, stdout: '', stderr: '' };
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });
});
