import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RunAs } from './run.js';

function canTraverse(mode: number, ownerUid: number, ownerGid: number, as: Required<RunAs>): boolean {
  if (ownerUid === as.uid) return (mode & 0o100) !== 0;
  if (ownerGid === as.gid) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/**
 * The first folder on the way to `path` (from `/`, `path` itself included when it exists) that a
 * user cannot pass through, or undefined when it can reach `path`. Nothing is changed: strata never
 * loosens the permissions of folders it does not own.
 */
export async function blockingFolder(path: string, as: Required<RunAs>): Promise<string | undefined> {
  const chain: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    const info = await stat(dir).catch(() => undefined);
    if (!info) return undefined;
    if (info.isDirectory() && !canTraverse(info.mode, info.uid, info.gid, as)) return dir;
  }
  return undefined;
}
