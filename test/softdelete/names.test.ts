import { describe, expect, it } from 'vitest';
import { LIVE_PREDICATE, liveOn, namesFor, onlyDeleted, SOFT_DELETE_COLUMNS, withDeleted } from '../../src/softdelete/names.js';

describe('soft-delete names (pure; docs/soft-deletes.md)', () => {
  it('a table t gets t (live view), t_all (base), t_deleted, its trigger and function, in public unless told', () => {
    expect(namesFor('products')).toEqual({
      schema: 'public',
      live: 'products',
      base: 'products_all',
      deleted: 'products_deleted',
      trigger: 'products_soft_delete',
      fn: 'strata_soft_delete_products',
    });
    expect(namesFor('orders', 'shop').schema).toBe('shop');
  });

  it('withDeleted and onlyDeleted name the base table and the deleted view', () => {
    expect(withDeleted('products')).toBe('products_all');
    expect(onlyDeleted('products')).toBe('products_deleted');
  });

  it('the columns and the live predicate, also on an alias', () => {
    expect(SOFT_DELETE_COLUMNS).toEqual(['deleted_at', 'deleted_by', 'deleted_batch']);
    expect(LIVE_PREDICATE).toBe('deleted_at IS NULL');
    expect(liveOn('t')).toBe('t.deleted_at IS NULL');
  });
});
