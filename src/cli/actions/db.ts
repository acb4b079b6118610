import { EmbeddedServer, loadConfig, openDatabase, redactUrl, type StrataConfig, StrataError } from '../../db/index.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function embedded(config: StrataConfig): EmbeddedServer {
  if (config.databaseUrl) {
    throw new StrataError('CONFIG_INVALID', 'DATABASE_URL is set: strata only starts and stops its embedded server; unset it to manage that one');
  }
  return new EmbeddedServer({
    home: config.home,
    ...(config.embeddedPort !== undefined ? { port: config.embeddedPort } : {}),
    notice: (line) => process.stderr.write(`strata: note: ${line}\n`),
  });
}

async function runningUrl(config: StrataConfig): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const status = await embedded(config).status();
  if (status.state !== 'running') throw new StrataError('EMBEDDED_NOT_RUNNING', 'the embedded PostgreSQL is not running; start it with `strata db start`');
  return status.url;
}

export async function start(): Promise<void> {
  const server = embedded(loadConfig());
  const before = await server.status();
  const started = await server.start('daemon');
  if (!started.attached) out(`started on port ${started.port} (data in ${server.dataDir})`);
  else if (before.state === 'running' && before.owner?.kind !== 'daemon') {
    out(
      `already running on port ${started.port} (used by strata process ${before.users.join(', ')}); it now stays up after that exits, until \`strata db stop\``,
    );
  } else out(`already running on port ${started.port}`);
}

export async function stop(opts: { force?: boolean }): Promise<void> {
  const server = embedded(loadConfig());
  const before = await server.status();
  await server.stop({ ifUnused: opts.force !== true });
  out(before.state === 'running' ? 'stopped' : 'was not running');
}

export async function status(): Promise<void> {
  const config = loadConfig();
  if (config.databaseUrl) {
    const database = await openDatabase(config.databaseUrl, { ...config.pool, max: 1 });
    try {
      out(`external ${database.engine} ${database.capabilities.version} at ${redactUrl(config.databaseUrl)}: up`);
    } finally {
      await database.close();
    }
    return;
  }
  const s = await embedded(config).status();
  if (s.state === 'stopped') {
    out(`embedded PostgreSQL: stopped (data in ${s.dataDir})`);
    process.exitCode = 3;
    return;
  }
  const owner = s.owner?.kind === 'daemon' ? ', started by `strata db start`' : '';
  const users = s.users.length > 0 ? `, used by strata process ${s.users.join(', ')}` : '';
  out(`embedded PostgreSQL: running, pid ${s.pid}, port ${s.port}${owner}${users} (data in ${s.dataDir})`);
}

/** `strata db url` (`psql: true`: `strata db psql-url`, the libpq spelling). */
export async function url(opts: { psql?: boolean } = {}): Promise<void> {
  const found = await runningUrl(loadConfig());
  out(opts.psql ? found.replace(/^postgres:/, 'postgresql:') : found);
}
