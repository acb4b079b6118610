export { EXPLAIN_MARK, explain } from './explain.js';
export { fingerprint, OperationLabels } from './fingerprint.js';
export { instrumentHttp } from './http.js';
export { createStrataMetrics, type StrataMetrics } from './metrics.js';
export { type PlanNode, renderPlan, scrubPlan } from './plan.js';
export { createQueryObserver, type QueryObserverOptions, type SlowQueryLogger, type StrataQueryObserver } from './query-observer.js';
export { createRegistry, registerPoolMetrics } from './registry.js';
export { type TopOrder, type TopStatement, topStatements } from './top.js';
