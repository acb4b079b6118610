import type { Kysely } from 'kysely';
import type { QueryEvent, QueryObserver } from '../db/index.js';
import { EXPLAIN_MARK, explain } from './explain.js';
import { fingerprint, OperationLabels } from './fingerprint.js';
import type { StrataMetrics } from './metrics.js';
import { scrubPlan } from './plan.js';

interface Timer {
  readonly operation: string;
  readonly ok: { observe(seconds: number): void } | undefined;
  readonly error: { observe(seconds: number): void } | undefined;
}

/** Where slow queries are reported (pino's and Fastify's loggers fit). */
export interface SlowQueryLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface QueryObserverOptions {
  readonly metrics?: StrataMetrics;
  readonly logger?: SlowQueryLogger;
  /** Statements slower than this are logged. Default 500 ms. */
  readonly slowQueryMs?: number;
  /** Attach a plan to slow-query log lines: `off` (default), `plan` (EXPLAIN), `analyze` (EXPLAIN ANALYZE, rolled back). */
  readonly explain?: 'off' | 'plan' | 'analyze';
  /** Fraction of slow queries that get a plan (0-1). Default 1. */
  readonly sampleRate?: number;
  /** Most distinct operation label values. Default 100. */
  readonly labelCap?: number;
}

export interface StrataQueryObserver {
  readonly observe: QueryObserver;
  readonly labels: OperationLabels;
  /** Gives the observer a database to run EXPLAIN on (the one it observes, once open). */
  attach(db: Kysely<unknown>): void;
  /** Resolves when every EXPLAIN started so far has been logged (tests, shutdown). */
  settle(): Promise<void>;
}

/**
 * Times every statement into `strata_db_query_duration_seconds` under a bounded label and logs
 * slow ones as their fingerprint (values replaced by `?`), optionally with a plan whose parameter
 * values are replaced by placeholders. Never logs parameters.
 *
 * @example
 * const observer = createQueryObserver({ metrics, logger: app.log, slowQueryMs: 200, explain: 'plan' });
 * const database = await openPostgres(url, { observer: observer.observe });
 * observer.attach(database.db);
 */
export function createQueryObserver(options: QueryObserverOptions = {}): StrataQueryObserver {
  const labels = new OperationLabels(options.labelCap ?? 100);
  const slowMs = options.slowQueryMs ?? 500;
  const pending = new Set<Promise<void>>();
  const timers = new Map<string, Timer>();
  let db: Kysely<unknown> | undefined;

  const logSlow = (event: QueryEvent, operation: string) => {
    const fields = {
      operation,
      statement: fingerprint(event.sql),
      duration_ms: Math.round(event.durationMs),
      ...(event.error ? { error: event.error.code } : {}),
    };
    const wantPlan = options.explain && options.explain !== 'off' && db && !event.error && Math.random() < (options.sampleRate ?? 1);
    if (!wantPlan || !db) {
      options.logger?.warn(fields, 'slow query');
      return;
    }
    const job = explain(db, event.sql, event.parameters, options.explain === 'analyze')
      .then((plan) => options.logger?.warn({ ...fields, plan: scrubPlan(plan, event.parameters) }, 'slow query'))
      .catch(() => options.logger?.warn(fields, 'slow query'))
      .finally(() => pending.delete(job));
    pending.add(job);
  };

  return {
    labels,
    attach: (target) => {
      db = target;
    },
    settle: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    observe: (event) => {
      let entry: Timer | undefined = timers.get(event.sql);
      if (entry === undefined) {
        if (event.sql.startsWith(EXPLAIN_MARK)) return;
        const operation = labels.label(event.sql);
        const histogram = options.metrics?.queryDuration;
        entry = { operation, ok: histogram?.labels({ operation, outcome: 'ok' }), error: histogram?.labels({ operation, outcome: 'error' }) };
        if (timers.size < 10_000) timers.set(event.sql, entry);
      }
      (event.error ? entry.error : entry.ok)?.observe(event.durationMs / 1000);
      if (event.durationMs >= slowMs) logSlow(event, entry.operation);
    },
  };
}
