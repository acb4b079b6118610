import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { Kysely } from 'kysely';
import {
  completeMigration,
  isDeclarative,
  lintSql,
  loadMigrations,
  lockOf,
  MIGRATION_TEMPLATE,
  type MigrationEvent,
  migrationStatus,
  type NamedMigration,
  nextMigrationFile,
  planMigration,
  type RunOptions,
  type RunResult,
  rollbackMigration,
  type Step,
  startMigration,
} from '../../migrate/index.js';
import { withDb } from '../database.js';
import { fail } from '../fail.js';
import { parsePositive } from '../options.js';
import { type Progress, startProgress } from '../progress.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

interface RunFlags {
  dir?: string;
  lockTimeout: number;
  batchSize: number;
  throttle: number;
  wait: boolean;
}

/** A folder's migrations, or the reference service's (loaded only then: the service brings Fastify). */
const migrationsOf = async (dir: string | undefined): Promise<NamedMigration[]> =>
  dir ? loadMigrations(dir) : [...(await import('../../service/index.js')).serviceMigrations];

function reporter(): { onEvent: (event: MigrationEvent) => void; stop: () => void } {
  let bar: Progress | undefined;
  let table = '';
  return {
    onEvent(event) {
      if (event.type === 'step' && !event.skipped) {
        bar?.stop();
        bar = undefined;
        note(`${event.migration} ${event.phase} ${event.index + 1}: ${event.step.description}`);
      } else if (event.type === 'backfill') {
        if (!bar || table !== event.progress.table) {
          table = event.progress.table;
          bar = startProgress(`backfill ${table}`, event.progress.total);
        }
        bar.update(event.progress.done);
      } else if (event.type === 'lock-wait') {
        note(`${event.step}: waiting for a lock (attempt ${event.attempt}); held by ${event.blockers}`);
      } else if (event.type === 'runner-wait') {
        note('another strata migrate runner is working; waiting');
      }
    },
    stop: () => bar?.stop(),
  };
}

function runWith(phase: (db: Kysely<unknown>, list: readonly NamedMigration[], options: RunOptions) => Promise<RunResult>, verb: string) {
  return (flags: RunFlags) =>
    withDb(
      async (db) => {
        const list = await migrationsOf(flags.dir);
        const report = reporter();
        const result = await phase(db, list, {
          lockTimeoutMs: flags.lockTimeout,
          batchSize: flags.batchSize,
          throttleMs: flags.throttle,
          wait: flags.wait,
          onEvent: report.onEvent,
        });
        report.stop();
        for (const m of result.migrations) say(`${m.name}: ${m.phase === 'applied' ? 'applied' : `${m.phase} done`}`);
        if (result.error) throw result.error;
        if (result.migrations.length === 0) say(`nothing to ${verb}`);
      },
      { session: true },
    ).catch(fail);
}

function runOptions(cmd: Command): Command {
  return cmd
    .option('--dir <folder>', "migrations folder (default: the reference service's migrations)")
    .option('--lock-timeout <ms>', 'lock_timeout of every statement', parsePositive, 1000)
    .option('--batch-size <rows>', 'rows per backfill batch', parsePositive, 5000)
    .option('--throttle <ms>', 'pause between backfill batches', (v: string) => Number.parseInt(v, 10), 0)
    .option('--no-wait', 'exit at once when another runner holds the migration lock');
}

async function printPlan(db: Kysely<unknown>, list: readonly NamedMigration[], name: string | undefined): Promise<void> {
  const status = await migrationStatus(db, list);
  const target = name ?? status.find((s) => s.state === 'pending' || s.state === 'starting' || s.state === 'started')?.name;
  const named = list.find((m) => m.name === target);
  if (!named) throw new Error(target ? `no migration named ${target}` : 'no pending migration to plan');
  if (!isDeclarative(named.migration)) {
    say(`${named.name}: code migration, run whole in one transaction at start`);
    return;
  }
  const plan = await planMigration(db, named.name, named.migration);
  say(`${named.name} (version schema ${plan.version})`);
  const show = async (phase: string, steps: readonly Step[]) => {
    say(`\n${phase}:`);
    for (const [i, step] of steps.entries()) {
      say(`  ${i + 1}. ${step.description}`);
      const statements = step.kind === 'ddl' ? step.statements : step.kind === 'concurrent' ? [step.statement] : [];
      for (const s of statements) say(`     ${s.split('\n')[0]}${s.includes('\n') ? ' …' : ''}\n       lock: ${await lockOf(s)}`);
      if (step.kind === 'backfill')
        say(
          `     UPDATE ${step.table} SET ${step.assignments.map((a) => `${a.column} = ${a.expression}`).join(', ')} in batches of keys\n       lock: ROW EXCLUSIVE; row locks of one batch at a time`,
        );
      if (step.kind === 'views') say(`     CREATE SCHEMA ${step.version}; one view per table\n       lock: ACCESS SHARE on the tables`);
    }
  };
  await show('start (expand)', plan.start);
  await show('complete (contract)', plan.complete);
  await show('rollback', plan.rollback);
}

export function migrateCommand(): Command {
  const cmd = new Command('migrate')
    .description('zero-downtime migrations: start (expand), complete (contract), rollback, status, plan, new, lint')
    .addHelpText('after', '\nExamples:\n  $ strata migrate status\n  $ strata migrate start && strata migrate complete');
  cmd
    .command('status')
    .description('every migration with its state (works on an empty database)')
    .option('--dir <folder>', "migrations folder (default: the reference service's migrations)")
    .addHelpText('after', '\nExample:\n  $ strata migrate status --dir migrations')
    .action((flags: { dir?: string }) =>
      withDb(async (db) => {
        for (const s of await migrationStatus(db, await migrationsOf(flags.dir))) {
          const steps = s.steps
            ? ` (${s.steps.phase}: ${s.steps.done}/${s.steps.total} steps${s.backfilledRows ? `, ${s.backfilledRows} rows backfilled` : ''})`
            : '';
          say(`${s.name}  ${s.state}${s.adopted ? ' (adopted from Kysely)' : ''}${s.checksumMatches ? '' : '  EDITED SINCE APPLIED'}${steps}`);
        }
      }).catch(fail),
    );
  cmd
    .command('plan [name]')
    .description('the SQL of each step of a migration (default: the next one) with the lock each statement takes')
    .option('--dir <folder>', "migrations folder (default: the reference service's migrations)")
    .addHelpText('after', '\nExample:\n  $ strata migrate plan 0006_products_stock_bigint')
    .action((name: string | undefined, flags: { dir?: string }) => withDb(async (db) => printPlan(db, await migrationsOf(flags.dir), name)).catch(fail));
  runOptions(cmd.command('start'))
    .description('expand: start the next migration (or resume one a crash interrupted); both versions then work')
    .addHelpText('after', '\nExample:\n  $ strata migrate start --lock-timeout 1000 --batch-size 5000')
    .action(runWith(startMigration, 'start'));
  runOptions(cmd.command('complete'))
    .description('contract: finish the migration in progress (old columns and the previous version go)')
    .addHelpText('after', '\nExample:\n  $ strata migrate complete')
    .action(runWith(completeMigration, 'complete'));
  runOptions(cmd.command('rollback'))
    .description('undo the start of the migration in progress; the previous version keeps every row')
    .addHelpText('after', '\nExample:\n  $ strata migrate rollback')
    .action(runWith(rollbackMigration, 'roll back'));
  cmd
    .command('new <name>')
    .description('write migrations/NNNN_<name>.ts from a template')
    .option('--dir <folder>', 'migrations folder', 'migrations')
    .addHelpText('after', '\nExample:\n  $ strata migrate new add_weight')
    .action((name: string, flags: { dir: string }) =>
      (async () => {
        const file = await nextMigrationFile(flags.dir, name);
        await writeFile(file, MIGRATION_TEMPLATE, { flag: 'wx' });
        say(file);
      })().catch(fail),
    );
  cmd
    .command('lint <file>')
    .description('flag SQL that locks or rewrites a live table (a .sql file, or a migration file: its sql operations)')
    .addHelpText('after', '\nExample:\n  $ strata migrate lint change.sql')
    .action((file: string) =>
      (async () => {
        let text: string;
        if (/\.(ts|js|mjs)$/.test(file)) {
          const [named] = await loadMigrations(file.replace(/[^/]+$/, '') || '.').then((list) =>
            list.filter((m) => file.endsWith(`${m.name}${file.slice(file.lastIndexOf('.'))}`)),
          );
          if (!named) throw new Error(`${file} is not a migration file (NNNN_name.ts)`);
          text = isDeclarative(named.migration)
            ? named.migration.operations
                .flatMap((op) => (op.op === 'sql' ? [op.up, op.complete ?? '', op.down ?? ''] : []))
                .filter(Boolean)
                .join(';\n')
            : '';
        } else {
          text = await readFile(file, 'utf8');
        }
        const findings = await lintSql(text);
        for (const f of findings) process.stderr.write(`${file}: ${f.rule}: ${f.statement.split('\n')[0]}\n  ${f.problem}\n  instead: ${f.safe}\n`);
        if (findings.length > 0) {
          process.stderr.write(
            `strata: ${findings.length} unsafe statement${findings.length === 1 ? '' : 's'} (${[...new Set(findings.map((f) => f.rule))].join(', ')})\n`,
          );
          process.exit(1);
        }
        say(`${file}: no unsafe statement`);
      })().catch(fail),
    );
  return cmd;
}
