import { readFile, unlink, writeFile } from 'node:fs/promises';
import { alive } from './alive.js';

/**
 * Who keeps the embedded server up: a `strata db start` daemon (until `strata db stop`), or strata
 * processes using it (`pid` is the one that started it or was handed it; the last user stops it).
 */
export interface Owner {
  readonly pid: number;
  readonly kind: 'process' | 'daemon';
}

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

/** Records the owner (written only under the home's lock file, so plain writes are safe). */
export async function writeOwner(lockPath: string, owner: Owner): Promise<void> {
  await writeFile(lockPath, JSON.stringify(owner), { mode: 0o644 });
}

export async function releaseOwner(lockPath: string): Promise<void> {
  await unlink(lockPath).catch(() => undefined);
}
