import { Command } from 'commander';
import { lazy } from '../lazy.js';
import { parseDuration } from '../options.js';

// Definitions only: principals' code and the database driver are imported when a command runs.
const actions = () => import('../actions/principals.js');

export function principalCommand(): Command {
  const cmd = new Command('principal')
    .description('principals: who may call the service (each holds API tokens)')
    .addHelpText('after', '\nExamples:\n  $ strata principal create checkout-service\n  $ strata principal list\n  $ strata principal revoke checkout-service');
  cmd
    .command('create <name>')
    .description('create a principal (then give it a token with `strata token issue --principal <name>`)')
    .addHelpText('after', '\nExample:\n  $ strata principal create checkout-service\n\nNames: 1-63 of a-z 0-9 . _ @ -, never reused (also after revocation).')
    .action(lazy(actions, (a, name: string) => a.createPrincipalCmd(name)));
  cmd
    .command('list')
    .description('list principals with their active tokens')
    .option('--all', 'include revoked principals')
    .addHelpText('after', '\nExample:\n  $ strata principal list --all')
    .action(lazy(actions, (a, opts: { all?: boolean }) => a.listPrincipalsCmd(opts)));
  cmd
    .command('revoke <name>')
    .description('revoke a principal and every token it holds (refused on the next request, by every service process)')
    .addHelpText('after', '\nExample:\n  $ strata principal revoke checkout-service')
    .action(lazy(actions, (a, name: string) => a.revokePrincipalCmd(name)));
  return cmd;
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
    // admin: BOOTSTRAP_PRINCIPAL (strata/principals), written out so this definition loads nothing (test/cli/startup.test.ts compares them).
    .option('--principal <name>', 'whose token (default admin)')
    .option('--expires-in <duration>', 'stop working after this long, e.g. 30d, 12h (default: never; revoke instead)', parseDuration)
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata token issue --scopes catalog:read --principal checkout-service --expires-in 90d\n  $ TOKEN=$(strata token issue --scopes catalog:read,catalog:write)',
    )
    .action(lazy(actions, (a, opts: { scopes: string; principal?: string; expiresIn?: number }) => a.issueCmd(opts)));
  cmd
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--principal <name>', "only this principal's")
    .option('--all', 'include revoked and expired tokens')
    .addHelpText('after', '\nExample:\n  $ strata token list --principal checkout-service')
    .action(lazy(actions, (a, opts: { principal?: string; all?: boolean }) => a.listTokensCmd(opts)));
  cmd
    .command('revoke <id>')
    .description('revoke a token (refused on the next request, by every service process)')
    .addHelpText('after', '\nExample:\n  $ strata token revoke 0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70')
    .action(lazy(actions, (a, id: string) => a.revokeTokenCmd(id)));
  return cmd;
}
