import type { z } from 'zod';

declare const DTO_BRAND: unique symbol;

/** A value produced by an output DTO's mapping; only these may leave a route. */
export type Dto<T> = T & { readonly [DTO_BRAND]: true };

const issued = new WeakSet<object>();

/** True when `value` was produced by an output DTO (`from`), which is all a route may send. */
export function isDto(value: unknown): boolean {
  return typeof value === 'object' && value !== null && issued.has(value);
}

/**
 * An output DTO: an allow-list of public fields and an explicit mapping from a source (a row).
 * Only the declared keys are copied, so a column added later never leaks.
 */
export interface OutputDto<S extends z.ZodObject = z.ZodObject, Source = never> {
  readonly name: string;
  readonly schema: S;
  from(source: Source): Dto<z.output<S>>;
}

/**
 * Declares an output DTO. The mapping names every public field (no spreading of rows); the
 * type checker rejects a mapping that misses a field or adds an undeclared one.
 *
 * @example
 * const ProductOut = defineOutput('Product', z.object({ id: z.string(), price: z.bigint() }),
 *   (row: ProductRow) => ({ id: row.id, price: row.price }));
 * reply(200, ProductOut.from(row));
 */
export function defineOutput<S extends z.ZodObject, Source>(name: string, schema: S, map: (source: Source) => z.output<S>): OutputDto<S, Source> {
  const keys = Object.keys(schema.shape);
  return {
    name,
    schema,
    from(source: Source) {
      const mapped = map(source) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of keys) out[key] = mapped[key];
      issued.add(out);
      return out as Dto<z.output<S>>;
    },
  };
}
