import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { PlanNode } from './plan.js';

export const EXPLAIN_MARK = '/* strata:explain */';

const READ_ONLY = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*(select|with|values|table)\b/i;

/**
 * EXPLAIN (FORMAT JSON) of a statement with its parameters; with `analyze` it also runs it
 * (ANALYZE, BUFFERS) inside its own transaction that is always rolled back, so writes leave no
 * trace (sequence values excepted). Never joins an ambient transaction.
 *
 * @example
 * const plan = await explain(db, 'SELECT * FROM products WHERE sku = $1', ['A-1'], true);
 */
export async function explain<DB>(db: Kysely<DB>, statement: string, parameters: readonly unknown[], analyze: boolean): Promise<PlanNode> {
  const options = analyze ? 'ANALYZE, BUFFERS, FORMAT JSON' : 'FORMAT JSON';
  const query = CompiledQuery.raw(`${EXPLAIN_MARK} EXPLAIN (${options}) ${statement}`, [...parameters]);
  const rollback = new Error('strata:explain-rollback');
  let plan: PlanNode | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      if (analyze && READ_ONLY.test(statement)) await sql`SET TRANSACTION READ ONLY`.execute(trx);
      const { rows } = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(query);
      plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      throw rollback;
    })
    .catch((err: unknown) => {
      if (err !== rollback) throw err;
    });
  if (!plan) throw new Error('EXPLAIN returned no plan');
  return plan;
}
