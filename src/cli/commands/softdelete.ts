import { Command } from 'commander';
import { lazy } from '../lazy.js';
import { parseDuration, parsePositive } from '../options.js';

// Definitions only: soft deletes' code and the database driver are imported when a command runs.
const actions = () => import('../actions/softdelete.js');

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function softDeleteCommand(): Command {
  const cmd = new Command('softdelete')
    .description('soft deletes: enable on a table, restore rows, purge old deleted rows')
    .addHelpText('after', '\nExamples:\n  $ strata softdelete enable products\n  $ strata softdelete purge products --older-than 30d');
  cmd
    .command('enable <table>')
    .description('make <table> a live-rows view over <table>_all; DELETE then soft-deletes')
    .option('--cascade <child:column>', 'soft-delete these children with the parent (repeatable)', collect)
    .option('--restrict <child:column>', 'refuse to delete a parent with live children (repeatable)', collect)
    .option('--keep <child:column>', 'leave children as they are (repeatable)', collect)
    .addHelpText(
      'after',
      '\nExamples:\n  $ strata softdelete enable order_lines\n  $ strata softdelete enable orders --cascade order_lines:order_id\n\nA child is enabled before a parent cascades to it.',
    )
    .action(lazy(actions, (a, table: string, opts: Record<string, string[] | undefined>) => a.enable(table, opts)));
  cmd
    .command('restore <table> <id>')
    .description('restore a soft-deleted row and the children deleted with it')
    .addHelpText('after', '\nExample:\n  $ strata softdelete restore products 0193a0c2-...')
    .action(lazy(actions, (a, table: string, id: string) => a.restoreRow(table, id)));
  cmd
    .command('purge <table>')
    .description('hard-delete rows soft-deleted longer ago than --older-than, in batches; safe to rerun after a crash')
    .requiredOption('--older-than <duration>', 'retention, e.g. 30d, 12h, 0s', parseDuration)
    .option('--batch-size <rows>', 'rows per transaction', parsePositive, 1000)
    .addHelpText('after', '\nExample:\n  $ strata softdelete purge products --older-than 30d')
    .action(lazy(actions, (a, table: string, opts: { olderThan: number; batchSize: number }) => a.purge(table, opts)));
  return cmd;
}
