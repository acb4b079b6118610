import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { bulkInsert, objectSource } from '../../src/bulk/index.js';
import { describeMariaDb } from '../support/mariadb.js';

describeMariaDb('bulk loading on MariaDB', (maria) => {
  it('is refused with a typed error before anything is created or written (COPY is PostgreSQL-only)', async () => {
    const result = await bulkInsert(maria.database, 'anything', objectSource([{ id: 1 }]));
    expect(result.error?.code).toBe('CONFIG_INVALID');
    expect(result.error?.message).toMatch(/needs PostgreSQL \(COPY\); this is mariadb/);
    expect(result.rows).toBe(0);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'strata_bulk%'`.execute(maria.database.db);
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
