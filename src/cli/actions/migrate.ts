import { readFile, writeFile } from 'node:fs/promises';
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
import type { RunFlags } from '../commands/migrate.js';
import { withDb } from '../database.js';
import { type Progress, startProgress } from '../progress.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

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
          yieldRatio: flags.yield,
          maxRowsPerSecond: flags.maxRate,
          wait: flags.wait,
          onEvent: report.onEvent,
        });
        report.stop();
        for (const m of result.migrations) say(`${m.name}: ${m.phase === 'applied' ? 'applied' : `${m.phase} done`}`);
        if (result.error) throw result.error;
        if (result.migrations.length === 0) say(`nothing to ${verb}`);
      },
      { session: true },
    );
}

/** `strata migrate start`: expand. */
export const start = runWith(startMigration, 'start');
/** `strata migrate complete`: contract. */
export const complete = runWith(completeMigration, 'complete');
/** `strata migrate rollback`. */
export const rollback = runWith(rollbackMigration, 'roll back');

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

/** `strata migrate status`. */
export function status(flags: { dir?: string }): Promise<void> {
  return withDb(async (db) => {
    for (const s of await migrationStatus(db, await migrationsOf(flags.dir))) {
      const steps = s.steps
        ? ` (${s.steps.phase}: ${s.steps.done}/${s.steps.total} steps${s.backfilledRows ? `, ${s.backfilledRows} rows backfilled` : ''})`
        : '';
      say(`${s.name}  ${s.state}${s.adopted ? ' (adopted from Kysely)' : ''}${s.checksumMatches ? '' : '  EDITED SINCE APPLIED'}${steps}`);
    }
  });
}

/** `strata migrate plan`. */
export function plan(name: string | undefined, flags: { dir?: string }): Promise<void> {
  return withDb(async (db) => printPlan(db, await migrationsOf(flags.dir), name));
}

/** `strata migrate new`. */
export async function create(name: string, flags: { dir: string }): Promise<void> {
  const file = await nextMigrationFile(flags.dir, name);
  await writeFile(file, MIGRATION_TEMPLATE, { flag: 'wx' });
  say(file);
}

/** `strata migrate lint`. */
export async function lint(file: string): Promise<void> {
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
}
