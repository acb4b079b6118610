import { Command } from 'commander';
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
import { fail } from '../fail.js';
import { parseDuration } from '../options.js';

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

export function principalCommand(): Command {
  const cmd = new Command('principal')
    .description('principals: who may call the service (each holds API tokens)')
    .addHelpText('after', '\nExamples:\n  $ strata principal create checkout-service\n  $ strata principal list\n  $ strata principal revoke checkout-service');
  cmd
    .command('create <name>')
    .description('create a principal (then give it a token with `strata token issue --principal <name>`)')
    .addHelpText('after', '\nExample:\n  $ strata principal create checkout-service\n\nNames: 1-63 of a-z 0-9 . _ @ -, never reused (also after revocation).')
    .action((name: string) =>
      withDb(async (db) => {
        const p = await createPrincipal(db, name);
        say(`principal ${p.name} created (id ${p.id}); issue it a token: strata token issue --principal ${p.name} --scopes catalog:read`);
      }).catch(fail),
    );
  cmd
    .command('list')
    .description('list principals with their active tokens')
    .option('--all', 'include revoked principals')
    .addHelpText('after', '\nExample:\n  $ strata principal list --all')
    .action((opts: { all?: boolean }) =>
      withDb(async (db) => {
        const principals = await listPrincipals(db, { includeRevoked: opts.all === true });
        const tokens = await listTokens(db);
        const count = (p: PrincipalInfo) => String(tokens.filter((t) => t.principalId === p.id).length);
        say(
          table(
            ['name', 'id', 'created', 'revoked', 'active tokens'],
            principals.map((p) => [p.name, p.id, when(p.createdAt), when(p.revokedAt), count(p)]),
          ),
        );
      }).catch(fail),
    );
  cmd
    .command('revoke <name>')
    .description('revoke a principal and every token it holds (refused on the next request, by every service process)')
    .addHelpText('after', '\nExample:\n  $ strata principal revoke checkout-service')
    .action((name: string) =>
      withDb(async (db) => {
        const p = await revokePrincipal(db, name);
        say(`principal ${p.name} revoked at ${when(p.revokedAt)}, with all its tokens`);
      }).catch(fail),
    );
  return cmd;
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

export function tokenCommand(): Command {
  const cmd = new Command('token')
    .description('API tokens: issue (shown once), list, revoke')
    .addHelpText(
      'after',
      '\nExamples:\n  $ TOKEN=$(strata token issue --scopes catalog:read,catalog:write)\n  $ curl -H "Authorization: Bearer $TOKEN" localhost:3000/products\n  $ strata token revoke 0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70',
    );
  cmd
    .command('issue')
    .description('issue a token and print it as the last line of stdout (shown once: strata keeps only its hash)')
    .requiredOption('--scopes <list>', 'comma-separated: catalog:read, catalog:write, wallet, admin')
    .option('--principal <name>', `whose token (default ${BOOTSTRAP_PRINCIPAL})`)
    .option('--expires-in <duration>', 'stop working after this long, e.g. 30d, 12h (default: never; revoke instead)', parseDuration)
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata token issue --scopes catalog:read --principal checkout-service --expires-in 90d\n  $ TOKEN=$(strata token issue --scopes catalog:read,catalog:write)',
    )
    .action((opts: { scopes: string; principal?: string; expiresIn?: number }) =>
      withDb(async (db) => {
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
      }).catch(fail),
    );
  cmd
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--principal <name>', "only this principal's")
    .option('--all', 'include revoked and expired tokens')
    .addHelpText('after', '\nExample:\n  $ strata token list --principal checkout-service')
    .action((opts: { principal?: string; all?: boolean }) =>
      withDb(async (db) => {
        say(tokenRows(await listTokens(db, { ...(opts.principal !== undefined ? { principal: opts.principal } : {}), includeInactive: opts.all === true })));
      }).catch(fail),
    );
  cmd
    .command('revoke <id>')
    .description('revoke a token (refused on the next request, by every service process)')
    .addHelpText('after', '\nExample:\n  $ strata token revoke 0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70')
    .action((id: string) =>
      withDb(async (db) => {
        const t = await revokeToken(db, id);
        say(`token ${t.id} of ${t.principalName} revoked at ${when(t.revokedAt)}`);
      }).catch(fail),
    );
  return cmd;
}
