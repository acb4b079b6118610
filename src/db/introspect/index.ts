import { type Kysely, MysqlAdapter, PostgresAdapter } from 'kysely';
import type { DialectCapabilities, Engine } from '../capabilities.js';
import { StrataError } from '../errors.js';
import { mariadbIntrospector, mariadbVersion } from './mariadb.js';
import { postgresIntrospector, postgresVersion } from './postgres.js';

export { storageIdentitySql } from './postgres.js';

import type { Introspector } from './types.js';

export type { CheckConstraint, ColumnInfo, ForeignKey, IndexInfo, Introspector, RelationKind } from './types.js';

/**
 * The engine behind a Kysely instance (or one of its transactions), from its dialect's adapter.
 *
 * @example
 * if (engineOf(db) === 'mariadb') throw new Error('PostgreSQL only');
 */
export function engineOf<DB>(db: Kysely<DB>): Engine {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof MysqlAdapter) return 'mariadb';
  throw new StrataError('CONFIG_INVALID', `unsupported Kysely dialect (${adapter.constructor.name}): strata speaks PostgreSQL and MariaDB`);
}

/** One capabilities read per pool: a Kysely instance and its transactions share their adapter. */
const known = new WeakMap<object, Promise<DialectCapabilities>>();

/**
 * Remembers capabilities already read (at connect), so `introspect(db).capabilities()` costs no query.
 */
export function rememberCapabilities<DB>(db: Kysely<DB>, capabilities: DialectCapabilities): void {
  known.set(db.getExecutor().adapter, Promise.resolve(capabilities));
}

/**
 * The catalog of the engine behind `db`: columns, keys, indexes, constraints, version and
 * capability flags, one implementation per engine behind one interface.
 *
 * @example
 * const { merge } = await introspect(db).capabilities();
 * const columns = await introspect(db).columns('public', 'products');
 */
export function introspect<DB>(db: Kysely<DB>): Introspector {
  const engine = engineOf(db);
  const adapter = db.getExecutor().adapter;
  const capabilities = () => {
    let found = known.get(adapter);
    if (!found) {
      found = engine === 'postgres' ? postgresVersion(db) : mariadbVersion(db);
      known.set(adapter, found);
      found.catch(() => known.delete(adapter));
    }
    return found;
  };
  return engine === 'postgres' ? postgresIntrospector(db, capabilities) : mariadbIntrospector(db, capabilities);
}
