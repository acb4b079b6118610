import { type Kysely, sql } from 'kysely';

/** Who is acting and for which request; recorded by history and soft deletes. */
export interface WriteContext {
  readonly actor?: string;
  readonly requestId?: string;
}

/**
 * Sets the actor and request id for the current transaction only (`set_config(..., true)`), so a
 * pooled connection never carries one request's actor into another's writes. Call inside a transaction.
 *
 * @example
 * await withTransaction(db, async (trx) => {
 *   await setWriteContext(trx, { actor: 'alice', requestId: req.id });
 *   await trx.deleteFrom('products').where('id', '=', id).execute();
 * });
 */
export async function setWriteContext<DB>(trx: Kysely<DB>, context: WriteContext): Promise<void> {
  await sql`SELECT set_config('strata.actor', ${context.actor ?? ''}, true), set_config('strata.request_id', ${context.requestId ?? ''}, true)`.execute(trx);
}
