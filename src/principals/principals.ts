import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { ensureStrataSchema, StrataError, withTransaction } from '../db/index.js';
import { PRINCIPALS_TABLE, TOKENS_TABLE } from './tables.js';

/** A principal as stored: who may hold tokens. Revoked principals stay, so their name is never reused. */
export interface PrincipalInfo {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

interface PrincipalRow {
  id: string;
  name: string;
  created_at: Date;
  revoked_at: Date | null;
}

const NAME = /^[a-z0-9][a-z0-9._@-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const P = sql.raw(PRINCIPALS_TABLE);

export function principalFromRow(row: PrincipalRow): PrincipalInfo {
  return { id: row.id, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** Throws PRINCIPAL_NAME_INVALID unless `name` is a valid principal name. */
export function checkPrincipalName(name: string): string {
  if (!NAME.test(name)) {
    throw new StrataError(
      'PRINCIPAL_NAME_INVALID',
      `"${name}" is not a valid principal name: use 1-63 lower-case letters, digits, ".", "_", "@" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Creates a principal. Names are unique for ever (PRINCIPAL_EXISTS, also for a revoked one).
 *
 * @example
 * const shop = await createPrincipal(db, 'checkout-service');
 */
export async function createPrincipal<DB>(db: Kysely<DB>, name: string): Promise<PrincipalInfo> {
  checkPrincipalName(name);
  await ensureStrataSchema(db);
  const { rows } = await sql<PrincipalRow>`
    INSERT INTO ${P} (id, name) VALUES (${uuidv7()}, ${name}) ON CONFLICT (name) DO NOTHING
    RETURNING id, name, created_at, revoked_at`.execute(db);
  const row = rows[0];
  if (!row) throw new StrataError('PRINCIPAL_EXISTS', `a principal named "${name}" already exists (names are never reused)`);
  return principalFromRow(row);
}

/** A principal by name or id, or undefined. */
export async function findPrincipal<DB>(db: Kysely<DB>, nameOrId: string): Promise<PrincipalInfo | undefined> {
  await ensureStrataSchema(db);
  const where = UUID.test(nameOrId) ? sql`id = ${nameOrId}::uuid` : sql`name = ${nameOrId}`;
  const { rows } = await sql<PrincipalRow>`SELECT id, name, created_at, revoked_at FROM ${P} WHERE ${where}`.execute(db);
  return rows[0] ? principalFromRow(rows[0]) : undefined;
}

/** Like `findPrincipal`, but PRINCIPAL_NOT_FOUND when there is none. */
export async function getPrincipal<DB>(db: Kysely<DB>, nameOrId: string): Promise<PrincipalInfo> {
  const found = await findPrincipal(db, nameOrId);
  if (!found) throw new StrataError('PRINCIPAL_NOT_FOUND', `no principal named "${nameOrId}"`);
  return found;
}

/** Every principal, oldest first; revoked ones only when asked. */
export async function listPrincipals<DB>(db: Kysely<DB>, options: { readonly includeRevoked?: boolean } = {}): Promise<PrincipalInfo[]> {
  await ensureStrataSchema(db);
  const { rows } = await sql<PrincipalRow>`
    SELECT id, name, created_at, revoked_at FROM ${P}
     WHERE ${options.includeRevoked ? sql`true` : sql`revoked_at IS NULL`} ORDER BY id`.execute(db);
  return rows.map(principalFromRow);
}

/**
 * Revokes a principal and every token it holds, at once for every service process (tokens are
 * checked against the database on each request). Revoking twice changes nothing.
 *
 * @example
 * await revokePrincipal(db, 'checkout-service');
 */
export function revokePrincipal<DB>(db: Kysely<DB>, nameOrId: string): Promise<PrincipalInfo> {
  return withTransaction(db, async (trx) => {
    const found = await getPrincipal(trx, nameOrId);
    const { rows } = await sql<PrincipalRow>`
      UPDATE ${P} SET revoked_at = coalesce(revoked_at, clock_timestamp()) WHERE id = ${found.id}
      RETURNING id, name, created_at, revoked_at`.execute(trx);
    await sql`UPDATE ${sql.raw(TOKENS_TABLE)} SET revoked_at = clock_timestamp() WHERE principal_id = ${found.id} AND revoked_at IS NULL`.execute(trx);
    return principalFromRow(rows[0] as PrincipalRow);
  });
}
