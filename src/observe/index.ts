export { createRegistry, registerPoolMetrics } from './registry.js';
