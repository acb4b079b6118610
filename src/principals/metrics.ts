import { defineCounter } from '../db/index.js';

/** `strata_auth_requests_total{outcome}`: requests to routes that need a token, by what became of them. */
export const AUTH_OUTCOMES = defineCounter({
  name: 'strata_auth_requests_total',
  help: 'Requests to authenticated routes by outcome: ok, unauthenticated (401), forbidden (403), rate_limited (429).',
  labelNames: ['outcome'],
});
