/** A JSON object stored with an account or a transfer (at most 4 KiB as JSON). */
export type Metadata = Readonly<Record<string, unknown>>;

/** An account as stored: its balance is in minor units (cents), never below `-overdraftLimit`. */
export interface Account {
  readonly id: string;
  readonly ownerId: string;
  /** ISO 4217 style code: three capital letters. */
  readonly currency: string;
  readonly balance: bigint;
  readonly overdraftLimit: bigint;
  /** The balance the account was created with; `strata ledger check` adds its entries to it. */
  readonly openingBalance: bigint;
  /** How many entries the account has (the sequence number of its latest entry). */
  readonly version: bigint;
  readonly metadata: Metadata;
  readonly createdAt: Date;
}

/** What `createAccount` takes. */
export interface NewAccount {
  /** A UUID chosen by the caller (repeating it returns the same account); default a new UUIDv7. */
  readonly id?: string;
  readonly ownerId: string;
  readonly currency: string;
  /** How far below zero the balance may go, in minor units. Default 0. */
  readonly overdraftLimit?: bigint;
  /** Default 0. Money that enters the ledger without a transfer (tests, migrations from another ledger). */
  readonly openingBalance?: bigint;
  readonly metadata?: Metadata;
}

/** One transfer as a caller asks for it. */
export interface TransferRequest {
  /** The caller's UUID for this transfer: repeating it returns the original result (idempotency). */
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** Minor units, above 0. */
  readonly amount: bigint;
  /** When given, both accounts must be in it. */
  readonly currency?: string;
  readonly metadata?: Metadata;
}

/** A transfer as stored. */
export interface Transfer {
  readonly id: string;
  /** The debit account's owner: transfer ids are unique per owner. */
  readonly ownerId: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly creditOwnerId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly metadata: Metadata;
  readonly createdAt: Date;
}

/** The answer to `transfer`: the transfer, and whether it was created by an earlier call with the same id. */
export interface TransferResult extends Transfer {
  readonly replayed: boolean;
}

/** One side of a transfer on one account: the amount (negative for the debit) and the balance after it. */
export interface Entry {
  readonly accountId: string;
  readonly ownerId: string;
  /** 1, 2, 3, ... per account, in the order the entries were applied. */
  readonly seq: bigint;
  readonly transferId: string;
  readonly amount: bigint;
  readonly balanceAfter: bigint;
  readonly createdAt: Date;
}
