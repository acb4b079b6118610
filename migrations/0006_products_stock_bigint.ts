import { defineMigration } from '../src/migrate/index.js';

/**
 * The first migration run by strata's online engine: `stock` becomes bigint (through a shadow
 * column kept in sync both ways and backfilled in batches) and the internal `supplier_ref` is
 * renamed `supplier_code`. The API's output is unchanged; history reads old versions under the
 * new name.
 */
export default defineMigration({
  operations: [
    { op: 'alter_column', table: 'products', column: 'stock', type: 'bigint' },
    { op: 'rename_column', table: 'products', from: 'supplier_ref', to: 'supplier_code' },
  ],
});
