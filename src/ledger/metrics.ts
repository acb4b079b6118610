import { defineCounter, defineHistogram } from '../db/index.js';

/** `strata_transfers_total{strategy,outcome}`: transfers by how they ended (`created`, `replayed`, or the error code in lower case). */
export const TRANSFERS = defineCounter({
  name: 'strata_transfers_total',
  help: 'Ledger transfers by strategy and outcome (created, replayed, or the error code in lower case).',
  labelNames: ['strategy', 'outcome'],
});

/** `strata_transfer_retries_total{strategy,reason}`: attempts of a transfer retried inside the ledger. */
export const TRANSFER_RETRIES = defineCounter({
  name: 'strata_transfer_retries_total',
  help: 'Transfer attempts retried inside the ledger, by strategy and reason (deadlock, serialization_failure, version_conflict, lock_timeout, connection_lost).',
  labelNames: ['strategy', 'reason'],
});

/** `strata_transfer_duration_seconds{strategy}`: from the call to its answer, retries included. */
export const TRANSFER_DURATION = defineHistogram({
  name: 'strata_transfer_duration_seconds',
  help: 'Ledger transfer latency from the call to its answer, retries included, by strategy.',
  labelNames: ['strategy'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});
