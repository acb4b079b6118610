import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistry, createStrataMetrics, registerPoolMetrics } from '../../src/observe/index.js';

describe('metrics registries', () => {
  it("createRegistry holds the process metrics without prom-client's misnamed _total gauges, and leaves prom-client's global registry empty", async () => {
    const registry = createRegistry();
    const metrics = createStrataMetrics(registry);
    registerPoolMetrics(registry, 'primary', () => ({ total: 3, idle: 1, waiting: 2, max: 10 }));
    try {
      const names = registry.getMetricsAsArray().map((m) => m.name);
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
        expect(names).toContain(name);
      }
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) expect(names).not.toContain(name);
      expect(names).toContain('nodejs_active_handles');
      expect(names).toContain('strata_db_query_duration_seconds');
      expect(register.getMetricsAsArray()).toHaveLength(0);
      // A second registry (a second app in one process) registers the same names without a clash.
      const other = createRegistry();
      createStrataMetrics(other).close();
      expect(other.getMetricsAsArray().map((m) => m.name)).toContain('process_cpu_seconds_total');
    } finally {
      metrics.close();
    }
  });

  it('pool gauges read the stats at scrape time', async () => {
    const registry = createRegistry();
    let stats = { total: 3, idle: 1, waiting: 2, max: 10 };
    registerPoolMetrics(registry, 'primary', () => stats);
    const scrape = async () => {
      const text = await registry.metrics();
      return text.split('\n').filter((l) => l.startsWith('strata_db_pool_'));
    };
    expect(await scrape()).toEqual([
      'strata_db_pool_connections{pool="primary",state="idle"} 1',
      'strata_db_pool_connections{pool="primary",state="in_use"} 2',
      'strata_db_pool_max_connections{pool="primary"} 10',
      'strata_db_pool_waiting_requests{pool="primary"} 2',
    ]);
    stats = { total: 5, idle: 5, waiting: 0, max: 10 };
    expect(await scrape()).toContain('strata_db_pool_connections{pool="primary",state="in_use"} 0');
  });

  it('pool gauges say what they count (HELP and TYPE lines)', async () => {
    const registry = createRegistry();
    registerPoolMetrics(registry, 'primary', () => ({ total: 1, idle: 1, waiting: 0, max: 1 }));
    const text = await registry.metrics();
    expect(text.split('\n').filter((l) => /^# (HELP|TYPE) strata_db_pool_/.test(l))).toEqual([
      '# HELP strata_db_pool_connections Open connections in the pool, by state.',
      '# TYPE strata_db_pool_connections gauge',
      '# HELP strata_db_pool_max_connections Most connections the pool may open.',
      '# TYPE strata_db_pool_max_connections gauge',
      '# HELP strata_db_pool_waiting_requests Requests waiting for a free connection.',
      '# TYPE strata_db_pool_waiting_requests gauge',
    ]);
  });
});
