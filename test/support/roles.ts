import { type Kysely, sql } from 'kysely';
import { quoteIdent } from '../../src/db/index.js';

export interface LoginRole {
  readonly name: string;
  /** `base` (a test database's URL) logging in as this role. */
  urlFrom(base: string): string;
}

/**
 * Creates a LOGIN role that is neither superuser nor BYPASSRLS nor owner of anything (an
 * application's service role), runs `grants` (statements naming it as `%role%`) as the caller.
 */
export async function createLoginRole(db: Kysely<unknown>, prefix: string, grants: readonly string[]): Promise<LoginRole> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const password = `pw_${name}`;
  await sql`CREATE ROLE ${sql.id(name)} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD ${sql.lit(password)}`.execute(db);
  for (const grant of grants) await sql.raw(grant.replaceAll('%role%', quoteIdent(name))).execute(db);
  return {
    name,
    urlFrom(base) {
      const url = new URL(base);
      url.username = name;
      url.password = password;
      return url.toString();
    },
  };
}

/** What a role needs to run strata's read-only ledger work once an owner has set the schema up. */
export const LEDGER_READER_GRANTS: readonly string[] = [
  'GRANT USAGE ON SCHEMA strata TO %role%',
  'GRANT SELECT ON strata.internal_migrations TO %role%',
  'GRANT SELECT ON strata.ledger_accounts, strata.ledger_transfers, strata.ledger_entries TO %role%',
];
