import type { Gauge, Registry } from 'prom-client';
import type { PoolStats } from '../db/index.js';
import { promClient } from './prom.js';

/**
 * A fresh Prometheus registry with the process metrics (CPU, memory, event loop, GC).
 *
 * @example
 * const registry = createRegistry();
 * const text = await registry.metrics();
 */
export function createRegistry(): Registry {
  const { collectDefaultMetrics, Registry } = promClient();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/** Gauges that prom-client names with `_total` (a counter suffix); `nodejs_active_*` by type carry the same numbers. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Exposes a pool's connection counts as `strata_db_pool_*` gauges, read at scrape time.
 *
 * @example
 * registerPoolMetrics(registry, 'primary', () => database.poolStats());
 */
export function registerPoolMetrics(registry: Registry, pool: string, stats: () => PoolStats): void {
  const { Gauge } = promClient();
  const gauge = (name: string, help: string, labelNames: string[], read: (g: Gauge, s: PoolStats) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        read(this, stats());
      },
    });
  gauge('strata_db_pool_connections', 'Open connections in the pool, by state.', ['pool', 'state'], (g, s) => {
    g.set({ pool, state: 'idle' }, s.idle);
    g.set({ pool, state: 'in_use' }, s.total - s.idle);
  });
  gauge('strata_db_pool_max_connections', 'Most connections the pool may open.', ['pool'], (g, s) => g.set({ pool }, s.max));
  gauge('strata_db_pool_waiting_requests', 'Requests waiting for a free connection.', ['pool'], (g, s) => g.set({ pool }, s.waiting));
}
