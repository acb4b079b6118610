import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../src/db/index.js';

/**
 * A PgBouncer (the Debian package's `pgbouncer`) in transaction mode in front of a PostgreSQL, on
 * a free port of 127.0.0.1, for tests and for trying strata behind a pooler by hand:
 *
 *   npx tsx test/support/pgbouncer.ts postgres://postgres@127.0.0.1:5432/postgres
 *
 * prints the URL to use as DATABASE_URL and runs until Ctrl-C. Apart from the port, the pool mode,
 * the files and `max_client_conn` (raised so parallel test files are not turned away), PgBouncer
 * keeps its defaults: above all `ignore_startup_parameters` is empty, so a client that sends
 * `statement_timeout` (or any parameter PgBouncer does not track) at connection start is refused.
 * Clients log in with the upstream URL's user (`auth_type = trust` here; the upstream's own
 * password, when the URL has one, is what PgBouncer uses towards the server).
 */
export interface PgBouncer {
  /** The upstream URL with host and port replaced by PgBouncer's. */
  readonly url: string;
  readonly port: number;
  /** PgBouncer's admin console (`SHOW POOLS`, `SHOW SERVERS`, ...). */
  readonly adminUrl: string;
  /** The same URL for another database (PgBouncer forwards any database name). */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per (database, user); PgBouncer's default is 20. */
  readonly defaultPoolSize?: number;
}

/** The PgBouncer executable (`STRATA_PGBOUNCER`, default the Debian package's). */
export const pgbouncerBinary = process.env.STRATA_PGBOUNCER ?? '/usr/sbin/pgbouncer';

function ini(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

/** PgBouncer refuses to run as root: as root it runs as the postgres system user. */
function runAsUser(): string | undefined {
  if (userInfo().uid !== 0) return undefined;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return 'postgres';
  } catch {
    throw new Error('pgbouncer fixture: running as root needs a postgres system user to run PgBouncer as');
  }
}

async function waitReady(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${readFileSync(log, 'utf8').slice(-2000)}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer on ${new URL(url).host}: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Starts PgBouncer (transaction mode) in front of the server of `upstreamUrl`.
 *
 * @example
 * const bouncer = await startPgBouncer('postgres://postgres@127.0.0.1:5432/postgres');
 * const database = await openPostgres(bouncer.url);
 */
export async function startPgBouncer(upstreamUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const upstream = new URL(upstreamUrl);
  const user = decodeURIComponent(upstream.username || userInfo().username);
  const password = decodeURIComponent(upstream.password);
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgbouncer-'));
  const port = await freePort();
  const log = join(dir, 'pgbouncer.log');
  const quoted = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(join(dir, 'userlist.txt'), `${quoted(user)} ${quoted(password)}\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    `[databases]\n* = host=${upstream.hostname} port=${upstream.port || 5432}\n\n[pgbouncer]\n${ini({
      listen_addr: '127.0.0.1',
      listen_port: port,
      unix_socket_dir: '',
      // Any role of the server logs in: PgBouncer looks roles up with its default auth_query as the
      // URL's user. Without a password (a trust server) clients are trusted; with one, they prove it
      // with SCRAM, which PgBouncer then reuses towards the server.
      auth_type: password ? 'scram-sha-256' : 'trust',
      auth_file: join(dir, 'userlist.txt'),
      auth_user: user,
      admin_users: user,
      pool_mode: 'transaction',
      max_client_conn: 2000,
      ...(options.defaultPoolSize ? { default_pool_size: options.defaultPoolSize } : {}),
      logfile: log,
      pidfile: join(dir, 'pgbouncer.pid'),
    })}\n`,
  );
  writeFileSync(log, '');
  const runAs = runAsUser();
  if (runAs) {
    const uid = Number(execFileSync('id', ['-u', runAs]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', runAs]).toString().trim());
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini', 'pgbouncer.log']) chownSync(join(dir, f), uid, gid);
  }
  chmodSync(join(dir, 'userlist.txt'), 0o600);
  const child = spawn(pgbouncerBinary, [...(runAs ? ['-u', runAs] : []), join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start ${pgbouncerBinary} (install the Debian package pgbouncer): ${err.message}`)));
  });
  await spawned;
  const urlFor = (database: string) => {
    const u = new URL(upstreamUrl);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(urlFor(upstream.pathname.slice(1) || 'postgres'), child, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: urlFor(upstream.pathname.slice(1) || 'postgres'), port, adminUrl: urlFor('pgbouncer'), urlFor, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const upstream = process.argv[2] ?? process.env.DATABASE_URL;
  if (!upstream) {
    process.stderr.write('usage: npx tsx test/support/pgbouncer.ts postgres://user@host:port/db\n');
    process.exit(2);
  }
  const bouncer = await startPgBouncer(upstream);
  process.stdout.write(`PgBouncer (transaction mode) on ${bouncer.url}\nstop with Ctrl-C\n`);
  const stop = () => void bouncer.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
