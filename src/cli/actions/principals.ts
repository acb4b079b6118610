import type { Kysely } from 'kysely';
import { isStrataError } from '../../db/index.js';
import {
  BOOTSTRAP_PRINCIPAL,
  createPrincipal,
  getPrincipal,
  issueToken,
  listPrincipals,
  listTokens,
  type PrincipalInfo,
  revokePrincipal,
  revokeToken,
  type TokenInfo,
} from '../../principals/index.js';
import { withDb } from '../database.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);
const when = (date: Date | null) => (date ? date.toISOString() : '-');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The principal a token is issued to: the one named, else `admin` (created when the database has no principal yet). */
async function principalFor(db: Kysely<unknown>, name: string | undefined): Promise<string> {
  if (name !== undefined) return name;
  try {
    return (await getPrincipal(db, BOOTSTRAP_PRINCIPAL)).name;
  } catch (err) {
    if (!isStrataError(err, 'PRINCIPAL_NOT_FOUND') || (await listPrincipals(db, { includeRevoked: true })).length > 0) throw err;
    await createPrincipal(db, BOOTSTRAP_PRINCIPAL).catch((e: unknown) => {
      if (!isStrataError(e, 'PRINCIPAL_EXISTS')) throw e;
    });
    note(`created the principal ${BOOTSTRAP_PRINCIPAL} (the database had none)`);
    return BOOTSTRAP_PRINCIPAL;
  }
}

function tokenRows(tokens: readonly TokenInfo[]): string {
  return table(
    ['id', 'principal', 'scopes', 'created', 'expires', 'revoked'],
    tokens.map((t) => [t.id, t.principalName, t.scopes.join(','), when(t.createdAt), when(t.expiresAt), when(t.revokedAt)]),
  );
}

/** `strata principal create`. */
export function createPrincipalCmd(name: string): Promise<void> {
  return withDb(async (db) => {
    const p = await createPrincipal(db, name);
    say(`principal ${p.name} created (id ${p.id}); issue it a token: strata token issue --principal ${p.name} --scopes catalog:read`);
  });
}

/** `strata principal list`. */
export function listPrincipalsCmd(opts: { all?: boolean }): Promise<void> {
  return withDb(async (db) => {
    const principals = await listPrincipals(db, { includeRevoked: opts.all === true });
    const tokens = await listTokens(db);
    const count = (p: PrincipalInfo) => String(tokens.filter((t) => t.principalId === p.id).length);
    say(
      table(
        ['name', 'id', 'created', 'revoked', 'active tokens'],
        principals.map((p) => [p.name, p.id, when(p.createdAt), when(p.revokedAt), count(p)]),
      ),
    );
  });
}

/** `strata principal revoke`. */
export function revokePrincipalCmd(name: string): Promise<void> {
  return withDb(async (db) => {
    const p = await revokePrincipal(db, name);
    say(`principal ${p.name} revoked at ${when(p.revokedAt)}, with all its tokens`);
  });
}

/** `strata token issue`. */
export function issueCmd(opts: { scopes: string; principal?: string; expiresIn?: number }): Promise<void> {
  return withDb(async (db) => {
    const principal = await principalFor(db, opts.principal);
    const issued = await issueToken(db, {
      principal,
      scopes: opts.scopes,
      ...(opts.expiresIn !== undefined ? { expiresAt: new Date(Date.now() + opts.expiresIn) } : {}),
    });
    note(
      `token ${issued.id} for ${issued.principalName} (scopes ${issued.scopes.join(',')}; expires ${issued.expiresAt ? issued.expiresAt.toISOString() : 'never'}); shown once, keep it secret:`,
    );
    say(issued.token);
  });
}

/** `strata token list`. */
export function listTokensCmd(opts: { principal?: string; all?: boolean }): Promise<void> {
  return withDb(async (db) => {
    say(tokenRows(await listTokens(db, { ...(opts.principal !== undefined ? { principal: opts.principal } : {}), includeInactive: opts.all === true })));
  });
}

/** `strata token revoke`. */
export function revokeTokenCmd(id: string): Promise<void> {
  return withDb(async (db) => {
    const t = await revokeToken(db, id);
    say(`token ${t.id} of ${t.principalName} revoked at ${when(t.revokedAt)}`);
  });
}
