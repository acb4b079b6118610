import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOutput, isDto, money, toJsonSchema } from '../../src/boundary/index.js';

describe('output DTOs', () => {
  const Out = defineOutput(
    'Thing',
    z.object({ id: z.string(), price: z.bigint(), at: z.date() }),
    (row: { id: string; price: bigint; at: Date; secret: string }) => ({
      id: row.id,
      price: row.price,
      at: row.at,
    }),
  );

  it('copy only the declared keys, even when the mapping returns more', () => {
    const Sloppy = defineOutput('Sloppy', z.object({ id: z.string() }), (row: { id: string; secret: string }) => row);
    const dto = Sloppy.from({ id: 'a', secret: 's' });
    expect(dto).toEqual({ id: 'a' });
    expect(isDto(dto)).toBe(true);
    expect(isDto({ id: 'a' })).toBe(false);
  });

  it('export bigint as a JSON integer and dates as date-time strings', () => {
    const schema = toJsonSchema(Out.schema, 'output') as { properties: Record<string, Record<string, unknown>>; additionalProperties: boolean };
    expect(schema.properties.price).toEqual({ type: 'integer' });
    expect(schema.properties.at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(schema.additionalProperties).toBe(false);
  });

  it('money() accepts safe integers only and yields bigint', () => {
    expect(money().parse(1999)).toBe(1999n);
    for (const bad of [1.5, -1, '10', 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) expect(money().safeParse(bad).success, String(bad)).toBe(false);
  });
});
