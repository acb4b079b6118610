import { chmod, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RunAs } from './run.js';

function canTraverse(mode: number, ownerUid: number, ownerGid: number, as: Required<RunAs>): boolean {
  if (ownerUid === as.uid) return (mode & 0o100) !== 0;
  if (ownerGid === as.gid) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

function ancestors(path: string): string[] {
  const chain: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) return chain;
  }
}

/**
 * When strata runs as root, PostgreSQL runs as the `postgres` user, which must be able to pass
 * through every folder above its binaries and data. Folders it cannot pass get the search bit for
 * others (o+x: pass through, not list or read). Returns the folders changed, for a notice.
 */
export async function grantTraverse(paths: readonly string[], as: RunAs): Promise<string[]> {
  if (as.uid === undefined || as.gid === undefined) return [];
  const who = { uid: as.uid, gid: as.gid };
  const changed: string[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    for (const dir of ancestors(path)) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory() || canTraverse(info.mode, info.uid, info.gid, who)) continue;
      await chmod(dir, (info.mode & 0o7777) | 0o001);
      changed.push(dir);
    }
  }
  return changed;
}
