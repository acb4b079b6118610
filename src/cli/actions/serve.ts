import { checkHost, loadConfig, loadServiceConfig } from '../../db/index.js';
import { collectArrayBuffers } from '../array-buffer-collector.js';
import { reasonOf } from '../fail.js';

const SHUTDOWN_LIMIT_MS = 4500;

/** `strata serve`: the reference service until SIGINT or SIGTERM, then a drain. */
export async function serve(opts: { port?: number; host?: string }): Promise<void> {
  // Lines for people go to stderr: stdout carries only the service's log (JSON when piped).
  const say = (line: string) => process.stderr.write(`strata: ${line}\n`);
  const config = loadConfig();
  const listen = loadServiceConfig();
  const host = opts.host === undefined ? listen.host : checkHost(opts.host, '--host');
  // The blob settings are checked before anything starts, so a wrong one is a one-line refusal.
  (await import('../../blobs/index.js')).loadBlobsConfig();
  // The HTTP stack is loaded only by the command that serves: other commands start lighter.
  const { logSettings, serve: start } = await import('../../service/index.js');
  const service = await start({
    port: opts.port ?? listen.port,
    host,
    config,
    log: logSettings(listen),
    say: (line) => process.stderr.write(`strata: note: ${line}\n`),
    // For the person starting the service, on stderr (stdout carries the log): shown this once.
    onAdminToken: (token) =>
      process.stderr.write(
        `strata: created the principal "admin" with every scope. Its API token, shown only now (strata keeps its hash):\nexport TOKEN=${token}\n` +
          'strata: send it as "Authorization: Bearer $TOKEN"; make narrower tokens with `strata token issue --scopes catalog:read --principal <name>`\n',
      ),
  });
  // Dead transfer buffers are collected at 16 MiB, not V8's 64 (the service's peak RSS; see the module).
  collectArrayBuffers();
  const db = service.connection;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`strata: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    say(`${signal}: draining requests and shutting down`);
    setTimeout(() => {
      process.stderr.write('strata: shutdown took too long, exiting\n');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    service.close().then(
      () => {
        say('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`strata: shutdown failed: ${reasonOf(err)}\n`);
        process.exit(1);
      },
    );
  };
  // The handlers are in place before the line that says the service is up: a signal sent on seeing
  // it (a supervisor, a test) drains and exits 0 instead of killing the process mid-startup.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  say(
    `serving on ${service.url} (database: ${db.source === 'external' ? db.safeUrl : `${db.source} PostgreSQL ${db.database.capabilities.version} at ${config.home}/pg`})`,
  );
}
