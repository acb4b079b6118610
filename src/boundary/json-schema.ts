import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) for a zod schema, seen from the request side
 * (`input`) or the response side (`output`). bigint is a JSON integer; Date a date-time string.
 * `examples` given with `.meta({ examples })` are JSON as sent on the wire and are kept on both
 * sides (zod alone drops them from the input side of a schema that transforms).
 *
 * @example
 * toJsonSchema(z.object({ price: z.bigint() }), 'output') // { type: 'object', properties: { price: { type: 'integer' } }, ... }
 * toJsonSchema(z.strictObject({ price: money() }).meta({ examples: [{ price: 1999 }] }), 'input').examples // [{ price: 1999 }]
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      const type = ctx.zodSchema._zod.def.type;
      const examples = z.globalRegistry.get(ctx.zodSchema)?.examples;
      if (Array.isArray(examples) && ctx.jsonSchema.examples === undefined) ctx.jsonSchema.examples = examples;
      if (type === 'bigint') ctx.jsonSchema.type = 'integer';
      if (type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
      }
      if (io === 'output' && ctx.jsonSchema.type === 'object' && ctx.jsonSchema.additionalProperties === undefined) {
        ctx.jsonSchema.additionalProperties = false;
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  return collapseNullable(json) as JsonSchema;
}

/**
 * `anyOf: [X, { type: 'null' }]` becomes X with `type: [X.type, 'null']`: the same JSON Schema,
 * in the form the response serializer handles for values it must convert (bigint, Date).
 */
function collapseNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(collapseNullable);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = collapseNullable(value);
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.length === 2) {
    const nonNull = anyOf.find((s) => (s as JsonSchema).type !== 'null') as JsonSchema | undefined;
    const hasNull = anyOf.some((s) => (s as JsonSchema).type === 'null');
    if (hasNull && nonNull && typeof nonNull.type === 'string' && !nonNull.anyOf) {
      delete out.anyOf;
      return { ...out, ...nonNull, type: [nonNull.type, 'null'] };
    }
  }
  return out;
}
