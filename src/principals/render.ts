import { quoteIdent } from '../db/index.js';

/** The id of the principal the transaction acts for (`setPrincipalContext`), as SQL; NULL outside one. */
export const CURRENT_PRINCIPAL_SQL = `nullif(current_setting('strata.principal', true), '')::uuid`;

/** True when the transaction's principal holds the `admin` scope, as SQL. */
export const PRINCIPAL_IS_ADMIN_SQL = `coalesce(current_setting('strata.principal_admin', true), '') = 'on'`;

/** The policies `enableOwnership` creates, by name. */
export const OWNERSHIP_POLICIES = ['strata_owner_read', 'strata_owner_insert', 'strata_owner_update', 'strata_owner_delete'] as const;

export interface OwnershipSql {
  /** A quoted, qualified table name. */
  readonly table: string;
  readonly column: string;
  /** Whether a principal with `admin` reads every row (it never changes another's). */
  readonly adminReads: boolean;
}

/** The policies `enableOwnership` puts on the table's history (`<t>_history`), when it has one. */
export const HISTORY_POLICIES = ['strata_owner_history_read', 'strata_owner_history_insert', 'strata_owner_history_delete'] as const;

export interface HistoryOwnershipSql extends OwnershipSql {
  /** The quoted, qualified history table. */
  readonly history: string;
}

/**
 * The statements that make an owned table's history follow its owner: a version is readable when
 * its row image (`data`) names the principal as owner (every version with `admin` when
 * `adminReads`), as the row itself would be. Any writer may add versions (the triggers record what
 * it changed, including a row a SECURITY DEFINER function credits for it); only an `admin`
 * context deletes them (prune, erase), besides roles that bypass row-level security. The owner is
 * read through the table's row type, so the column is named by the quoting helper only.
 */
export function historyOwnershipStatements({ table, history, column, adminReads }: HistoryOwnershipSql): string[] {
  const owner = `(jsonb_populate_record(NULL::${table}, data)).${quoteIdent(column)}`;
  const own = `${owner} = ${CURRENT_PRINCIPAL_SQL}`;
  const [read, insert, remove] = HISTORY_POLICIES.map((p) => quoteIdent(p));
  return [
    `ALTER TABLE ${history} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${history} FORCE ROW LEVEL SECURITY`,
    ...HISTORY_POLICIES.map((p) => `DROP POLICY IF EXISTS ${quoteIdent(p)} ON ${history}`),
    `CREATE POLICY ${read} ON ${history} FOR SELECT USING (${own}${adminReads ? ` OR ${PRINCIPAL_IS_ADMIN_SQL}` : ''})`,
    `CREATE POLICY ${insert} ON ${history} FOR INSERT WITH CHECK (true)`,
    `CREATE POLICY ${remove} ON ${history} FOR DELETE USING (${PRINCIPAL_IS_ADMIN_SQL})`,
  ];
}

/**
 * The statements that make `table` owned by its `column`: row-level security enabled and forced
 * (so the table's owner is held to it too), the column defaulting to the current principal, and
 * one policy per command. Pure: strings in, strings out.
 */
export function ownershipStatements({ table, column, adminReads }: OwnershipSql): string[] {
  const own = `${quoteIdent(column)} = ${CURRENT_PRINCIPAL_SQL}`;
  const [read, insert, update, remove] = OWNERSHIP_POLICIES.map((p) => quoteIdent(p));
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${CURRENT_PRINCIPAL_SQL}`,
    ...OWNERSHIP_POLICIES.map((p) => `DROP POLICY IF EXISTS ${quoteIdent(p)} ON ${table}`),
    `CREATE POLICY ${read} ON ${table} FOR SELECT USING (${own}${adminReads ? ` OR ${PRINCIPAL_IS_ADMIN_SQL}` : ''})`,
    `CREATE POLICY ${insert} ON ${table} FOR INSERT WITH CHECK (${own})`,
    `CREATE POLICY ${update} ON ${table} FOR UPDATE USING (${own}) WITH CHECK (${own})`,
    `CREATE POLICY ${remove} ON ${table} FOR DELETE USING (${own})`,
  ];
}
