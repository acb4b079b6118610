import { Command } from 'commander';
import { lazy } from '../lazy.js';
import { parsePositive } from '../options.js';

// Definitions only: the ledger's code and the database driver are imported when a command runs.
const actions = () => import('../actions/ledger.js');

export function ledgerCommand(): Command {
  const cmd = new Command('ledger')
    .description('the double-entry ledger (wallets): verify its invariants')
    .addHelpText('after', '\nExample:\n  $ DATABASE_URL=postgres://app@db/shop strata ledger check');
  cmd
    .command('check')
    .description(
      'verify every balance against its opening balance and entries, that each currency is conserved, that no balance breaks its limit and that every transfer has exactly two entries; prints each violation, exits 1 on any',
    )
    .option('--limit <n>', 'violations printed per kind (all are counted)', parsePositive, 100)
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata ledger check\n  $ strata ledger check --limit 10 > violations.txt\n\nReads every account (as an admin principal, so row-level security hides none) in one snapshot:\nsafe while transfers run. Each violation is one line on stdout, "<kind>: <what>"; the summary goes to stderr.',
    )
    .action(lazy(actions, (a, opts: { limit: number }) => a.check(opts)));
  return cmd;
}
