// The root entry: the calls most applications need, and nothing that loads an HTTP, metrics or
// COPY library. Each capability has its own entry with everything it offers: strata/db,
// strata/upsert, strata/softdelete, strata/history, strata/bulk, strata/boundary, strata/observe,
// and the reference service, strata/service.
export {
  type Connection,
  connect,
  type Database,
  type DialectCapabilities,
  type Engine,
  ensureStrataSchema,
  introspect,
  isStrataError,
  loadConfig,
  openDatabase,
  openMariaDb,
  openPostgres,
  quoteIdent,
  type StrataConfig,
  StrataError,
  type StrataErrorCode,
  setWriteContext,
  type TransactionOptions,
  type WriteContext,
  withTransaction,
} from './db/index.js';
export { type EnableHistoryOptions, enableHistory } from './history/index.js';
export { type EnableSoftDeleteOptions, enableSoftDelete, onlyDeleted, withDeleted } from './softdelete/index.js';
export { type UpsertOptions, type UpsertResult, upsert } from './upsert/index.js';
