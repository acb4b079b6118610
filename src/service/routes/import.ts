import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { uuidv7 } from 'uuidv7';
import { z } from 'zod';
import { defineOutput, defineRoute, fieldErrors, HttpProblem, parseInput, type Route, reply } from '../../boundary/index.js';
import { bulkUpsert, csvSource, ndjsonSource, type Source } from '../../bulk/index.js';
import type { Database } from '../../db/index.js';
import { EXAMPLE_CSV, EXAMPLE_NDJSON } from '../dto/examples.js';
import { ProductCreate } from '../dto/products.js';

const IMPORT_LIMIT = 100 * 1024 * 1024;
const TYPES = { csv: 'text/csv', ndjson: 'application/x-ndjson' } as const;

const ImportOut = defineOutput('ProductImport', z.object({ rows: z.number().int() }).meta({ examples: [{ rows: 2 }] }), (r: { rows: number }) => ({
  rows: r.rows,
}));

/** Lets CSV and NDJSON bodies through as streams (the import route parses them itself). */
export function acceptImportBodies(app: FastifyInstance): void {
  app.addContentTypeParser([TYPES.csv, TYPES.ndjson], (_request, payload, done) => done(null, payload));
}

const csvNumber = (v: unknown) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);

function csvFields(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === null) continue;
    out[k] = k === 'price' || k === 'stock' ? csvNumber(v) : k === 'tags' ? String(v).split(';').filter(Boolean) : v;
  }
  return out;
}

async function* validated(source: Source, csv: boolean): Source {
  for await (const record of source) {
    const parsed = parseInput(ProductCreate, csv ? csvFields(record.values) : record.values);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, 'body').map((e) => ({ ...e, message: `line ${record.line}: ${e.message}` }));
      throw new HttpProblem(400, 'VALIDATION_FAILED', `invalid product on line ${record.line}: ${errors.map((e) => e.field).join(', ')}`, errors);
    }
    yield { ...record, values: { id: uuidv7(), ...parsed.data } };
  }
}

/** POST /products/import: CSV (header row; tags separated by `;`) or NDJSON, upserted by SKU in one transaction. */
export function importRoutes(database: Database): Route[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/products/import',
      scope: 'catalog:write',
      summary: 'Import products from CSV (text/csv) or NDJSON (application/x-ndjson), upserting by SKU; all or nothing',
      tags: ['products'],
      bodyLimit: IMPORT_LIMIT,
      rawBodies: { [TYPES.csv]: EXAMPLE_CSV, [TYPES.ndjson]: EXAMPLE_NDJSON },
      responses: { 200: ImportOut },
      problems: [400, 413, 415],
      handler: async ({ principal, request }) => {
        const type = String(request.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim();
        const body = (request as FastifyRequest<{ Body: Readable }>).body;
        if ((type !== TYPES.csv && type !== TYPES.ndjson) || !body || typeof body.pipe !== 'function') {
          throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `send ${TYPES.csv} or ${TYPES.ndjson}`);
        }
        const csv = type === TYPES.csv;
        const source = validated(csv ? csvSource(body) : ndjsonSource(body), csv);
        const result = await bulkUpsert(database, 'products', source, {
          key: ['sku'],
          update: ['name', 'description', 'price', 'currency', 'stock', 'tags'],
          chunkRows: Number.MAX_SAFE_INTEGER,
          // History records the principal as the actor of every imported version.
          writeContext: { actor: principal.id, requestId: request.id },
        });
        if (result.error) {
          const cause = result.error.cause;
          if (cause instanceof HttpProblem) throw cause;
          if (result.error.code === 'BULK_SOURCE_INVALID') throw new HttpProblem(400, 'MALFORMED_IMPORT', result.error.message);
          throw result.error;
        }
        return reply(200, ImportOut.from({ rows: result.rows }));
      },
    }),
  ];
}
