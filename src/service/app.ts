import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type LogController } from 'fastify';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { type BlobStore, blobStoreFromEnv, loadBlobsConfig } from '../blobs/index.js';
import { acceptEmptyBodies, installAccess, installProblemHandlers, principalOf, type RouteScope, registerRoutes, routeScopeOf } from '../boundary/index.js';
import { type Database, loadServiceConfig, strataVersion } from '../db/index.js';
import { createRegistry, createStrataMetrics, instrumentHttp, registerPoolMetrics, type StrataMetrics } from '../observe/index.js';
import { createTokenCache, type RateLimitOptions } from '../principals/index.js';
import { cleanupIdempotencyKeys, idempotencyWrapper } from '../upsert/index.js';
import { bearerAccess, checkedRead, deferrable } from './auth.js';
import type { ServiceDatabase } from './catalog/schema.js';
import { adminRoutes } from './routes/admin.js';
import { docsRoutes } from './routes/docs.js';
import { acceptImportBodies, importRoutes } from './routes/import.js';
import { acceptMediaBodies, mediaRoutes } from './routes/media.js';
import { opsRoutes } from './routes/ops.js';
import { productRoutes } from './routes/products.js';
import { walletRoutes } from './routes/wallets.js';

export interface AppOptions {
  readonly database: Database;
  /** Fastify logger setting; `false` silences it (tests). Default: pino at LOG_LEVEL or info. */
  readonly logger?: FastifyServerOptions['logger'];
  /** A logger to use instead (`serve` passes its JSON or pretty one); `logger` is then ignored. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** How Fastify logs requests; default its own two lines per request (see `OneLinePerRequest`). */
  readonly logController?: LogController;
  /** Metrics registry; default a fresh one with process metrics. */
  readonly registry?: Registry;
  /** strata's metrics on that registry; default created here. */
  readonly metrics?: StrataMetrics;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Called for every route registered (method, url, declared scope), e.g. to check documentation or access coverage; not for the API reference's own assets. */
  readonly onRoute?: (route: { readonly method: string; readonly url: string; readonly scope: RouteScope | undefined }) => void;
  /** Where product images go; default the store the environment describes (`STRATA_BLOBS`, see docs/blobs.md), closed with the app. */
  readonly blobs?: BlobStore;
  /** Largest image and the types an image may be; default from the environment (`STRATA_BLOBS_MAX_BYTES`, `STRATA_BLOBS_IMAGE_TYPES`). */
  readonly media?: { readonly maxBytes?: number; readonly contentTypes?: readonly string[] };
  /** Requests per principal (token bucket, this process); `false` turns it off. Default `STRATA_RATE_LIMIT` per second (100). */
  readonly rateLimit?: RateLimitOptions | false;
  /** Who may read /metrics; default `STRATA_METRICS_ACCESS` (`admin`). */
  readonly metricsAccess?: 'admin' | 'public';
  /** How long a valid API token is remembered (ms; 0: read on every request); default `STRATA_TOKEN_CACHE_MS` (0). */
  readonly tokenCacheMs?: number;
}

const VERSION = strataVersion();

/** What the API reference serves besides its page: its scripts, styles and the document (public, like the page). */
const isApiReference = (url: string) => url === '/docs' || url.startsWith('/docs/');

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the reference service (not listening: call `listen`, or `inject` in tests).
 *
 * @example
 * const app = await buildApp({ database, logger: false });
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const registry = options.registry ?? createRegistry();
  registerPoolMetrics(registry, 'primary', () => options.database.poolStats());
  const metrics = options.metrics ?? createStrataMetrics(registry);
  const settings =
    options.rateLimit === undefined || options.metricsAccess === undefined || options.tokenCacheMs === undefined ? loadServiceConfig() : undefined;
  const rateLimit = options.rateLimit ?? (settings?.rateLimit ? { perSecond: settings.rateLimit } : false);
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? { level: process.env.LOG_LEVEL ?? 'info' } }),
    ...(options.logController ? { logController: options.logController } : {}),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : uuidv7();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // Per-request hooks that never wait are callback hooks: an async one costs a promise per request (#32).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const db = options.database.db as Kysely<ServiceDatabase>;
  // Every route registered from here on declares who may call it (start-up fails otherwise).
  // A revocation through this process's admin routes clears the cache: it holds here from the next request on.
  const tokens = createTokenCache(db, { ttlMs: options.tokenCacheMs ?? settings?.tokenCacheMs ?? 0 });
  const access = bearerAccess(tokens, rateLimit);
  // Reads that may carry their caller's token check in their own statement (#32): see checkedRead.
  installAccess(app, { authorize: access.authorize, publicRoutes: isApiReference, defer: deferrable(tokens) });
  const onRoute = options.onRoute;
  if (onRoute) {
    app.addHook('onRoute', (route) => {
      if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
      for (const method of [route.method].flat()) if (method !== 'HEAD') onRoute({ method, url: route.url, scope: routeScopeOf(route.config) });
    });
  }
  // Closing waits for every connection: a response sent while closing ends its connection, or a
  // keep-alive client would hold the close open after its in-flight request was answered.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  installProblemHandlers(app);
  acceptEmptyBodies(app);
  app.removeContentTypeParser('text/plain');
  const metricsAccess = options.metricsAccess ?? settings?.metricsAccess ?? 'admin';
  await app.register(opsRoutes, { database: options.database, registry, metricsAccess });
  acceptImportBodies(app);
  acceptMediaBodies(app);
  const blobsConfig = loadBlobsConfig();
  const blobs = options.blobs ?? (await blobStoreFromEnv(options.database));
  const media = {
    store: blobs,
    maxBytes: options.media?.maxBytes ?? blobsConfig.maxBytes,
    contentTypes: options.media?.contentTypes ?? blobsConfig.imageTypes,
  };
  const routes = [
    ...productRoutes(db, checkedRead(tokens, access)),
    ...importRoutes(options.database),
    ...mediaRoutes(db, media),
    ...adminRoutes(db, () => tokens.clear()),
    ...walletRoutes(options.database.db),
  ];
  instrumentHttp(app, metrics);
  // Idempotency keys are scoped per principal: one principal never gets another's stored response.
  registerRoutes(app, routes, { wrap: idempotencyWrapper(db, { principalOf: (request) => principalOf(request)?.id ?? 'public' }) });
  const cleanup = setInterval(() => void cleanupIdempotencyKeys(db).catch((err: unknown) => app.log.warn({ err }, 'idempotency key cleanup failed')), 600_000);
  cleanup.unref();
  app.addHook('onClose', async () => {
    clearInterval(cleanup);
    if (!options.metrics) metrics.close();
    if (!options.blobs) await blobs.close();
  });
  await docsRoutes(app, routes, VERSION, metricsAccess);
  return app;
}
