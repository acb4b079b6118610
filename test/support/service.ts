import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, migrateService, type ServiceDatabase } from '../../src/service/index.js';
import { type TestDatabase, usePostgres } from './postgres.js';

export interface TestService {
  readonly pg: TestDatabase;
  readonly app: FastifyInstance;
  readonly db: Kysely<ServiceDatabase>;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  rowCount(): Promise<number>;
}

/** The reference service on this file's own migrated database, driven through `inject`. */
export function useService(): TestService {
  const pg = usePostgres({ max: 20 });
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    await pg.withSession((d) => migrateService(d.db));
    app = await buildApp({ database: pg.database, logger: false });
  });
  afterAll(async () => {
    await app?.close();
  });
  const handle: TestService = {
    pg,
    get app(): FastifyInstance {
      if (!app) throw new Error('useService: ready only inside tests and hooks');
      return app;
    },
    get db(): Kysely<ServiceDatabase> {
      return pg.database.db as Kysely<ServiceDatabase>;
    },
    request: (options) => handle.app.inject(options),
    rowCount: async () => {
      const row = await handle.db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
  return handle;
}

let serial = 0;

/** A valid create body with a unique SKU. */
export function newProduct(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return {
    sku: `SKU-${process.pid}-${serial}-${Math.random().toString(36).slice(2, 8)}`,
    name: `Product ${serial}`,
    price: 1999,
    currency: 'EUR',
    stock: 5,
    tags: ['tools'],
    ...overrides,
  };
}
