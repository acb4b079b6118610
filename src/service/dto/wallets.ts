import { z } from 'zod';
import { currency, defineOutput, MAX_JSON_INTEGER, uuid } from '../../boundary/index.js';
import type { Account, EntryPage, Transfer } from '../../ledger/index.js';

const EXAMPLE_ACCOUNT_ID = '0193a0c4-2b3c-7d4e-8f50-6a7b8c9d0e1f';
const EXAMPLE_OTHER_ACCOUNT_ID = '0193a0c4-2b3c-7d4e-8f50-6a7b8c9d0e20';
const EXAMPLE_OWNER_ID = '0193a0c1-0a1b-7c2d-8e3f-4a5b6c7d8e9f';
const EXAMPLE_TRANSFER_ID = '0193a0c5-3c4d-7e5f-8061-7b8c9d0e1f2a';

const metadata = () =>
  z
    .record(z.string().max(64), z.unknown())
    .refine((m) => JSON.stringify(m).length <= 4096, { error: 'must be at most 4 KiB as JSON' })
    .describe('any JSON object of yours, at most 4 KiB');

/** POST /accounts body: the owner is the calling principal; money enters an account only by transfer. */
export const AccountCreate = z
  .strictObject({
    id: uuid().optional().describe('your UUID for the account (repeating it returns the same account); default a new UUIDv7'),
    currency: currency(),
    metadata: metadata().optional(),
  })
  .meta({ examples: [{ currency: 'EUR', metadata: { label: 'main wallet' } }] });

/** An amount in minor units above 0, as a JSON integer. */
const amount = () =>
  z
    .number({ error: 'must be an integer amount in minor units (e.g. cents)' })
    .int({ error: 'must be a whole number of minor units, not a fraction' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_JSON_INTEGER, { error: `must be at most ${MAX_JSON_INTEGER}` })
    .transform((v) => BigInt(v));

/** POST /transfers body. */
export const TransferCreate = z
  .strictObject({
    id: uuid()
      .optional()
      .describe('your UUID for the transfer: repeating it returns the original transfer (idempotency without a header); default a new UUIDv7'),
    debit_account_id: uuid().describe('one of your accounts'),
    credit_account_id: uuid().describe("anyone's account, in the same currency"),
    amount: amount(),
    currency: currency().optional().describe('when given, both accounts must be in it'),
    metadata: metadata().optional(),
  })
  .meta({
    examples: [
      { debit_account_id: EXAMPLE_ACCOUNT_ID, credit_account_id: EXAMPLE_OTHER_ACCOUNT_ID, amount: 1250, currency: 'EUR', metadata: { order: 'A-1009' } },
    ],
  });

/** POST /admin/accounts/:id/fund body (scope admin): money from the funding account of the account's currency. */
export const FundCreate = z
  .strictObject({
    id: uuid().optional().describe('your UUID for the transfer: repeating it returns the original (nothing applied twice); default a new UUIDv7'),
    amount: amount(),
    metadata: metadata().optional(),
  })
  .meta({ examples: [{ amount: 10_000, metadata: { reason: 'welcome credit' } }] });

export const AccountParams = z.strictObject({ id: uuid().meta({ examples: [EXAMPLE_ACCOUNT_ID] }) });
export const TransferParams = z.strictObject({ id: uuid().meta({ examples: [EXAMPLE_TRANSFER_ID] }) });

/** GET /accounts/:id/entries query string: keyset pagination on the entry's sequence number. */
export const EntriesQuery = z.strictObject({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'is not one this API issued' })
    .optional()
    .describe('next_cursor of the previous page'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: 'must be a whole number from 1 to 100' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, { error: 'must be from 1 to 100' })
    .default(50),
});

const EXAMPLE_ACCOUNT = {
  id: EXAMPLE_ACCOUNT_ID,
  owner_id: EXAMPLE_OWNER_ID,
  currency: 'EUR',
  balance: 8750,
  overdraft_limit: 0,
  entries: 2,
  metadata: { label: 'main wallet' },
  created_at: '2026-12-01T09:30:00.000Z',
};

const accountSchema = z
  .object({
    id: z.string(),
    owner_id: z.string().describe('the principal the account belongs to'),
    currency: z.string(),
    balance: z.bigint().describe('minor units (cents); never below -overdraft_limit'),
    overdraft_limit: z.bigint(),
    entries: z.bigint().describe('how many entries the account has (the sequence number of its latest)'),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.date(),
  })
  .meta({ examples: [EXAMPLE_ACCOUNT] });

/** The public view of an account (its opening balance stays inside: `strata ledger check` reads it). */
export const AccountOut = defineOutput('Account', accountSchema, (a: Account) => ({
  id: a.id,
  owner_id: a.ownerId,
  currency: a.currency,
  balance: a.balance,
  overdraft_limit: a.overdraftLimit,
  entries: a.version,
  metadata: { ...a.metadata },
  created_at: a.createdAt,
}));

const EXAMPLE_ENTRY = {
  seq: 2,
  transfer_id: EXAMPLE_TRANSFER_ID,
  amount: -1250,
  balance_after: 8750,
  created_at: '2026-12-01T09:31:00.000Z',
};

const entrySchema = z.object({
  seq: z.bigint().describe('1, 2, 3, … per account, in the order the entries were applied'),
  transfer_id: z.string(),
  amount: z.bigint().describe('negative for a debit, positive for a credit'),
  balance_after: z.bigint().describe("the account's balance after this entry"),
  created_at: z.date(),
});

export const EntryPageOut = defineOutput(
  'EntryPage',
  z.object({ items: z.array(entrySchema), next_cursor: z.string().nullable() }).meta({ examples: [{ items: [EXAMPLE_ENTRY], next_cursor: null }] }),
  (page: EntryPage) => ({
    items: page.entries.map((e) => ({ seq: e.seq, transfer_id: e.transferId, amount: e.amount, balance_after: e.balanceAfter, created_at: e.createdAt })),
    next_cursor: page.next === undefined ? null : String(page.next),
  }),
);

const EXAMPLE_TRANSFER = {
  id: EXAMPLE_TRANSFER_ID,
  debit_account_id: EXAMPLE_ACCOUNT_ID,
  credit_account_id: EXAMPLE_OTHER_ACCOUNT_ID,
  amount: 1250,
  currency: 'EUR',
  metadata: { order: 'A-1009' },
  created_at: '2026-12-01T09:31:00.000Z',
};

export const TransferOut = defineOutput(
  'Transfer',
  z
    .object({
      id: z.string(),
      debit_account_id: z.string(),
      credit_account_id: z.string(),
      amount: z.bigint(),
      currency: z.string(),
      metadata: z.record(z.string(), z.unknown()),
      created_at: z.date(),
    })
    .meta({ examples: [EXAMPLE_TRANSFER] }),
  (t: Transfer) => ({
    id: t.id,
    debit_account_id: t.debitAccountId,
    credit_account_id: t.creditAccountId,
    amount: t.amount,
    currency: t.currency,
    metadata: { ...t.metadata },
    created_at: t.createdAt,
  }),
);
