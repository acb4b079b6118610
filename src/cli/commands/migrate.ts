import { Command } from 'commander';
import { lazy } from '../lazy.js';
import { parseNonNegative, parseNonNegativeNumber, parsePositive } from '../options.js';

// Definitions only: the migration engine and the database driver are imported when a command runs.
const actions = () => import('../actions/migrate.js');

export interface RunFlags {
  dir?: string;
  lockTimeout: number;
  batchSize: number;
  throttle: number;
  yield: number;
  maxRate: number;
  wait: boolean;
}

function runOptions(cmd: Command): Command {
  return cmd
    .option('--dir <folder>', "migrations folder (default: the reference service's migrations)")
    .option('--lock-timeout <ms>', 'lock_timeout of every statement', parsePositive, 1000)
    .option('--batch-size <rows>', 'rows per backfill batch', parsePositive, 1000)
    .option('--throttle <ms>', 'fixed pause between backfill batches', parseNonNegative, 0)
    .option('--yield <ratio>', 'after a backfill batch that took t ms, pause ratio x t (the application keeps the rest)', parseNonNegativeNumber, 0.5)
    .option('--max-rate <rows/s>', 'upper bound on backfill rows per second (0: none)', parseNonNegative, 30000)
    .option('--no-wait', 'exit at once when another runner holds the migration lock');
}

export function migrateCommand(): Command {
  const cmd = new Command('migrate')
    .description('zero-downtime migrations: start (expand), complete (contract), rollback, status, plan, new, generate, lint')
    .addHelpText('after', '\nExamples:\n  $ strata migrate status\n  $ strata migrate start && strata migrate complete');
  cmd
    .command('status')
    .description('every migration with its state (works on an empty database)')
    .option('--dir <folder>', "migrations folder (default: the reference service's migrations)")
    .addHelpText('after', '\nExample:\n  $ strata migrate status --dir migrations')
    .action(lazy(actions, (a, flags: { dir?: string }) => a.status(flags)));
  cmd
    .command('plan [name]')
    .description('the SQL of each step of a migration (default: the next one) with the lock each statement takes')
    .option('--dir <folder>', "migrations folder (default: the reference service's migrations)")
    .addHelpText('after', '\nExample:\n  $ strata migrate plan 0006_products_stock_bigint')
    .action(lazy(actions, (a, name: string | undefined, flags: { dir?: string }) => a.plan(name, flags)));
  runOptions(cmd.command('start'))
    .description('expand: start the next migration (or resume one a crash interrupted); both versions then work')
    .addHelpText('after', '\nExample:\n  $ strata migrate start --lock-timeout 1000 --batch-size 1000 --yield 1 --max-rate 30000')
    .action(lazy(actions, (a, flags: RunFlags) => a.start(flags)));
  runOptions(cmd.command('complete'))
    .description('contract: finish the migration in progress (old columns and the previous version go)')
    .addHelpText('after', '\nExample:\n  $ strata migrate complete')
    .action(lazy(actions, (a, flags: RunFlags) => a.complete(flags)));
  runOptions(cmd.command('rollback'))
    .description('undo the start of the migration in progress; the previous version keeps every row')
    .addHelpText('after', '\nExample:\n  $ strata migrate rollback')
    .action(lazy(actions, (a, flags: RunFlags) => a.rollback(flags)));
  cmd
    .command('new <name>')
    .description('write migrations/NNNN_<name>.ts from a template')
    .option('--dir <folder>', 'migrations folder', 'migrations')
    .addHelpText('after', '\nExample:\n  $ strata migrate new add_weight')
    .action(lazy(actions, (a, name: string, flags: { dir: string }) => a.create(name, flags)));
  cmd
    .command('generate <name>')
    .description('write the next migration from the difference between code-first definitions and the database (online operations only)')
    .requiredOption('--model <file>', 'module exporting `model` (the list of definitions)')
    .option('--dir <folder>', 'migrations folder', 'migrations')
    .option('--schema <name>', 'the live schema', 'public')
    .option('--allow-drop', 'also drop tables and columns the definitions no longer have')
    .addHelpText(
      'after',
      '\nExample:\n  $ strata migrate generate add_weight --model src/db/model.ts\n\nRenames are never guessed: a renamed column shows as one added and one dropped; write rename_column yourself.',
    )
    .action(
      lazy(
        () => import('../actions/model.js'),
        (a, name: string, flags: { model: string; dir: string; schema: string; allowDrop?: boolean }) => a.generateMigration(name, flags),
      ),
    );
  cmd
    .command('lint <file>')
    .description('flag SQL that locks or rewrites a live table (a .sql file, or a migration file: its sql operations)')
    .addHelpText('after', '\nExample:\n  $ strata migrate lint change.sql')
    .action(lazy(actions, (a, file: string) => a.lint(file)));
  return cmd;
}
