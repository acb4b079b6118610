import { LEDGER_SQLSTATES as S } from './errors.js';
import { ACCOUNTS, ENTRIES, TRANSFERS_TABLE } from './names.js';

/**
 * The transaction-local setting that names the accounts a running transfer may credit although
 * they belong to someone else (a comma-separated list of ids); the ledger's own policies read it.
 */
export const CREDIT_SETTING = 'strata.ledger_credit';

/** The accounts named by `CREDIT_SETTING`, as SQL: a scalar subquery, so a statement evaluates it once (an InitPlan), not per row. */
export const CREDITED_ACCOUNTS_SQL = `(SELECT string_to_array(nullif(current_setting('${CREDIT_SETTING}', true), ''), ','))::uuid[]`;

const PRINCIPAL = `nullif(current_setting('strata.principal', true), '')::uuid`;

function raise(code: string, message: string): string {
  return `RAISE EXCEPTION USING ERRCODE = '${code}', MESSAGE = ${message}`;
}

/**
 * `strata.ledger_transfer`: the whole transfer in one round trip (strategy `function`), with the
 * steps of the client-side strategies: the transfer row first (its key makes a repeat a replay),
 * then each account updated by its own guarded statement, in id order, then the two entries.
 */
export const TRANSFER_FUNCTION = `
CREATE OR REPLACE FUNCTION strata.ledger_transfer(
  p_id uuid, p_debit uuid, p_credit uuid, p_amount bigint, p_currency text, p_metadata jsonb, p_owner uuid, p_lock_timeout text)
RETURNS TABLE (owner_id uuid, credit_owner_id uuid, currency text, created_at timestamptz, replayed boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_principal uuid := ${PRINCIPAL};
  d_owner uuid; d_currency text; c_owner uuid; c_currency text;
  d_balance bigint; d_version bigint; c_balance bigint; c_version bigint;
  v_created timestamptz;
  t ${TRANSFERS_TABLE}%ROWTYPE;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 OR p_debit IS NULL OR p_credit IS NULL OR p_id IS NULL OR p_debit = p_credit THEN
    ${raise(S.LEDGER_INVALID_REQUEST, `'a transfer needs an id, two different accounts and an amount above 0'`)};
  END IF;
  IF p_lock_timeout IS NOT NULL THEN PERFORM set_config('lock_timeout', p_lock_timeout, true); END IF;
  PERFORM set_config('${CREDIT_SETTING}', p_credit::text, true);
  SELECT a.owner_id, a.currency INTO d_owner, d_currency FROM ${ACCOUNTS} a WHERE a.id = p_debit;
  IF NOT FOUND OR d_owner <> coalesce(p_owner, d_owner) OR d_owner <> coalesce(v_principal, d_owner) THEN
    ${raise(S.LEDGER_ACCOUNT_NOT_FOUND, `format('debit account %s not found', p_debit)`)};
  END IF;
  SELECT a.owner_id, a.currency INTO c_owner, c_currency FROM ${ACCOUNTS} a WHERE a.id = p_credit;
  IF NOT FOUND THEN
    ${raise(S.LEDGER_ACCOUNT_NOT_FOUND, `format('credit account %s not found', p_credit)`)};
  END IF;
  IF c_currency <> d_currency OR p_currency <> d_currency THEN
    ${raise(S.LEDGER_CURRENCY_MISMATCH, `format('currency mismatch: debit account in %s, credit account in %s%s', d_currency, c_currency, coalesce(', transfer in ' || p_currency, ''))`)};
  END IF;
  INSERT INTO ${TRANSFERS_TABLE} AS x (owner_id, id, debit_account_id, credit_account_id, credit_owner_id, amount, currency, metadata)
    VALUES (d_owner, p_id, p_debit, p_credit, c_owner, p_amount, d_currency, coalesce(p_metadata, '{}'::jsonb))
    ON CONFLICT (owner_id, id) DO NOTHING
    RETURNING x.created_at INTO v_created;
  IF v_created IS NULL THEN
    PERFORM set_config('${CREDIT_SETTING}', '', true);
    SELECT * INTO t FROM ${TRANSFERS_TABLE} x WHERE x.owner_id = d_owner AND x.id = p_id;
    IF t.debit_account_id <> p_debit OR t.credit_account_id <> p_credit OR t.amount <> p_amount OR t.metadata <> coalesce(p_metadata, '{}'::jsonb) THEN
      ${raise(S.LEDGER_TRANSFER_CONFLICT, `format('transfer %s exists with other parameters', p_id)`)};
    END IF;
    RETURN QUERY SELECT t.owner_id, t.credit_owner_id, t.currency, t.created_at, true;
    RETURN;
  END IF;
  IF p_debit < p_credit THEN
    UPDATE ${ACCOUNTS} a SET balance = a.balance - p_amount, version = a.version + 1
      WHERE a.owner_id = d_owner AND a.id = p_debit AND a.balance + a.overdraft_limit >= p_amount
      RETURNING a.balance, a.version INTO d_balance, d_version;
    IF NOT FOUND THEN
      ${raise(S.LEDGER_INSUFFICIENT_FUNDS, `format('account %s has insufficient funds for this transfer', p_debit)`)};
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
      ${raise(S.LEDGER_INSUFFICIENT_FUNDS, `format('account %s has insufficient funds for this transfer', p_debit)`)};
    END IF;
  END IF;
  INSERT INTO ${ENTRIES} (owner_id, account_id, seq, transfer_owner_id, transfer_id, amount, balance_after, created_at)
    VALUES (d_owner, p_debit, d_version, d_owner, p_id, -p_amount, d_balance, v_created),
           (c_owner, p_credit, c_version, d_owner, p_id, p_amount, c_balance, v_created);
  PERFORM set_config('${CREDIT_SETTING}', '', true);
  RETURN QUERY SELECT d_owner, c_owner, d_currency, v_created, false;
END
$fn$;
`;

/**
 * \`strata.ledger_transfer_batch\`: many transfers in one transaction, all or nothing. The caller
 * passes the accounts and each transfer's debit and credit as positions in that list. Everything
 * that needs no account lock runs first (the accounts' owners and currencies, every rule, the
 * transfer rows, whose keys make repeats replays); then a handful of set-based statements, so the
 * account locks are held for as short a time as possible. Before them, window functions compute
 * each entry's running sum and position on its account, and each account's net change; under them,
 * one \`SELECT … ORDER BY id FOR UPDATE\` locks every account in id order (the global order single
 * transfers use too: locking happens after the sort), one scan finds the first transfer its account
 * cannot cover at its turn, one \`UPDATE\` writes each changed account once, one \`INSERT\` writes
 * the entries (locked balance plus running sum). The accounts are locked by one statement
 * across owners: single-node PostgreSQL (on Citus the lock is one statement per account, in id
 * order; docs/ledger.md).
 */
export const BATCH_FUNCTION = `
CREATE OR REPLACE FUNCTION strata.ledger_transfer_batch(
  p_ids uuid[], p_accounts uuid[], p_debit_at int[], p_credit_at int[], p_amounts bigint[], p_currencies text[], p_metadata jsonb[],
  p_owner uuid, p_lock_timeout text)
RETURNS TABLE (id uuid, owner_id uuid, credit_owner_id uuid, currency text, created_at timestamptz, replayed boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_principal uuid := ${PRINCIPAL};
  n int := coalesce(cardinality(p_ids), 0);
  m int := coalesce(cardinality(p_accounts), 0);
  own uuid[]; cur text[]; done boolean[]; created timestamptz[];
  l_id uuid[]; l_balance bigint[]; l_version bigint[]; l_limit bigint[];
  m_k int[]; m_at int[]; m_amount bigint[]; m_run bigint[]; m_idx bigint[]; d_net bigint[]; d_cnt bigint[];
  base bigint[]; ver0 bigint[]; lim bigint[];
  bad int; k int; di int; ci int;
  r record;
BEGIN
  IF n = 0 THEN RETURN; END IF;
  IF p_lock_timeout IS NOT NULL THEN PERFORM set_config('lock_timeout', p_lock_timeout, true); END IF;
  PERFORM set_config('${CREDIT_SETTING}', array_to_string(p_accounts, ','), true);
  SELECT array_agg(a.owner_id ORDER BY p.i), array_agg(a.currency ORDER BY p.i) INTO own, cur
    FROM unnest(p_accounts) WITH ORDINALITY p(id, i)
    JOIN (SELECT a.id, a.owner_id, a.currency FROM ${ACCOUNTS} a WHERE a.id = ANY (p_accounts)) a ON a.id = p.id;
  IF coalesce(cardinality(own), 0) < m THEN
    SELECT p.id INTO r FROM unnest(p_accounts) p(id) WHERE NOT EXISTS (SELECT 1 FROM ${ACCOUNTS} a WHERE a.id = p.id) LIMIT 1;
    ${raise(S.LEDGER_ACCOUNT_NOT_FOUND, `format('account %s not found', r.id)`)};
  END IF;
  FOR k IN 1..n LOOP
    di := p_debit_at[k]; ci := p_credit_at[k];
    IF p_amounts[k] IS NULL OR p_amounts[k] <= 0 OR di = ci THEN
      ${raise(S.LEDGER_INVALID_REQUEST, `format('transfer %s needs two different accounts and an amount above 0', p_ids[k])`)};
    END IF;
    IF own[di] <> coalesce(p_owner, own[di]) OR own[di] <> coalesce(v_principal, own[di]) THEN
      ${raise(S.LEDGER_ACCOUNT_NOT_FOUND, `format('debit account %s of transfer %s not found', p_accounts[di], p_ids[k])`)};
    END IF;
    IF cur[di] <> cur[ci] OR p_currencies[k] <> cur[di] THEN
      ${raise(S.LEDGER_CURRENCY_MISMATCH, `format('currency mismatch in transfer %s: debit account in %s, credit account in %s', p_ids[k], cur[di], cur[ci])`)};
    END IF;
  END LOOP;
  -- The transfer rows first, in (owner, id) order: a repeat (or a concurrent twin) is found before any account is locked.
  WITH ins AS (
    INSERT INTO ${TRANSFERS_TABLE} AS x (owner_id, id, debit_account_id, credit_account_id, credit_owner_id, amount, currency, metadata)
      SELECT own[p_debit_at[s.k]], p_ids[s.k], p_accounts[p_debit_at[s.k]], p_accounts[p_credit_at[s.k]], own[p_credit_at[s.k]], p_amounts[s.k],
             cur[p_debit_at[s.k]], coalesce(p_metadata[s.k], '{}'::jsonb)
        FROM generate_subscripts(p_ids, 1) s(k) ORDER BY own[p_debit_at[s.k]], p_ids[s.k]
      ON CONFLICT (owner_id, id) DO NOTHING
      RETURNING x.owner_id, x.id, x.created_at)
  SELECT array_agg(i.id IS NULL ORDER BY s.k), array_agg(i.created_at ORDER BY s.k) INTO done, created
    FROM generate_subscripts(p_ids, 1) s(k) LEFT JOIN ins i ON i.owner_id = own[p_debit_at[s.k]] AND i.id = p_ids[s.k];
  IF true = ANY (done) THEN
    FOR k IN 1..n LOOP
      CONTINUE WHEN NOT done[k];
      SELECT * INTO r FROM ${TRANSFERS_TABLE} x WHERE x.owner_id = own[p_debit_at[k]] AND x.id = p_ids[k];
      IF r.debit_account_id <> p_accounts[p_debit_at[k]] OR r.credit_account_id <> p_accounts[p_credit_at[k]] OR r.amount <> p_amounts[k]
         OR r.metadata <> coalesce(p_metadata[k], '{}'::jsonb) THEN
        ${raise(S.LEDGER_TRANSFER_CONFLICT, `format('transfer %s exists with other parameters', p_ids[k])`)};
      END IF;
      created[k] := r.created_at;
    END LOOP;
  END IF;
  IF false = ANY (done) THEN
    -- Still before any account lock: each transfer's two entries in the order given, each with its account's running sum and
    -- count of entries so far in this batch, and each account's net change (by position in p_accounts).
    SELECT array_agg(e.k ORDER BY e.k, e.side), array_agg(e.at ORDER BY e.k, e.side), array_agg(e.amount ORDER BY e.k, e.side),
           array_agg(e.run ORDER BY e.k, e.side), array_agg(e.idx ORDER BY e.k, e.side)
      INTO m_k, m_at, m_amount, m_run, m_idx
      FROM (
        SELECT mv.k, mv.side, mv.at, mv.amount, sum(mv.amount) OVER w AS run, row_number() OVER w AS idx
          FROM (SELECT s.k, 0 AS side, p_debit_at[s.k] AS at, -p_amounts[s.k] AS amount FROM generate_subscripts(p_ids, 1) s(k) WHERE NOT done[s.k]
                UNION ALL
                SELECT s.k, 1, p_credit_at[s.k], p_amounts[s.k] FROM generate_subscripts(p_ids, 1) s(k) WHERE NOT done[s.k]) mv
          WINDOW w AS (PARTITION BY mv.at ORDER BY mv.k ROWS UNBOUNDED PRECEDING)) e;
    SELECT array_agg(coalesce(t.net, 0) ORDER BY p.i), array_agg(coalesce(t.cnt, 0) ORDER BY p.i) INTO d_net, d_cnt
      FROM generate_series(1, m) p(i)
      LEFT JOIN (SELECT j.at, sum(j.amount)::bigint AS net, count(*) AS cnt FROM unnest(m_at, m_amount) j(at, amount) GROUP BY j.at) t ON t.at = p.i;
    -- Every account locked by one statement, in id order (the rows are locked as they leave the sort), and read at its latest version.
    SELECT array_agg(l.id), array_agg(l.balance), array_agg(l.version), array_agg(l.overdraft_limit) INTO l_id, l_balance, l_version, l_limit
      FROM (SELECT a.id, a.balance, a.version, a.overdraft_limit FROM ${ACCOUNTS} a WHERE a.id = ANY (p_accounts) ORDER BY a.id FOR UPDATE) l;
    SELECT array_agg(l.balance ORDER BY p.i), array_agg(l.version ORDER BY p.i), array_agg(l.lim ORDER BY p.i) INTO base, ver0, lim
      FROM unnest(p_accounts) WITH ORDINALITY p(id, i) JOIN unnest(l_id, l_balance, l_version, l_limit) l(id, balance, version, lim) ON l.id = p.id;
    -- The first transfer whose debit account cannot cover it at its turn.
    SELECT min(m_k[s.j]) INTO bad FROM generate_subscripts(m_k, 1) s(j) WHERE m_amount[s.j] < 0 AND base[m_at[s.j]] + m_run[s.j] < -lim[m_at[s.j]];
    IF bad IS NOT NULL THEN
      ${raise(S.LEDGER_INSUFFICIENT_FUNDS, `format('account %s has insufficient funds for transfer %s', p_accounts[p_debit_at[bad]], p_ids[bad])`)};
    END IF;
    -- Each changed account written once; then the entries, each with the balance after it and its sequence number.
    UPDATE ${ACCOUNTS} a SET balance = d.balance, version = d.version
      FROM (SELECT own[s.i] AS owner, p_accounts[s.i] AS id, base[s.i] + d_net[s.i] AS balance, ver0[s.i] + d_cnt[s.i] AS version
              FROM generate_subscripts(p_accounts, 1) s(i) WHERE d_cnt[s.i] > 0) d
      WHERE a.id = ANY (p_accounts) AND a.owner_id = d.owner AND a.id = d.id;
    INSERT INTO ${ENTRIES} (owner_id, account_id, seq, transfer_owner_id, transfer_id, amount, balance_after)
      SELECT own[m_at[s.j]], p_accounts[m_at[s.j]], ver0[m_at[s.j]] + m_idx[s.j], own[p_debit_at[m_k[s.j]]], p_ids[m_k[s.j]], m_amount[s.j],
             base[m_at[s.j]] + m_run[s.j]
        FROM generate_subscripts(m_k, 1) s(j);
  END IF;
  PERFORM set_config('${CREDIT_SETTING}', '', true);
  RETURN QUERY SELECT p_ids[s.k], own[p_debit_at[s.k]], own[p_credit_at[s.k]], cur[p_debit_at[s.k]], created[s.k], done[s.k]
    FROM generate_subscripts(p_ids, 1) s(k) ORDER BY s.k;
END
$fn$;
`;
