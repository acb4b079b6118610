import { Command } from 'commander';
import { EmbeddedServer, loadConfig, openDatabase, redactUrl, type StrataConfig, StrataError } from '../../db/index.js';
import { fail } from '../fail.js';

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

async function start(): Promise<void> {
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

async function stop(opts: { force?: boolean }): Promise<void> {
  const server = embedded(loadConfig());
  const before = await server.status();
  await server.stop({ ifUnused: opts.force !== true });
  out(before.state === 'running' ? 'stopped' : 'was not running');
}

async function status(): Promise<void> {
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

export function dbCommand(): Command {
  const db = new Command('db')
    .description('manage the embedded PostgreSQL server')
    .addHelpText('after', '\nExamples:\n  $ strata db start\n  $ psql "$(strata db psql-url)"\n  $ strata db stop');
  db.command('start')
    .description('start the embedded server in the background (it keeps running until `strata db stop`); other strata commands share it')
    .addHelpText('after', '\nExample:\n  $ strata db start && export DATABASE_URL="$(strata db url)"')
    .action(() => start().catch(fail));
  db.command('stop')
    .description('stop the embedded server; refuses while a strata process (strata serve, a load) uses it')
    .option('--force', 'stop it even while strata processes use it (their connections fail)')
    .addHelpText('after', '\nExamples:\n  $ strata db stop\n  $ strata db stop --force')
    .action((opts: { force?: boolean }) => stop(opts).catch(fail));
  db.command('status')
    .description('show whether the database is up, who started it and which strata processes use it (exit code 3 when stopped)')
    .addHelpText('after', '\nExample:\n  $ strata db status || strata db start')
    .action(() => status().catch(fail));
  db.command('url')
    .description('print the connection URL for DATABASE_URL or node-postgres')
    .addHelpText('after', '\nExample:\n  $ export DATABASE_URL="$(strata db url)"')
    .action(() => runningUrl(loadConfig()).then(out, fail));
  db.command('psql-url')
    .description('print a libpq connection URI for psql and other libpq tools')
    .addHelpText('after', '\nExample:\n  $ psql "$(strata db psql-url)"')
    .action(() =>
      runningUrl(loadConfig())
        .then((u) => out(u.replace(/^postgres:/, 'postgresql:')))
        .catch(fail),
    );
  return db;
}
