import { z } from 'zod';
import type { AnyColumn, TableDefinition } from './define.js';
import { valueKind } from './sql-types.js';

function scalar(column: AnyColumn): z.ZodType {
  if (column.values) return z.enum(column.values as [string, ...string[]]);
  const { kind, array } = valueKind(column.valueType);
  const base: z.ZodType = {
    string: () => z.string(),
    number: () => z.number(),
    bigint: () => z.bigint(),
    boolean: () => z.boolean(),
    Date: () => z.date(),
    Json: () => z.json(),
    Buffer: () => z.instanceof(Buffer),
    unknown: () => z.unknown(),
  }[kind]();
  return array ? z.array(base) : base;
}

export interface ZodOptions {
  /** Internal columns to show in the row schema all the same (by name). */
  readonly include?: readonly string[];
}

/**
 * zod schemas of a table for the DTO layer: `row` is a row as the driver returns it with the
 * exposed columns only (internal ones are left out unless `include` names them); `insert` takes
 * what an INSERT may write (defaulted and nullable columns optional, generated ones absent).
 *
 * @example
 * const { row, insert } = zodSchemas(products);
 * const dto = row.parse(await db.selectFrom('products').selectAll().executeTakeFirstOrThrow()); // no cost, no supplier_code
 */
export function zodSchemas(table: TableDefinition, options: ZodOptions = {}): { row: z.ZodObject; insert: z.ZodObject } {
  const row: Record<string, z.ZodType> = {};
  const insert: Record<string, z.ZodType> = {};
  for (const [name, c] of Object.entries(table.columns) as [string, AnyColumn][]) {
    const spec = c.spec;
    const value = spec.nullable ? scalar(c).nullable() : scalar(c);
    if (spec.expose || options.include?.includes(name)) row[name] = value;
    if (spec.generated !== null || spec.identity === 'always') continue;
    insert[name] = spec.default !== null || spec.identity !== null || spec.nullable ? value.optional() : value;
  }
  return { row: z.object(row), insert: z.strictObject(insert) };
}
