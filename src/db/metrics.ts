/** Label values of one observation; names are the metric's declared label names. */
export type MetricLabels<L extends string> = Partial<Record<L, string | number>>;

/** A metric as a capability declares it (Prometheus conventions: base units, `_total`, `_seconds`). */
export interface MetricDefinition<L extends string = string> {
  readonly kind: 'counter' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Histograms only: bucket upper bounds. */
  readonly buckets?: readonly number[];
}

/** Where observations go (observe binds one per registry). */
export type MetricSink<L extends string = string> = (labels: MetricLabels<L>, value: number) => void;

/** A declared metric: recording costs one call per bound registry, nothing when none is bound. */
export interface Metric<L extends string = string> {
  readonly definition: MetricDefinition<L>;
  /** Adds `value` to a counter, or observes it on a histogram. */
  record(labels: MetricLabels<L>, value: number): void;
  /** Sends every later observation to `sink` too; returns the function that detaches it. */
  bind(sink: MetricSink<L>): () => void;
}

const defined = new Map<string, Metric>();
const listeners = new Set<(metric: Metric) => void>();

function declare<L extends string>(definition: MetricDefinition<L>): Metric<L> {
  const known = defined.get(definition.name);
  if (known) return known as unknown as Metric<L>;
  const sinks = new Set<MetricSink<L>>();
  const metric: Metric<L> = {
    definition,
    record(labels, value) {
      for (const sink of sinks) sink(labels, value);
    },
    bind(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  };
  defined.set(definition.name, metric as unknown as Metric);
  for (const listener of listeners) listener(metric as unknown as Metric);
  return metric;
}

/**
 * Declares a counter in the capability that counts it, without loading a metrics library:
 * `strata/observe` exposes every declared metric on a Prometheus registry.
 *
 * @example
 * const replays = defineCounter({ name: 'strata_idempotency_replays_total', help: 'Replayed responses.', labelNames: [] });
 * replays.record({}, 1);
 */
export function defineCounter<L extends string = never>(definition: Omit<MetricDefinition<L>, 'kind' | 'buckets'>): Metric<L> {
  return declare({ ...definition, kind: 'counter' });
}

/**
 * Declares a histogram (observations in base units, e.g. seconds).
 *
 * @example
 * const latency = defineHistogram({ name: 'strata_transfer_duration_seconds', help: 'Transfer latency.', labelNames: ['strategy'], buckets: [0.001, 0.01, 0.1, 1] });
 * latency.record({ strategy: 'locking' }, 0.004);
 */
export function defineHistogram<L extends string = never>(definition: Omit<MetricDefinition<L>, 'kind'> & { readonly buckets: readonly number[] }): Metric<L> {
  return declare({ ...definition, kind: 'histogram' });
}

/**
 * Calls `listener` for every metric declared so far and every one declared later (modules that
 * load lazily declare theirs when they load). Returns the function that stops listening.
 *
 * @example
 * const off = onMetricDeclared((metric) => console.log(metric.definition.name));
 */
export function onMetricDeclared(listener: (metric: Metric) => void): () => void {
  listeners.add(listener);
  for (const metric of defined.values()) listener(metric);
  return () => listeners.delete(listener);
}
