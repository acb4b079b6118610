import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alive } from './alive.js';

export interface Postmaster {
  readonly pid: number;
  readonly port: number;
}

/** Reads `postmaster.pid` and returns the server only when its process is alive. */
export async function runningPostmaster(dataDir: string): Promise<Postmaster | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || !alive(pid)) return undefined;
  return { pid, port };
}

/** The major version a data directory was initialised with, or undefined when it is not initialised. */
export async function dataDirVersion(dataDir: string): Promise<number | undefined> {
  try {
    return Number.parseInt((await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).trim(), 10);
  } catch {
    return undefined;
  }
}

/** The most useful line of a server log: the last FATAL/ERROR/PANIC, else the last line. */
export function lastProblem(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const bad = lines.filter((l) => /\b(FATAL|PANIC|ERROR)\b|could not|Permission denied/.test(l));
  return (bad.at(-1) ?? lines.at(-1) ?? 'no output').replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '');
}
