import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createPrincipal, issueToken, SCOPES, type Scope } from '../../src/principals/index.js';
import { type AppOptions, buildApp, migrateService, type ServiceDatabase } from '../../src/service/index.js';
import { type TestDatabase, usePostgres } from './postgres.js';

export interface TestService {
  readonly pg: TestDatabase;
  readonly app: FastifyInstance;
  readonly db: Kysely<ServiceDatabase>;
  /** A token of this file's principal holding every scope; `request` sends it unless the request carries its own Authorization. */
  readonly adminToken: string;
  /** That principal's id: the actor history records for `request`'s writes. */
  readonly adminId: string;
  /** Sends a request as the admin principal (`authorization: undefined`-free headers get the admin token). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** A new principal with a token holding exactly `scopes`. */
  principalWith(scopes: readonly Scope[]): Promise<{ readonly id: string; readonly name: string; readonly token: string }>;
  rowCount(): Promise<number>;
}

let principals = 0;

/** A fresh principal (unique name) and a token for it. */
export async function principalWith<DB>(db: Kysely<DB>, scopes: readonly Scope[]): Promise<{ id: string; name: string; token: string }> {
  principals += 1;
  const principal = await createPrincipal(db, `test-${process.pid}-${principals}-${Math.random().toString(36).slice(2, 8)}`);
  const { token } = await issueToken(db, { principal: principal.id, scopes });
  return { id: principal.id, name: principal.name, token };
}

/** Adds `authorization: Bearer <token>` unless the request names its own Authorization (even undefined). */
export function withToken(options: InjectOptions, token: string): InjectOptions {
  const headers = { ...(options.headers ?? {}) };
  if (!('authorization' in headers)) headers.authorization = `Bearer ${token}`;
  return { ...options, headers };
}

/**
 * The reference service on this file's own migrated database, driven through `inject`; requests
 * go as a principal holding every scope. No rate limit unless `options` gives one.
 */
export function useService(options: Partial<Omit<AppOptions, 'database'>> = {}): TestService {
  const pg = usePostgres({ max: 20 });
  let app: FastifyInstance | undefined;
  let adminToken: string | undefined;
  let adminId: string | undefined;
  beforeAll(async () => {
    await pg.withSession((d) => migrateService(d.db));
    ({ token: adminToken, id: adminId } = await principalWith(pg.database.db, SCOPES));
    app = await buildApp({ logger: false, rateLimit: false, ...options, database: pg.database });
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
    get adminId(): string {
      if (!adminId) throw new Error('useService: ready only inside tests and hooks');
      return adminId;
    },
    get adminToken(): string {
      if (!adminToken) throw new Error('useService: ready only inside tests and hooks');
      return adminToken;
    },
    request: (options) => handle.app.inject(withToken(options, handle.adminToken)),
    principalWith: (scopes) => principalWith(pg.database.db, scopes),
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
