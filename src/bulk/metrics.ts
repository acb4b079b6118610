import { defineCounter } from '../db/index.js';

/** `strata_bulk_rows_total{table}`: rows committed by bulk loads. */
export const BULK_ROWS = defineCounter({ name: 'strata_bulk_rows_total', help: 'Rows committed by bulk loads (COPY), by table.', labelNames: ['table'] });
