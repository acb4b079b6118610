import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import type { RunAs } from './run.js';

const exec = promisify(execFile);

async function idOf(flag: '-u' | '-g', name: string): Promise<number | undefined> {
  try {
    const { stdout } = await exec('id', [flag, name]);
    return Number.parseInt(stdout.trim(), 10);
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL refuses to run as root. As root, returns the uid/gid of the `postgres` system user
 * (creating it when missing); otherwise runs as the current user.
 */
export async function serverUser(): Promise<RunAs> {
  if (userInfo().uid !== 0) return {};
  let uid = await idOf('-u', 'postgres');
  if (uid === undefined) {
    await exec('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await exec('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    uid = await idOf('-u', 'postgres');
  }
  const gid = await idOf('-g', 'postgres');
  if (uid === undefined || gid === undefined) throw new Error('could not find or create the postgres system user');
  return { uid, gid };
}
