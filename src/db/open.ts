import type { PoolOptions } from './config.js';
import type { Database } from './database.js';
import { StrataError } from './errors.js';
import { openMariaDb } from './mariadb.js';
import { openPostgres } from './postgres.js';

/**
 * Opens a database by URL scheme: `postgres://` / `postgresql://` or `mysql://` / `mariadb://`.
 *
 * @example
 * const database = await openDatabase(process.env.DATABASE_URL ?? embeddedUrl);
 */
export function openDatabase<DB>(url: string, options: Partial<PoolOptions> = {}): Promise<Database<DB>> {
  const scheme = url.slice(0, url.indexOf(':'));
  if (scheme === 'postgres' || scheme === 'postgresql') return openPostgres<DB>(url, options);
  if (scheme === 'mysql' || scheme === 'mariadb') return openMariaDb<DB>(url, options);
  return Promise.reject(new StrataError('CONFIG_INVALID', `unsupported database URL scheme "${scheme}:" (use postgres:// or mysql://)`));
}
