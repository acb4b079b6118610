import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, StrataError } from '../db/index.js';
import type { OwnerScope } from './accounts.js';
import { TRANSFER_COLUMNS, type TransferRow, toTransfer } from './rows.js';
import { TRANSFERS_TABLE } from './tables.js';
import type { Transfer } from './types.js';
import { checkUuid } from './validate.js';

/**
 * One transfer by id; with `ownerId`, only when that owner sent it or received it (inside a principal's
 * transaction row-level security applies the same rule). Transfer ids are unique per sender: when two
 * senders used the same id, name the sender with `senderId`.
 *
 * @example
 * const t = await getTransfer(db, transferId, { ownerId: alice.id });
 */
export async function getTransfer<DB>(db: Kysely<DB>, id: string, scope: OwnerScope & { readonly senderId?: string } = {}): Promise<Transfer> {
  const transferId = checkUuid(id, 'id');
  const owner = scope.ownerId === undefined ? null : checkUuid(scope.ownerId, 'ownerId');
  const sender = scope.senderId === undefined ? null : checkUuid(scope.senderId, 'senderId');
  await ensureStrataSchema(db);
  const { rows } = await sql<TransferRow>`/* strata:op=ledger_get_transfer */
    SELECT ${sql.raw(TRANSFER_COLUMNS)} FROM ${sql.raw(TRANSFERS_TABLE)}
     WHERE id = ${transferId}
       AND (${owner}::uuid IS NULL OR owner_id = ${owner}::uuid OR credit_owner_id = ${owner}::uuid)
       AND (${sender}::uuid IS NULL OR owner_id = ${sender}::uuid)
     ORDER BY (owner_id = ${owner}::uuid) DESC NULLS LAST, created_at
     LIMIT 1`.execute(db);
  const row = rows[0];
  if (!row) throw new StrataError('LEDGER_TRANSFER_NOT_FOUND', `transfer ${transferId} not found`);
  return toTransfer(row);
}
