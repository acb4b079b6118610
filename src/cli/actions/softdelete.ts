import { type ChildRelation, countPurgeCandidates, enableSoftDelete, purgeDeleted, restore } from '../../softdelete/index.js';
import { withDb } from '../database.js';
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

/** `strata softdelete enable`. */
export function enable(table: string, opts: Record<string, string[] | undefined>): Promise<void> {
  return withDb(async (db) => {
    const result = await enableSoftDelete(db, { table, children: children(opts) });
    say(
      result.alreadyEnabled
        ? `${table}: soft deletes already on; views refreshed`
        : `${table}: soft deletes on (all rows in ${result.base}, deleted ones in ${result.deletedView}; live-only indexes: ${[...result.replacedConstraints, ...result.rewrittenIndexes].join(', ') || 'none'})`,
    );
  });
}

/** `strata softdelete restore`. */
export function restoreRow(table: string, id: string): Promise<void> {
  return withDb(async (db) => {
    await restore(db, table, id);
    say(`${table} ${id}: restored`);
  });
}

/** `strata softdelete purge`. */
export function purge(table: string, opts: { olderThan: number; batchSize: number }): Promise<void> {
  return withDb(async (db) => {
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
  });
}
