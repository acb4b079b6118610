import { defineCounter } from '../db/index.js';

/** `strata_blob_bytes_total{backend,direction}`: bytes written to (`in`) and read from (`out`) blob backends. */
export const BLOB_BYTES = defineCounter({
  name: 'strata_blob_bytes_total',
  help: 'Bytes written to (direction="in") and read from (direction="out") blob backends, by backend.',
  labelNames: ['backend', 'direction'],
});
