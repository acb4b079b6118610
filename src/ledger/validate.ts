import { StrataError } from '../db/index.js';
import type { Metadata, NewAccount, TransferRequest } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_BIGINT = 2n ** 63n - 1n;
const MAX_METADATA_BYTES = 4096;

function invalid(message: string): StrataError {
  return new StrataError('LEDGER_INVALID_REQUEST', message);
}

export function checkUuid(value: unknown, name: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw invalid(`${name} must be a UUID`);
  return value.toLowerCase();
}

export function checkCurrency(value: unknown, name = 'currency'): string {
  if (typeof value !== 'string' || !CURRENCY.test(value)) throw invalid(`${name} must be three capital letters (ISO 4217), e.g. EUR`);
  return value;
}

function checkMinor(value: unknown, name: string, min: bigint): bigint {
  if (typeof value !== 'bigint') throw invalid(`${name} must be a bigint of minor units`);
  if (value < min || value > MAX_BIGINT) throw invalid(`${name} must be between ${min} and ${MAX_BIGINT}`);
  return value;
}

export function checkMetadata(value: unknown): Metadata {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('metadata must be a JSON object');
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) throw invalid(`metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
  return JSON.parse(text) as Metadata;
}

/** A transfer request checked and normalized (ids lower case, metadata as it round-trips JSON). */
export function checkTransfer(request: TransferRequest): TransferRequest {
  const id = checkUuid(request.id, 'id');
  const debitAccountId = checkUuid(request.debitAccountId, 'debitAccountId');
  const creditAccountId = checkUuid(request.creditAccountId, 'creditAccountId');
  if (debitAccountId === creditAccountId) throw invalid('debitAccountId and creditAccountId must differ');
  const amount = checkMinor(request.amount, 'amount', 1n);
  const currency = request.currency === undefined ? undefined : checkCurrency(request.currency);
  return { id, debitAccountId, creditAccountId, amount, ...(currency ? { currency } : {}), metadata: checkMetadata(request.metadata) };
}

export function checkNewAccount(account: NewAccount, newId: () => string): Required<NewAccount> {
  const overdraftLimit = checkMinor(account.overdraftLimit ?? 0n, 'overdraftLimit', 0n);
  const openingBalance = checkMinor(account.openingBalance ?? 0n, 'openingBalance', -overdraftLimit);
  return {
    id: account.id === undefined ? newId() : checkUuid(account.id, 'id'),
    ownerId: checkUuid(account.ownerId, 'ownerId'),
    currency: checkCurrency(account.currency),
    overdraftLimit,
    openingBalance,
    metadata: checkMetadata(account.metadata),
  };
}

/** Canonical JSON (sorted keys) of a metadata object, to compare a repeat with the original. */
export function sameMetadata(a: Metadata, b: Metadata): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
