import { Command } from 'commander';
import { type ChildRelation, countPurgeCandidates, enableSoftDelete, purgeDeleted, restore } from '../../softdelete/index.js';
import { withDb } from '../database.js';
import { fail } from '../fail.js';
import { parseDuration, parsePositive } from '../options.js';
import { startProgress } from '../progress.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

function children(opts: Record<string, string[] | undefined>): ChildRelation[] {
  const out: ChildRelation[] = [];
  for (const mode of ['cascade', 'restrict', 'keep'] as const) {
    for (const spec of opts[mode] ?? []) {
      const [table, column] = spec.split(':');
      if (!table || !column) throw new Error(`--${mode} takes child_table:column (got "${spec}")`);
      out.push({ table, column, mode });
    }
  }
  return out;
}

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
    .action((table: string, opts: Record<string, string[] | undefined>) =>
      withDb(async (db) => {
        const result = await enableSoftDelete(db, { table, children: children(opts) });
        say(
          result.alreadyEnabled
            ? `${table}: soft deletes already on; views refreshed`
            : `${table}: soft deletes on (all rows in ${result.base}, deleted ones in ${result.deletedView}; live-only indexes: ${[...result.replacedConstraints, ...result.rewrittenIndexes].join(', ') || 'none'})`,
        );
      }).catch(fail),
    );
  cmd
    .command('restore <table> <id>')
    .description('restore a soft-deleted row and the children deleted with it')
    .addHelpText('after', '\nExample:\n  $ strata softdelete restore products 0193a0c2-...')
    .action((table: string, id: string) =>
      withDb(async (db) => {
        await restore(db, table, id);
        say(`${table} ${id}: restored`);
      }).catch(fail),
    );
  cmd
    .command('purge <table>')
    .description('hard-delete rows soft-deleted longer ago than --older-than, in batches; safe to rerun after a crash')
    .requiredOption('--older-than <duration>', 'retention, e.g. 30d, 12h, 0s', parseDuration)
    .option('--batch-size <rows>', 'rows per transaction', parsePositive, 1000)
    .addHelpText('after', '\nExample:\n  $ strata softdelete purge products --older-than 30d')
    .action((table: string, opts: { olderThan: number; batchSize: number }) =>
      withDb(async (db) => {
        const candidates = await countPurgeCandidates(db, { table, olderThanMs: opts.olderThan }).catch(() => undefined);
        const progress = startProgress(`purging ${table}`, candidates);
        const result = await purgeDeleted(db, {
          table,
          olderThanMs: opts.olderThan,
          batchSize: opts.batchSize,
          onProgress: (p) => progress.update(p.table === table ? p.purged : 0),
        });
        progress.stop();
        if (result.error) throw result.error;
        const detail = Object.entries(result.byTable)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ');
        say(`purged ${result.purged} rows in ${result.batches} batches (${detail})`);
      }).catch(fail),
    );
  return cmd;
}
