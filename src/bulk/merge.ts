import type pg from 'pg';
import { quoteIdent as q } from '../db/index.js';
import type { LineMap } from './line-map.js';
import { badRow, type Plan, rowCaused } from './plan.js';

/**
 * One INSERT ... ON CONFLICT from the staging table; the last staged row of a repeated key wins.
 * With `range`, only the winning rows staged at positions $1..$2 (to trace a failure to its row).
 */
function mergeStatement(plan: Plan & { upsert: NonNullable<Plan['upsert']> }, range = false): string {
  const cols = plan.columns.map((c) => q(c)).join(', ');
  const key = plan.upsert.key.map((k) => q(k)).join(', ');
  const rest = plan.upsert.update;
  const set = rest.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ');
  const guard = `ROW(${rest.map((c) => `t.${q(c)}`).join(', ')}) IS DISTINCT FROM ROW(${rest.map((c) => `EXCLUDED.${q(c)}`).join(', ')})`;
  const winners = `SELECT DISTINCT ON (${key}) ${cols}${range ? ', strata_line' : ''} FROM strata_bulk_stage ORDER BY ${key}, strata_line DESC`;
  return `INSERT INTO ${plan.base} AS t (${cols})
     ${range ? `SELECT ${cols} FROM (${winners}) w WHERE strata_line BETWEEN $1 AND $2` : winners}
     ON CONFLICT (${key})${plan.upsert.predicate ? ` WHERE ${plan.upsert.predicate}` : ''} ${rest.length ? `DO UPDATE SET ${set} WHERE ${guard}` : 'DO NOTHING'}`;
}

/** Merges the staging table into the table (an upsert's chunk); nothing for an insert. */
export async function mergeStage(client: pg.PoolClient, plan: Plan): Promise<void> {
  if (plan.upsert) await client.query(mergeStatement({ ...plan, upsert: plan.upsert }));
}

/**
 * Merges a streamed chunk; when the merge fails on a row's data (a CHECK, foreign key or unique
 * index the staging table does not enforce), traces the failure to that row by binary search over the staged
 * rows (about 2·log2(rows) probes, each rolled back) and throws the error naming its input line. A
 * failure only rows together cause (two new rows sharing another unique value) names the lines from
 * the first to the last row involved.
 */
export async function mergeChunk(client: pg.PoolClient, plan: Plan, lines: LineMap): Promise<void> {
  if (!plan.upsert) return;
  const upsertPlan = { ...plan, upsert: plan.upsert };
  await client.query('SAVEPOINT strata_merge');
  try {
    await client.query(mergeStatement(upsertPlan));
    await client.query('RELEASE SAVEPOINT strata_merge');
    return;
  } catch (err) {
    if (!rowCaused(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT strata_merge');
    const probe = async (from: number, to: number): Promise<unknown> => {
      await client.query('SAVEPOINT strata_probe');
      try {
        await client.query(mergeStatement(upsertPlan, true), [from, to]);
        return undefined;
      } catch (probeErr) {
        // A probe that failed for another reason (a timeout, a lock) says nothing about the rows.
        if (!rowCaused(probeErr)) throw probeErr;
        return probeErr;
      } finally {
        await client.query('ROLLBACK TO SAVEPOINT strata_probe');
        await client.query('RELEASE SAVEPOINT strata_probe');
      }
    };
    // The shortest failing prefix ends at the last row involved; the shortest failing suffix of that
    // prefix starts at the first. One bad row: both are its line.
    let found: unknown = err;
    let low = 1;
    let high = lines.size;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const failed = await probe(1, mid);
      if (failed) [high, found] = [mid, failed];
      else low = mid + 1;
    }
    const to = high;
    low = 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      const failed = await probe(mid, to);
      if (failed) [low, found] = [mid, failed];
      else high = mid - 1;
    }
    const from = low;
    throw badRow(found, lines, [from - 1, to - 1]);
  }
}
