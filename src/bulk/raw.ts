import type pg from 'pg';
import { type Database, StrataError } from '../db/index.js';

/** The pool's raw-client factory, which COPY needs; a typed error for engines without COPY. */
export function rawConnector(database: Database, purpose: string): () => Promise<pg.PoolClient> {
  const connect = database.connectRaw;
  if (!connect) throw new StrataError('CONFIG_INVALID', `${purpose} needs PostgreSQL (COPY); this is ${database.engine}`);
  return connect;
}
