import { createHash } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readFile, readlink, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { StrataError } from '../errors.js';
import { type PostgresBinaries, postgresBinaries } from './binaries.js';
import { blockingFolder } from './reachable.js';
import type { RunAs } from './run.js';

/** Where strata keeps, as root, what the postgres user must reach but cannot where it is. */
export const SYSTEM_DIR = '/var/lib/strata';

/** Where the server's files are: its binaries and its data directory (`<home>/pg`, or where that link points). */
export interface Layout {
  readonly binaries: PostgresBinaries;
  readonly dataDir: string;
}

const closed = (folder: string, what: string) =>
  new StrataError(
    'EMBEDDED_FAILED',
    `as root, PostgreSQL runs as the postgres system user, which cannot pass through ${folder} to reach ${what}; ` +
      'run strata as a regular user, or set STRATA_HOME to a folder that user can reach (strata does not change the permissions of folders it did not create)',
  );

async function ensureSystemDir(systemDir: string, as: Required<RunAs>, what: string): Promise<void> {
  await mkdir(systemDir, { recursive: true, mode: 0o755 });
  const blocked = await blockingFolder(systemDir, as);
  if (blocked) throw closed(blocked, what);
}

/** Makes every file of a copy strata made readable (and its folders passable) by other users. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await openUp(path);
    else if (entry.isFile()) await chmod(path, ((await lstat(path)).mode & 0o100) !== 0 ? 0o755 : 0o644);
  }
}

/**
 * The package's binaries, or (as root, when the postgres user cannot reach them, as in a clone
 * under /root) a copy of them in strata's own `<systemDir>/postgres/<version>-<platform>-<arch>`,
 * made once per version.
 */
async function reachableBinaries(binaries: PostgresBinaries, as: Required<RunAs>, systemDir: string): Promise<PostgresBinaries> {
  const native = dirname(dirname(binaries.postgres));
  const blocked = await blockingFolder(native, as);
  if (!blocked) return binaries;
  await ensureSystemDir(systemDir, as, `PostgreSQL's programs (${native})`);
  const { version } = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = join(systemDir, 'postgres', `${version}-${platform()}-${arch()}`);
  if (!(await lstat(join(copy, 'bin', 'postgres')).catch(() => undefined))) {
    await mkdir(dirname(copy), { recursive: true, mode: 0o755 });
    const temp = `${copy}.tmp-${process.pid}`;
    await rm(temp, { recursive: true, force: true });
    await cp(native, temp, { recursive: true, verbatimSymlinks: true });
    await openUp(temp);
    await rename(temp, copy).catch(async (err: NodeJS.ErrnoException) => {
      await rm(temp, { recursive: true, force: true });
      // Another process made the same copy first.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  }
  const moved = (path: string) => join(copy, relative(native, path));
  return { initdb: moved(binaries.initdb), pg_ctl: moved(binaries.pg_ctl), postgres: moved(binaries.postgres) };
}

/**
 * `<home>/pg`, or where it links to. As root, when the postgres user cannot reach `<home>` (a clone
 * under /root, a folder made by mkdtemp), a new data directory goes to
 * `<systemDir>/data/<folder>-<hash>` and `<home>/pg` becomes a link to it. Data already in an
 * unreachable `<home>/pg` is not moved: that stops with what to do.
 */
async function reachableDataDir(home: string, as: Required<RunAs>, systemDir: string, notice?: (line: string) => void): Promise<string> {
  const link = join(home, 'pg');
  const info = await lstat(link).catch(() => undefined);
  const dataDir = info?.isSymbolicLink() ? resolve(home, await readlink(link)) : link;
  const blocked = await blockingFolder(dirname(dataDir), as);
  if (!blocked) return dataDir;
  if (info?.isSymbolicLink() || (await readdir(link).catch(() => [])).length > 0) throw closed(blocked, `its data in ${dataDir}`);
  await ensureSystemDir(systemDir, as, `its data (${link})`);
  const real = resolve(home);
  const target = join(
    systemDir,
    'data',
    `${basename(dirname(real))}-${basename(real)}-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`.replace(/[^A-Za-z0-9._-]/g, '_'),
  );
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  if (info) await rmdir(link);
  await symlink(target, link);
  notice?.(`as root, PostgreSQL runs as the postgres user, which cannot pass through ${blocked}: its data lives in ${target} (${link} links there)`);
  return target;
}

/** Where the server's binaries and data are, for the user PostgreSQL runs as. */
export async function serverLayout(home: string, as: RunAs, systemDir = SYSTEM_DIR, notice?: (line: string) => void): Promise<Layout> {
  const binaries = await postgresBinaries();
  if (as.uid === undefined || as.gid === undefined) return { binaries, dataDir: join(home, 'pg') };
  const who = { uid: as.uid, gid: as.gid };
  return { binaries: await reachableBinaries(binaries, who, systemDir), dataDir: await reachableDataDir(home, who, systemDir, notice) };
}
