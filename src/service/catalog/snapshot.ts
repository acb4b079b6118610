import type { ProductRow } from './schema.js';

/**
 * A product row rebuilt from a history snapshot (jsonb): bigint and timestamps restored, and
 * fields a later schema added defaulted, so old versions stay readable after schema changes.
 */
export function rowFromSnapshot(data: Readonly<Record<string, unknown>>): ProductRow {
  const text = (key: string, fallback = '') => (typeof data[key] === 'string' ? (data[key] as string) : fallback);
  const date = (key: string) => new Date(text(key, '1970-01-01T00:00:00Z'));
  const big = (key: string) => (typeof data[key] === 'number' || typeof data[key] === 'string' ? BigInt(data[key] as number | string) : null);
  return {
    id: text('id'),
    sku: text('sku'),
    name: text('name'),
    description: text('description'),
    price: big('price') ?? 0n,
    currency: text('currency'),
    stock: big('stock') ?? 0n,
    tags: Array.isArray(data.tags) ? data.tags.filter((t): t is string => typeof t === 'string') : [],
    cost: big('cost'),
    supplier_code: typeof data.supplier_code === 'string' ? data.supplier_code : null,
    internal_notes: typeof data.internal_notes === 'string' ? data.internal_notes : null,
    created_at: date('created_at'),
    updated_at: date('updated_at'),
    version: typeof data.version === 'number' ? data.version : 0,
  };
}
