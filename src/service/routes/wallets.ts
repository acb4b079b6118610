import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { defineRoute, type Route, reply } from '../../boundary/index.js';
import { createAccount, fundAccount, getAccount, getTransfer, listEntries, transfer } from '../../ledger/index.js';
import { type Principal, withPrincipal } from '../../principals/index.js';
import {
  AccountCreate,
  AccountOut,
  AccountParams,
  EntriesQuery,
  EntryPageOut,
  FundCreate,
  TransferCreate,
  TransferOut,
  TransferParams,
} from '../dto/wallets.js';

const tags = ['wallets'];

/**
 * The wallet routes over the ledger (strata/ledger), scope `wallet`. Every call acts for the
 * request's principal: row-level security shows it only its own accounts, entries and the transfers it
 * sent or received, and a transfer may debit only its own account (another's is 404, nothing
 * written). Errors are the ledger's codes as problem+json (404 LEDGER_ACCOUNT_NOT_FOUND, 422
 * LEDGER_INSUFFICIENT_FUNDS and LEDGER_CURRENCY_MISMATCH, 409 LEDGER_TRANSFER_CONFLICT, 503
 * LEDGER_CONTENTION). `POST /admin/accounts/:id/fund` (scope `admin`) is how money enters: a
 * transfer from the funding account of the account's currency (strata/ledger `fundAccount`).
 */
export function walletRoutes(db: Kysely<unknown>): Route[] {
  const as = <T>(principal: Principal, request: FastifyRequest, work: (trx: Kysely<unknown>) => Promise<T>) =>
    withPrincipal(db, principal, work, { requestId: request.id });
  return [
    defineRoute({
      method: 'POST',
      url: '/accounts',
      summary: 'Open an account of yours (balance 0; money arrives by transfer)',
      scope: 'wallet',
      tags,
      body: AccountCreate,
      responses: { 201: AccountOut },
      problems: [409],
      handler: async ({ body, principal, request }) => {
        const account = await as(principal, request, (trx) =>
          createAccount(trx, {
            id: body.id ?? uuidv7(),
            ownerId: principal.id,
            currency: body.currency,
            ...(body.metadata ? { metadata: body.metadata } : {}),
          }),
        );
        return reply(201, AccountOut.from(account), { location: `/accounts/${account.id}` });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/accounts/:id',
      summary: 'One of your accounts, with its balance',
      scope: 'wallet',
      tags,
      params: AccountParams,
      responses: { 200: AccountOut },
      problems: [404],
      handler: async ({ params, principal, request }) => reply(200, AccountOut.from(await as(principal, request, (trx) => getAccount(trx, params.id)))),
    }),
    defineRoute({
      method: 'GET',
      url: '/accounts/:id/entries',
      summary: "An account's entries in the order they were applied, a page at a time",
      scope: 'wallet',
      tags,
      params: AccountParams,
      query: EntriesQuery,
      responses: { 200: EntryPageOut },
      problems: [404],
      handler: async ({ params, query, principal, request }) => {
        const after = query.cursor === undefined ? {} : { after: BigInt(query.cursor) };
        const page = await as(principal, request, (trx) => listEntries(trx, params.id, { limit: query.limit, ...after }));
        return reply(200, EntryPageOut.from(page));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/transfers',
      summary: 'Move money from one of your accounts to any account in the same currency',
      scope: 'wallet',
      tags,
      body: TransferCreate,
      responses: { 201: TransferOut, 200: TransferOut },
      problems: [404, 409, 422, 503],
      handler: async ({ body, principal }) => {
        const result = await transfer(
          db,
          {
            id: body.id ?? uuidv7(),
            debitAccountId: body.debit_account_id,
            creditAccountId: body.credit_account_id,
            amount: body.amount,
            ...(body.currency ? { currency: body.currency } : {}),
            ...(body.metadata ? { metadata: body.metadata } : {}),
          },
          { principal },
        );
        const location = { location: `/transfers/${result.id}` };
        return result.replayed ? reply(200, TransferOut.from(result), location) : reply(201, TransferOut.from(result), location);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/admin/accounts/:id/fund',
      summary: 'Put money into any account: a transfer from the funding account of its currency (operators only)',
      scope: 'admin',
      tags,
      params: AccountParams,
      body: FundCreate,
      responses: { 201: TransferOut, 200: TransferOut },
      problems: [404, 409, 503],
      handler: async ({ params, body }) => {
        const result = await fundAccount(db, {
          id: body.id ?? uuidv7(),
          accountId: params.id,
          amount: body.amount,
          ...(body.metadata ? { metadata: body.metadata } : {}),
        });
        const location = { location: `/transfers/${result.id}` };
        return result.replayed ? reply(200, TransferOut.from(result), location) : reply(201, TransferOut.from(result), location);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/transfers/:id',
      summary: 'A transfer you sent or received',
      scope: 'wallet',
      tags,
      params: TransferParams,
      responses: { 200: TransferOut },
      problems: [404],
      handler: async ({ params, principal, request }) => reply(200, TransferOut.from(await as(principal, request, (trx) => getTransfer(trx, params.id)))),
    }),
  ];
}
