import { defineCounter } from '../db/index.js';

/** `strata_idempotency_replays_total`: requests answered from a stored response. */
export const IDEMPOTENCY_REPLAYS = defineCounter({
  name: 'strata_idempotency_replays_total',
  help: 'Requests answered from a stored Idempotency-Key response.',
  labelNames: [],
});
