import { describe } from 'vitest';
import type { Database, Engine } from '../../src/db/index.js';
import { describeMariaDb } from './mariadb.js';
import { usePostgres } from './postgres.js';

/** One engine's database for a suite that runs over several engines. */
export interface EngineHandle {
  readonly engine: Engine;
  readonly url: string;
  readonly database: Database;
}

/**
 * Runs the same suite once per engine a capability supports, each on its own database (MariaDB's
 * run is skipped, visibly, when MARIADB_URL is unset).
 *
 * @example
 * describeEachEngine('introspection', ['postgres', 'mariadb'], (h) => { it('reads keys', async () => { ... h.database ... }); });
 */
export function describeEachEngine(name: string, engines: readonly Engine[], body: (handle: EngineHandle) => void): void {
  for (const engine of engines) {
    if (engine === 'postgres') {
      describe(`${name} [postgres]`, () => {
        const pg = usePostgres();
        body({
          engine,
          url: pg.url,
          get database() {
            return pg.database;
          },
        });
      });
    } else {
      describeMariaDb(`${name} [mariadb]`, (maria) =>
        body({
          engine,
          url: maria.url,
          get database() {
            return maria.database;
          },
        }),
      );
    }
  }
}
