import { Command } from 'commander';
import { lazy } from '../lazy.js';
import { parsePositive } from '../options.js';

// Definitions only: the ledger's code and the database driver are imported when a command runs.
const actions = () => import('../actions/ledger.js');

export function ledgerCommand(): Command {
  const cmd = new Command('ledger')
    .description('the double-entry ledger (wallets): verify its invariants, put money into an account')
    .addHelpText(
      'after',
      '\nExamples:\n  $ DATABASE_URL=postgres://app@db/shop strata ledger check\n  $ strata ledger fund 0193a0c4-2b3c-7d4e-8f50-6a7b8c9d0e1f 10000',
    );
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
  cmd
    .command('fund')
    .description(
      "put money into an account: a transfer from the funding account of the account's currency (opened on first use, owned by no principal), so double entry and conservation hold",
    )
    .argument('<account-id>', 'the account to credit (anyone’s)')
    .argument('<amount>', 'minor units (e.g. cents), a whole number above 0')
    .option('--id <uuid>', 'the transfer id: running the command again with it applies nothing twice (default: a new UUIDv7, printed)')
    .option('--metadata <json>', 'a JSON object recorded on the transfer, e.g. {"reason":"welcome credit"}')
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata ledger fund 0193a0c4-2b3c-7d4e-8f50-6a7b8c9d0e1f 10000\n  $ strata ledger fund 0193a0c4-2b3c-7d4e-8f50-6a7b8c9d0e1f 2500 --id 0193a0c5-3c4d-7e5f-8061-7b8c9d0e1f2a --metadata \'{"reason":"refund"}\'\n\nAn operator\'s act (whoever holds DATABASE_URL); over HTTP: POST /admin/accounts/:id/fund with scope admin.\nPrints the transfer as JSON on stdout.',
    )
    .action(lazy(actions, (a, accountId: string, amount: string, opts: { id?: string; metadata?: string }) => a.fund(accountId, amount, opts)));
  return cmd;
}
