import { sql } from 'kysely';
import { defineInternalSteps, strataTable } from '../db/index.js';
import { LEDGER_SQLSTATES } from './errors.js';

/** `strata.ledger_accounts`: one row per account, keyed by its owner first (the distribution column on Citus). */
export const ACCOUNTS = strataTable('ledger_accounts');
/** `strata.ledger_transfers`: one row per transfer, keyed by the debit account's owner and the caller's id. */
export const TRANSFERS_TABLE = strataTable('ledger_transfers');
/** `strata.ledger_entries`: two rows per transfer (debit, credit), keyed by account owner, account and sequence. */
export const ENTRIES = strataTable('ledger_entries');

const S = LEDGER_SQLSTATES;

const tablesSql = `
CREATE TABLE IF NOT EXISTS ${ACCOUNTS} (
  owner_id text NOT NULL,
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
  owner_id text NOT NULL,
  id uuid NOT NULL,
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  credit_owner_id text NOT NULL,
  amount bigint NOT NULL CONSTRAINT ledger_transfers_amount CHECK (amount > 0),
  currency text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, id),
  CONSTRAINT ledger_transfers_two_accounts CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX IF NOT EXISTS ledger_transfers_id ON ${TRANSFERS_TABLE} (id);
CREATE TABLE IF NOT EXISTS ${ENTRIES} (
  owner_id text NOT NULL,
  account_id uuid NOT NULL,
  seq bigint NOT NULL CONSTRAINT ledger_entries_seq CHECK (seq > 0),
  transfer_owner_id text NOT NULL,
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
 * The whole transfer in one round trip (strategy \`function\`): the same steps as the client-side
 * strategies, each account updated by its own guarded statement in id order.
 */
const transferFunctionSql = `
CREATE OR REPLACE FUNCTION strata.ledger_transfer(
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_currency text, p_metadata jsonb, p_owner text, p_lock_timeout text)
RETURNS TABLE (owner_id text, credit_owner_id text, currency text, created_at timestamptz, replayed boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  d_owner text; d_currency text; c_owner text; c_currency text;
  d_balance bigint; d_version bigint; c_balance bigint; c_version bigint;
  v_created timestamptz;
  t ${TRANSFERS_TABLE}%ROWTYPE;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 OR p_debit IS NULL OR p_credit IS NULL OR p_id IS NULL OR p_debit = p_credit THEN
    RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_INVALID_REQUEST}', MESSAGE = 'a transfer needs an id, two different accounts and an amount above 0';
  END IF;
  IF p_lock_timeout IS NOT NULL THEN PERFORM set_config('lock_timeout', p_lock_timeout, true); END IF;
  SELECT a.owner_id, a.currency INTO d_owner, d_currency FROM ${ACCOUNTS} a WHERE a.id = p_debit;
  IF NOT FOUND OR (p_owner IS NOT NULL AND d_owner <> p_owner) THEN
    RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_ACCOUNT_NOT_FOUND}', MESSAGE = format('debit account %s not found', p_debit);
  END IF;
  SELECT a.owner_id, a.currency INTO c_owner, c_currency FROM ${ACCOUNTS} a WHERE a.id = p_credit;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_ACCOUNT_NOT_FOUND}', MESSAGE = format('credit account %s not found', p_credit);
  END IF;
  IF c_currency <> d_currency OR (p_currency IS NOT NULL AND p_currency <> d_currency) THEN
    RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_CURRENCY_MISMATCH}',
      MESSAGE = format('currency mismatch: debit account in %s, credit account in %s%s', d_currency, c_currency, coalesce(', transfer in ' || p_currency, ''));
  END IF;
  INSERT INTO ${TRANSFERS_TABLE} AS x (owner_id, id, debit_account_id, credit_account_id, credit_owner_id, amount, currency, metadata)
    VALUES (d_owner, p_id, p_debit, p_credit, c_owner, p_amount, d_currency, coalesce(p_metadata, '{}'::jsonb))
    ON CONFLICT (owner_id, id) DO NOTHING
    RETURNING x.created_at INTO v_created;
  IF v_created IS NULL THEN
    SELECT * INTO t FROM ${TRANSFERS_TABLE} x WHERE x.owner_id = d_owner AND x.id = p_id;
    IF t.debit_account_id <> p_debit OR t.credit_account_id <> p_credit OR t.amount <> p_amount OR t.metadata <> coalesce(p_metadata, '{}'::jsonb) THEN
      RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_TRANSFER_CONFLICT}', MESSAGE = format('transfer %s exists with other parameters', p_id);
    END IF;
    RETURN QUERY SELECT t.owner_id, t.credit_owner_id, t.currency, t.created_at, true;
    RETURN;
  END IF;
  IF p_debit < p_credit THEN
    UPDATE ${ACCOUNTS} a SET balance = a.balance - p_amount, version = a.version + 1
      WHERE a.owner_id = d_owner AND a.id = p_debit AND a.balance + a.overdraft_limit >= p_amount
      RETURNING a.balance, a.version INTO d_balance, d_version;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_INSUFFICIENT_FUNDS}', MESSAGE = format('account %s has insufficient funds for this transfer', p_debit);
    END IF;
    UPDATE ${ACCOUNTS} a SET balance = a.balance + p_amount, version = a.version + 1
      WHERE a.owner_id = c_owner AND a.id = p_credit
      RETURNING a.balance, a.version INTO c_balance, c_version;
  ELSE
    UPDATE ${ACCOUNTS} a SET balance = a.balance + p_amount, version = a.version + 1
      WHERE a.owner_id = c_owner AND a.id = p_credit
      RETURNING a.balance, a.version INTO c_balance, c_version;
    UPDATE ${ACCOUNTS} a SET balance = a.balance - p_amount, version = a.version + 1
      WHERE a.owner_id = d_owner AND a.id = p_debit AND a.balance + a.overdraft_limit >= p_amount
      RETURNING a.balance, a.version INTO d_balance, d_version;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = '${S.LEDGER_INSUFFICIENT_FUNDS}', MESSAGE = format('account %s has insufficient funds for this transfer', p_debit);
    END IF;
  END IF;
  INSERT INTO ${ENTRIES} (owner_id, account_id, seq, transfer_owner_id, transfer_id, amount, balance_after, created_at)
    VALUES (d_owner, p_debit, d_version, d_owner, p_id, -p_amount, d_balance, v_created),
           (c_owner, p_credit, c_version, d_owner, p_id, p_amount, c_balance, v_created);
  RETURN QUERY SELECT d_owner, c_owner, d_currency, v_created, false;
END
$fn$;
`;

defineInternalSteps([
  {
    id: 'ledger/1-accounts-transfers-entries',
    async up(db) {
      await sql.raw(tablesSql).execute(db);
      await sql.raw(transferFunctionSql).execute(db);
    },
  },
]);
