import { Counter, Histogram, type Registry } from 'prom-client';
import { onBulkRows, onTransactionRetry } from '../db/index.js';

/** strata's own metrics, registered once per registry. */
export interface StrataMetrics {
  readonly queryDuration: Histogram<'operation' | 'outcome'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly txRetries: Counter<'reason'>;
  readonly idempotencyReplays: Counter;
  readonly bulkRows: Counter<'table'>;
  /** Stops listening to transaction retries. */
  close(): void;
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Registers strata's metrics on a registry (names follow Prometheus conventions: base units,
 * `_seconds`, `_total`), and counts `withTransaction` retries by reason.
 *
 * @example
 * const metrics = createStrataMetrics(registry);
 * metrics.idempotencyReplays.inc();
 */
export function createStrataMetrics(registry: Registry): StrataMetrics {
  const registers = [registry];
  const txRetries = new Counter({
    name: 'strata_tx_retries_total',
    help: 'Transactions retried after a serialization failure or deadlock, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const bulkRows = new Counter({ name: 'strata_bulk_rows_total', help: 'Rows committed by bulk loads (COPY), by table.', labelNames: ['table'], registers });
  const offRetry = onTransactionRetry(({ code }) => txRetries.inc({ reason: code.toLowerCase() }));
  const offBulk = onBulkRows(({ table, rows }) => bulkRows.inc({ table }, rows));
  return {
    queryDuration: new Histogram({
      name: 'strata_db_query_duration_seconds',
      help: 'Time from sending a statement to its result, by operation (a bounded label: caller-given name or statement fingerprint) and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: SECONDS,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'HTTP request duration, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: SECONDS,
      registers,
    }),
    txRetries,
    idempotencyReplays: new Counter({ name: 'strata_idempotency_replays_total', help: 'Requests answered from a stored Idempotency-Key response.', registers }),
    bulkRows,
    close: () => {
      offRetry();
      offBulk();
    },
  };
}
