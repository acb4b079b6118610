import { Command, InvalidArgumentError } from 'commander';
import type { TopOrder } from '../../observe/index.js';
import { withDb } from '../database.js';
import { fail } from '../fail.js';
import { parsePositive } from '../options.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

function parseOrder(value: string): TopOrder {
  if (!['total', 'calls', 'mean', 'rows'].includes(value)) throw new InvalidArgumentError('must be total, calls, mean or rows');
  return value as TopOrder;
}

export function explainCommand(): Command {
  return new Command('explain')
    .description('print a query plan as a tree, marking the nodes that cost most (!!)')
    .argument('<sql>', 'the statement (no parameters)')
    .option('--analyze', 'run it (EXPLAIN ANALYZE, BUFFERS) inside a transaction that is rolled back')
    .addHelpText(
      'after',
      `\nExamples:\n  $ strata explain "SELECT * FROM products WHERE sku = 'A-1'"\n  $ strata explain --analyze "SELECT count(*) FROM products"`,
    )
    .action((statement: string, opts: { analyze?: boolean }) =>
      withDb(async (db) => {
        const { explain, renderPlan } = await import('../../observe/index.js');
        const plan = await explain(db, statement, [], opts.analyze === true);
        say(renderPlan(plan, opts.analyze === true));
      }).catch(fail),
    );
}

export function topCommand(): Command {
  return new Command('top')
    .description('the heaviest statements from pg_stat_statements')
    .option('--order <by>', 'total, calls, mean or rows', parseOrder, 'total' as TopOrder)
    .option('--limit <n>', 'how many statements', parsePositive, 15)
    .addHelpText('after', '\nExample:\n  $ strata top --order mean --limit 10')
    .action((opts: { order: TopOrder; limit: number }) =>
      withDb(async (db) => {
        const { topStatements } = await import('../../observe/index.js');
        const rows = await topStatements(db, { orderBy: opts.order, limit: opts.limit });
        say(`${'total ms'.padStart(12)} ${'calls'.padStart(9)} ${'mean ms'.padStart(10)} ${'rows'.padStart(10)}  query`);
        for (const r of rows) {
          const query = r.query.replace(/\s+/g, ' ').slice(0, 100);
          say(
            `${r.totalMs.toFixed(1).padStart(12)} ${String(r.calls).padStart(9)} ${r.meanMs.toFixed(3).padStart(10)} ${String(r.rows).padStart(10)}  ${query}`,
          );
        }
      }).catch(fail),
    );
}
