import { sql } from 'kysely';
import { defineInternalSteps } from '../db/index.js';
import { CURRENT_PRINCIPAL_SQL, ownershipStatements } from '../principals/index.js';
import { BATCH_FUNCTION, CREDITED_ACCOUNTS_SQL, TRANSFER_FUNCTION } from './functions.js';
import { ACCOUNTS, ENTRIES, TRANSFERS_TABLE } from './names.js';

/** Percent of each page of the accounts table filled on insert: the rest takes the new row versions of balance updates (HOT updates). */
const ACCOUNTS_FILLFACTOR = 70;

const tablesSql = `
CREATE TABLE IF NOT EXISTS ${ACCOUNTS} (
  owner_id uuid NOT NULL,
  id uuid NOT NULL,
  currency text NOT NULL CONSTRAINT ledger_accounts_currency CHECK (currency ~ '^[A-Z]{3}$'),
  overdraft_limit bigint NOT NULL DEFAULT 0 CONSTRAINT ledger_accounts_overdraft_limit CHECK (overdraft_limit >= 0),
  opening_balance bigint NOT NULL DEFAULT 0,
  balance bigint NOT NULL,
  version bigint NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, id),
  CONSTRAINT ledger_accounts_within_limit CHECK (balance >= -overdraft_limit),
  CONSTRAINT ledger_accounts_opening_within_limit CHECK (opening_balance >= -overdraft_limit)
);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_accounts_id ON ${ACCOUNTS} (id);
CREATE INDEX IF NOT EXISTS ledger_accounts_owner_created ON ${ACCOUNTS} (owner_id, created_at, id);
CREATE TABLE IF NOT EXISTS ${TRANSFERS_TABLE} (
  owner_id uuid NOT NULL,
  id uuid NOT NULL,
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  credit_owner_id uuid NOT NULL,
  amount bigint NOT NULL CONSTRAINT ledger_transfers_amount CHECK (amount > 0),
  currency text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, id),
  CONSTRAINT ledger_transfers_two_accounts CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX IF NOT EXISTS ledger_transfers_id ON ${TRANSFERS_TABLE} (id);
CREATE TABLE IF NOT EXISTS ${ENTRIES} (
  owner_id uuid NOT NULL,
  account_id uuid NOT NULL,
  seq bigint NOT NULL CONSTRAINT ledger_entries_seq CHECK (seq > 0),
  transfer_owner_id uuid NOT NULL,
  transfer_id uuid NOT NULL,
  amount bigint NOT NULL CONSTRAINT ledger_entries_amount CHECK (amount <> 0),
  balance_after bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, account_id, seq),
  FOREIGN KEY (owner_id, account_id) REFERENCES ${ACCOUNTS} (owner_id, id)
);
CREATE INDEX IF NOT EXISTS ledger_entries_transfer ON ${ENTRIES} (transfer_owner_id, transfer_id);
`;

/**
 * Row-level security: each table is owned by its \`owner_id\` (strata/principals: a principal reads and
 * writes only its own rows, \`admin\` reads all). A transfer must also credit, and first read, an
 * account of someone else: the ledger names that account in a transaction-local setting for the
 * statements that need it, and its own policies let exactly that account through. The recipient of
 * a transfer may read it.
 */
function ownershipSql(): string[] {
  const credited = CREDITED_ACCOUNTS_SQL;
  return [
    ...ownershipStatements({ table: ACCOUNTS, column: 'owner_id', adminReads: true }),
    ...ownershipStatements({ table: TRANSFERS_TABLE, column: 'owner_id', adminReads: true }),
    ...ownershipStatements({ table: ENTRIES, column: 'owner_id', adminReads: true }),
    `CREATE POLICY strata_ledger_credited_read ON ${ACCOUNTS} FOR SELECT USING (id = ANY (${credited}))`,
    `CREATE POLICY strata_ledger_credited_update ON ${ACCOUNTS} FOR UPDATE USING (id = ANY (${credited})) WITH CHECK (id = ANY (${credited}))`,
    `CREATE POLICY strata_ledger_credited_entry ON ${ENTRIES} FOR INSERT WITH CHECK (account_id = ANY (${credited}))`,
    `CREATE POLICY strata_ledger_recipient_read ON ${TRANSFERS_TABLE} FOR SELECT USING (credit_owner_id = ${CURRENT_PRINCIPAL_SQL})`,
  ];
}

defineInternalSteps([
  {
    id: 'ledger/1-accounts-transfers-entries',
    async up(db) {
      await sql.raw(tablesSql).execute(db);
      await sql.raw(TRANSFER_FUNCTION).execute(db);
      await sql.raw(BATCH_FUNCTION).execute(db);
      for (const statement of ownershipSql()) await sql.raw(statement).execute(db);
    },
  },
  {
    // transferBatch: set-based statements under the account locks; accounts keep free space in
    // each page, so a balance update is a HOT update (no index entry written) (docs/ledger.md).
    id: 'ledger/2-set-based-batch',
    async up(db) {
      await sql.raw(BATCH_FUNCTION).execute(db);
      await sql.raw(`ALTER TABLE ${ACCOUNTS} SET (fillfactor = ${ACCOUNTS_FILLFACTOR})`).execute(db);
    },
  },
]);

export { ACCOUNTS, ENTRIES, TRANSFERS_TABLE };
