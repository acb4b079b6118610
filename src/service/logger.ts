import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { ServiceConfig } from '../db/index.js';

/** How the service logs: a level, and JSON lines or lines for people. */
export interface LogSettings {
  readonly level: ServiceConfig['logLevel'];
  readonly format: 'pretty' | 'json';
}

/**
 * The configured log settings (LOG_LEVEL, LOG_FORMAT); without LOG_FORMAT, pretty when stdout is a
 * terminal and JSON otherwise.
 *
 * @example
 * logSettings(loadServiceConfig()) // { level: 'info', format: 'pretty' } on a terminal
 */
export function logSettings(config: ServiceConfig, terminal = process.stdout.isTTY === true): LogSettings {
  return { level: config.logLevel, format: config.logFormat ?? (terminal ? 'pretty' : 'json') };
}

/**
 * The service's logger on stdout: JSON lines, or for people one readable line per event
 * (`12:00:01.234 INFO: GET /products 200 3.1 ms`; errors add the request id and the stack).
 *
 * JSON lines are written asynchronously (pino's asynchronous destination): a request never waits
 * for its log line to reach the pipe or file, and lines logged while a write is under way go out
 * together in the next one. `flushLog` (called by `serve`'s close) waits until every line is
 * written; on `process.exit` pino writes what is left synchronously. Lines for people stay
 * synchronous (a terminal, at a person's pace).
 *
 * @example
 * const logger = createLogger(logSettings(loadServiceConfig()));
 */
export function createLogger(settings: LogSettings): Logger {
  // minLength 1: every line starts a write as soon as none is under way (as with 0), and flush()
  // then waits for the writes under way (with 0 it returns at once).
  if (settings.format === 'json') return pino({ level: settings.level }, pino.destination({ dest: 1, sync: false, minLength: 1 }));
  const stream = pretty({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,reqId,req,res,responseTime',
    singleLine: true,
    messageFormat: (log, key) => {
      const message = String(log[key] ?? '');
      return typeof log.level === 'number' && log.level >= 50 && log.reqId ? `${message} (request ${String(log.reqId)})` : message;
    },
  });
  return pino({ level: settings.level }, stream);
}

/**
 * Waits until every line `logger` was given is written (its destination drained); at once for a
 * logger that writes synchronously.
 *
 * @example
 * await app.close();
 * await flushLog(logger);
 */
export function flushLog(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** Fastify's request log as one line per finished request (`GET /products 200 3.1 ms`) instead of two. */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`;
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, line);
    else reply.log.info({ res: reply, responseTime: reply.elapsedTime }, line);
  }
}
