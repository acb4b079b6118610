import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrataError } from '../errors.js';
import { alive } from './alive.js';

const WAIT_MS = 180_000;

async function holder(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const pid = Number.parseInt(text ?? '', 10);
  return Number.isInteger(pid) ? pid : undefined;
}

/** Creates `path` holding this process's pid, atomically (the file never exists empty); false if it exists. */
async function tryTake(path: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, String(process.pid));
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Runs `work` while holding the lock file `path`, so strata processes sharing one data directory
 * decide one at a time who starts, shares or stops its server. A lock left by a dead process is
 * taken over; a live holder is waited for (it is starting or stopping the server).
 */
export async function withLockFile<T>(path: string, what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (await tryTake(path)) break;
    const pid = await holder(path);
    if (pid !== undefined && !alive(pid)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() - started > WAIT_MS) {
      throw new StrataError(
        'EMBEDDED_IN_USE',
        `gave up ${what}: strata process ${pid ?? '?'} has held ${path} for over ${WAIT_MS / 1000} s; stop that process, or remove the file if it no longer runs`,
      );
    }
    await sleep(delay);
  }
  try {
    return await work();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
