import { type Kysely, sql } from 'kysely';
import { engineOf, introspect, quoteIdent, StrataError, withTransaction } from '../db/index.js';
import { historyOwnershipStatements, OWNERSHIP_POLICIES, ownershipStatements } from './render.js';

export interface EnableOwnershipOptions {
  /** The table whose rows belong to principals (a table, not a view). */
  readonly table: string;
  /** Its owner column, `uuid` (the principal's id). Default `owner_id`. */
  readonly column?: string;
  readonly schema?: string;
  /** Whether a principal holding `admin` reads every row. Default true; it never changes another's rows. */
  readonly adminReads?: boolean;
}

export interface EnableOwnershipResult {
  readonly table: string;
  readonly column: string;
  readonly policies: readonly string[];
  /** The history table (`<t>_history`) whose versions now follow the same owner, when the table has history. */
  readonly history?: string;
}

/** The history table `enableHistory` made for a table: `<t>_history`, or for a soft-deleted `<t>_all`, `<t>_history`. */
async function historyOf(catalog: ReturnType<typeof introspect>, schema: string | undefined, table: string): Promise<string | undefined> {
  const names = [`${table}_history`, ...(table.endsWith('_all') ? [`${table.slice(0, -4)}_history`] : [])];
  for (const name of names) if ((await catalog.relationKind(schema, name)) === 'table') return name;
  return undefined;
}

/**
 * Makes a table owned: under `setPrincipalContext` (or `withPrincipal`) a principal sees, changes
 * and deletes only rows whose owner column holds its id, inserts only such rows (the column
 * defaults to its id), and with `admin` reads every row. Enforced by PostgreSQL's row-level
 * security, forced so the table's owner is held to it too; so raw queries, psql under the same
 * context, or a forgotten `WHERE` cannot reach another principal's rows. Outside any principal
 * context no row is visible, except to a role that bypasses row-level security (a superuser:
 * operators, migrations). A history table (`<t>_history`, from `enableHistory`) gets policies too:
 * its versions are read as their row would be (owner, or admin), written by any writer, deleted
 * only by an admin context. Safe to rerun (the policies are replaced): rerun it after enabling
 * history on an owned table.
 *
 * @example
 * await enableOwnership(db, { table: 'accounts', column: 'owner_id' });
 * const mine = await withPrincipal(db, principal, (trx) => trx.selectFrom('accounts').selectAll().execute());
 */
export async function enableOwnership<DB>(db: Kysely<DB>, options: EnableOwnershipOptions): Promise<EnableOwnershipResult> {
  if (engineOf(db) !== 'postgres') throw new StrataError('OWNERSHIP_SETUP', 'ownership uses PostgreSQL row-level security; MariaDB has none');
  const column = options.column ?? 'owner_id';
  const catalog = introspect(db);
  const kind = await catalog.relationKind(options.schema, options.table);
  if (kind !== 'table' && kind !== 'partitioned-table') {
    throw new StrataError(
      'OWNERSHIP_SETUP',
      kind === undefined
        ? `table ${options.table} does not exist`
        : `${options.table} is a ${kind}: enable ownership on the table that holds the rows (for a soft-deleted table, ${options.table}_all)`,
    );
  }
  const owner = (await catalog.columns(options.schema, options.table)).find((c) => c.name === column);
  if (!owner) throw new StrataError('OWNERSHIP_SETUP', `${options.table} has no column ${column}; name the owner column with \`column\``);
  if (owner.type !== 'uuid')
    throw new StrataError('OWNERSHIP_SETUP', `${options.table}.${column} is ${owner.type}; an owner column holds a principal id (uuid)`);
  const qualify = (name: string) => (options.schema ? `${quoteIdent(options.schema)}.${quoteIdent(name)}` : quoteIdent(name));
  const table = qualify(options.table);
  const adminReads = options.adminReads ?? true;
  const history = await historyOf(catalog, options.schema, options.table);
  const statements = [
    ...ownershipStatements({ table, column, adminReads }),
    ...(history ? historyOwnershipStatements({ table, history: qualify(history), column, adminReads }) : []),
  ];
  await withTransaction(db, async (trx) => {
    for (const statement of statements) await sql.raw(statement).execute(trx);
  });
  return { table: options.table, column, policies: OWNERSHIP_POLICIES, ...(history ? { history } : {}) };
}
