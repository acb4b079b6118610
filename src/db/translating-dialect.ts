import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import type { ErrorPhase, StrataError } from './errors.js';
import type { QueryObserver } from './observer.js';

/** Turns any driver error into a StrataError; may look up extra details (async). */
export type ErrorTranslator = (err: unknown, phase: ErrorPhase) => Promise<StrataError>;

class TranslatingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly translate: ErrorTranslator,
    private readonly observer: QueryObserver | undefined,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const started = this.observer ? performance.now() : 0;
    try {
      const result = await this.inner.executeQuery<R>(query);
      this.observer?.({ sql: query.sql, parameters: query.parameters, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      const error = await this.translate(err, 'query');
      this.observer?.({ sql: query.sql, parameters: query.parameters, durationMs: performance.now() - started, error });
      throw error;
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      throw await this.translate(err, 'query');
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TranslatingConnection ? connection.inner : connection;
}

class TranslatingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly translate: ErrorTranslator,
    private readonly observer: QueryObserver | undefined,
  ) {}

  private async guard<T>(phase: ErrorPhase, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw await this.translate(err, phase);
    }
  }

  init(): Promise<void> {
    return this.guard('connect', () => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.guard('connect', () => this.inner.acquireConnection());
    return new TranslatingConnection(inner, this.translate, this.observer);
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.guard('query', () => this.inner.beginTransaction(unwrap(c), settings));
  }

  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.guard('query', () => this.inner.commitTransaction(unwrap(c)));
  }

  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.guard('query', () => this.inner.rollbackTransaction(unwrap(c)));
  }

  savepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.guard('query', () => this.required('savepoint')(unwrap(c), name, compile));
  }

  rollbackToSavepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.guard('query', () => this.required('rollbackToSavepoint')(unwrap(c), name, compile));
  }

  releaseSavepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.guard('query', () => this.required('releaseSavepoint')(unwrap(c), name, compile));
  }

  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(c));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  private required(method: 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint') {
    const fn = this.inner[method];
    if (!fn) throw new TypeError(`the driver does not support ${method}`);
    return fn.bind(this.inner);
  }
}

/** Wraps a Kysely dialect so that every driver error surfaces as a StrataError (and, optionally, every statement is observed). */
export class TranslatingDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly translate: ErrorTranslator,
    private readonly observer?: QueryObserver,
  ) {}

  createDriver(): Driver {
    return new TranslatingDriver(this.inner.createDriver(), this.translate, this.observer);
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: mirrors Kysely's own Dialect signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}
