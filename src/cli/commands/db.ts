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
  const started = await server.start('daemon');
  out(started.attached ? `already running on port ${started.port}` : `started on port ${started.port} (data in ${server.dataDir})`);
}

async function stop(): Promise<void> {
  const server = embedded(loadConfig());
  const other = await server.ownedByOther();
  if (other) throw new StrataError('EMBEDDED_IN_USE', `the embedded PostgreSQL belongs to strata process ${other.pid}; stop that process instead`);
  const before = await server.status();
  await server.stop();
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
  const owner = s.owner ? (s.owner.kind === 'daemon' ? ', started by `strata db start`' : `, owned by strata process ${s.owner.pid}`) : '';
  out(`embedded PostgreSQL: running, pid ${s.pid}, port ${s.port}${owner} (data in ${s.dataDir})`);
}

export function dbCommand(): Command {
  const db = new Command('db')
    .description('manage the embedded PostgreSQL server')
    .addHelpText('after', '\nExamples:\n  $ strata db start\n  $ psql "$(strata db psql-url)"\n  $ strata db stop');
  db.command('start')
    .description('start the embedded server in the background (it keeps running until `strata db stop`)')
    .action(() => start().catch(fail));
  db.command('stop')
    .description('stop the embedded server started by `strata db start`')
    .action(() => stop().catch(fail));
  db.command('status')
    .description('show whether the database is up (exit code 3 when the embedded server is stopped)')
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
