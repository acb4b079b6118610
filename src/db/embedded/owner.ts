import { open, readFile, unlink } from 'node:fs/promises';
import { StrataError } from '../errors.js';
import { alive } from './alive.js';

/** Who runs the embedded server: a strata process that stops it on exit, or a `strata db start` daemon. */
export interface Owner {
  readonly pid: number;
  readonly kind: 'process' | 'daemon';
}

export type Claim = 'claimed' | 'daemon';

export async function readOwner(lockPath: string): Promise<Owner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<Owner>;
    if (typeof parsed.pid === 'number' && (parsed.kind === 'process' || parsed.kind === 'daemon')) {
      return { pid: parsed.pid, kind: parsed.kind };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** True when the owner is a strata process that is still running (a daemon has no process of its own). */
export function ownerAlive(owner: Owner): boolean {
  return owner.kind === 'process' && alive(owner.pid);
}

async function tryCreate(lockPath: string, owner: Owner): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx', 0o644);
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Takes the data directory's owner lock atomically. A lock left by a dead process is taken over;
 * a live one is an EMBEDDED_IN_USE error.
 */
export async function claimOwner(lockPath: string, owner: Owner, dataDir: string): Promise<Claim> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(lockPath, owner)) return 'claimed';
    const current = await readOwner(lockPath);
    if (current?.kind === 'daemon') return 'daemon';
    if (current && current.pid !== owner.pid && alive(current.pid)) {
      throw new StrataError(
        'EMBEDDED_IN_USE',
        `the embedded PostgreSQL in ${dataDir} is already in use by strata process ${current.pid}; stop it first, or set DATABASE_URL to use another server`,
      );
    }
    await unlink(lockPath).catch(() => undefined);
  }
  throw new StrataError('EMBEDDED_IN_USE', `could not take the lock ${lockPath}; another process keeps taking it`);
}

export async function releaseOwner(lockPath: string): Promise<void> {
  await unlink(lockPath).catch(() => undefined);
}
