import type { FastifyInstance } from 'fastify';
import { type Connection, connect, listenProblem, loadConfig, loadServiceConfig, type StrataConfig, StrataError } from '../db/index.js';
import { createQueryObserver, createRegistry, createStrataMetrics } from '../observe/index.js';
import { bootstrapAdmin } from '../principals/index.js';
import { buildApp } from './app.js';
import { createLogger, flushLog, type LogSettings, logSettings, OneLinePerRequest } from './logger.js';
import { migrateService } from './migrate.js';

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly config?: StrataConfig;
  /** Log level and form; default from LOG_LEVEL and LOG_FORMAT (see `logSettings`). */
  readonly log?: LogSettings;
  /** Called with one line for a person (startup and shutdown). */
  readonly say?: (line: string) => void;
  /**
   * Called once, on a database without any principal (a fresh data directory), with the token of
   * the principal `admin` just created (every scope): show it to the person starting the service,
   * never in the log. Without this option no principal is created.
   */
  readonly onAdminToken?: (token: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly connection: Connection<unknown>;
  /** Stops accepting requests, drains those in flight, closes the pool, stops the embedded server. */
  close(): Promise<void>;
}

/**
 * Starts the reference service: connects (DATABASE_URL or embedded), then listens.
 *
 * @example
 * const service = await serve({ port: 3000, host: '127.0.0.1' });
 * process.once('SIGINT', () => service.close());
 */
function cannotListen(code: string, port: number, host: string): StrataError {
  if (code === 'EACCES')
    return new StrataError('PORT_IN_USE', `port ${port} on ${host} needs privileges this process lacks; choose another with --port or PORT`);
  if (code !== 'EADDRINUSE') {
    return new StrataError(
      'CONFIG_INVALID',
      `cannot listen on ${host}: not an address of this machine (${code}); choose another with --host or HOST, e.g. 127.0.0.1 or 0.0.0.0`,
    );
  }
  return new StrataError('PORT_IN_USE', `port ${port} on ${host} is already in use; choose another with --port or PORT`);
}

export async function serve(options: ServeOptions): Promise<RunningService> {
  const problem = await listenProblem(options.port, options.host);
  if (problem) throw cannotListen(problem, options.port, options.host);
  const config = options.config ?? loadConfig();
  const registry = createRegistry();
  const metrics = createStrataMetrics(registry);
  const log = options.log ?? logSettings(loadServiceConfig());
  const logger = createLogger(log);
  const observer = createQueryObserver({
    metrics,
    logger,
    slowQueryMs: config.slowQuery.thresholdMs,
    explain: config.slowQuery.explain,
    sampleRate: config.slowQuery.sampleRate,
  });
  const connection = await connect({ ...config, pool: { ...config.pool, observer: observer.observe } }, options.say);
  observer.attach(connection.database.db);
  let app: FastifyInstance;
  try {
    // The migration runner needs a session: STRATA_DIRECT_URL's server when DATABASE_URL is a pooler.
    const { applied } = await connection.withSession((database) => migrateService(database.db));
    if (applied.length > 0) options.say?.(`applied migrations: ${applied.join(', ')}`);
    if (options.onAdminToken) {
      const first = await bootstrapAdmin(connection.database.db);
      if (first) options.onAdminToken(first.token);
    }
    app = await buildApp({
      database: connection.database,
      registry,
      metrics,
      loggerInstance: logger,
      ...(log.format === 'pretty' ? { logController: new OneLinePerRequest() } : {}),
    });
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    await connection.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') throw cannotListen(code, options.port, options.host);
    throw err;
  }
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    connection,
    close: () => {
      closing ??= app
        .close()
        .then(() => observer.settle())
        .finally(() => {
          metrics.close();
          return connection.close();
        })
        // The last lines (a request answered while draining, the close itself) reach stdout before close resolves.
        .finally(() => flushLog(logger));
      return closing;
    },
  };
}
