export { UPSERT_ERROR_CODES } from './errors.js';
export {
  bodyHash,
  type Claim,
  claimIdempotencyKey,
  cleanupIdempotencyKeys,
  completeIdempotencyKey,
  createIdempotencyTable,
  type IdempotencyOptions,
  type IdempotentRequest,
  isValidIdempotencyKey,
  releaseIdempotencyKey,
  renewIdempotencyKey,
  STREAMED_BODY,
  type StoredResponse,
} from './idempotency.js';
export { IDEMPOTENCY_DOC } from './idempotency-doc.js';
export { type IdempotencyHookOptions, idempotencyWrapper } from './idempotency-hook.js';
export type { UpdateSpec, UpdateValue } from './render.js';
export type { Dedupe, Row } from './rows.js';
export type { Action } from './strategies.js';
export { resolveTarget as resolveUpsertTarget, type UpsertTarget } from './target.js';
export { type Strategy, type UpsertOptions, type UpsertResult, upsert } from './upsert.js';
