import type { Histogram, Registry } from 'prom-client';
import { type Metric, onMetricDeclared } from '../db/index.js';
import { promClient } from './prom.js';

/** strata's own metrics, registered once per registry. */
export interface StrataMetrics {
  readonly queryDuration: Histogram<'operation' | 'outcome'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Stops feeding the capabilities' declared metrics into this registry. */
  close(): void;
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function expose(registry: Registry, metric: Metric): () => void {
  const { kind, name, help, labelNames, buckets } = metric.definition;
  const registers = [registry];
  const { Counter, Histogram } = promClient();
  if (kind === 'counter') {
    const counter = new Counter({ name, help, labelNames: [...labelNames], registers });
    return metric.bind((labels, value) => counter.inc(labels, value));
  }
  const histogram = new Histogram({ name, help, labelNames: [...labelNames], buckets: [...(buckets ?? SECONDS)], registers });
  return metric.bind((labels, value) => histogram.observe(labels, value));
}

/**
 * Registers strata's metrics on a registry (names follow Prometheus conventions: base units,
 * `_seconds`, `_total`): the query and HTTP histograms of this module, and every metric a
 * capability declared with `defineCounter`/`defineHistogram` (now or when it loads later).
 *
 * @example
 * const metrics = createStrataMetrics(registry);
 * metrics.httpDuration.observe({ method: 'GET', route: '/healthz', status_code: '200' }, 0.002);
 */
export function createStrataMetrics(registry: Registry): StrataMetrics {
  const { Histogram } = promClient();
  const registers = [registry];
  const unbind: (() => void)[] = [];
  const stop = onMetricDeclared((metric) => unbind.push(expose(registry, metric)));
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
    close: () => {
      stop();
      for (const off of unbind) off();
    },
  };
}
