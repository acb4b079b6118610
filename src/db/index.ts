export { ambientTransaction, runInTransaction } from './ambient.js';
export type { DialectCapabilities, Engine } from './capabilities.js';
export { checkHost, DEFAULT_POOL, LOG_LEVELS, loadConfig, loadServiceConfig, type PoolOptions, type ServiceConfig, type StrataConfig } from './config.js';
export { type Connection, connect, redactUrl } from './connect.js';
export { setWriteContext, type WriteContext } from './context.js';
export type { Database, DatabaseState, PoolStats } from './database.js';
export { type DirectQuery, directQuery } from './direct-query.js';
export { type EmbeddedRelease, EmbeddedServer, type EmbeddedServerOptions, type EmbeddedStart, type EmbeddedStatus } from './embedded/index.js';
export {
  defineErrorCodes,
  type ErrorKind,
  type ErrorPhase,
  errorForSqlState,
  errorKind,
  errorKinds,
  type InputPosition,
  isStrataError,
  type RegisteredErrorKind,
  StrataError,
  type StrataErrorCode,
  type StrataErrorCodes,
  type StrataErrorDetails,
} from './errors.js';
export {
  adoptLegacyTable,
  defineInternalSteps,
  type EnsureResult,
  ensureStrataSchema,
  type InternalStep,
  STRATA_SCHEMA,
  strataTable,
} from './internal-schema.js';
export {
  type CheckConstraint,
  type ColumnInfo,
  engineOf,
  type ForeignKey,
  type IndexInfo,
  type Introspector,
  introspect,
  type RelationKind,
  storageIdentitySql,
} from './introspect/index.js';
export { openMariaDb } from './mariadb.js';
export { defineCounter, defineHistogram, type Metric, type MetricDefinition, type MetricLabels, type MetricSink, onMetricDeclared } from './metrics.js';
export type { QueryEvent, QueryObserver } from './observer.js';
export { openDatabase } from './open.js';
export { strataVersion } from './package-version.js';
export { freePort, isPortFree, listenProblem } from './ports.js';
export { openPostgres } from './postgres.js';
export { preparedStatement } from './prepared.js';
export { quoteIdent, quoteQualified } from './quote.js';
export { behindPooler, sessionRequired } from './session.js';
export { RETRYABLE_CODES, type RetryInfo, type TransactionOptions, withTransaction } from './transaction.js';
export { translateMariaDbError } from './translate-mariadb.js';
export { translatePostgresError } from './translate-postgres.js';
export { POSTGRES_VALUE_TYPES, postgresTypeParser, type ValueKind, valueKindOf } from './value-types.js';
