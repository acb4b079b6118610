import { readdir, readFile } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';

/** CPU time (ms) a process has run so far (/proc/<pid>/schedstat, nanoseconds), with its parent's pid. */
async function processCpu(pid: string): Promise<{ ppid: string; ms: number } | undefined> {
  try {
    const ppid = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[1] ?? '';
    const ns = Number((await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ')[0]);
    return Number.isFinite(ns) ? { ppid, ms: ns / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A reader of the CPU time the whole PostgreSQL server (postmaster, backends, WAL writer,
 * checkpointer...) has used, in ms, when it runs on this machine and /proc is readable; else
 * undefined. CPU time is what a capture design costs the server, whatever else the machine runs.
 */
export async function serverCpu(db: Kysely<unknown>): Promise<(() => Promise<number>) | undefined> {
  try {
    const dir = (await sql<{ d: string }>`SELECT current_setting('data_directory') AS d`.execute(db)).rows[0]?.d;
    const postmaster = (await readFile(`${dir}/postmaster.pid`, 'utf8')).split('\n')[0]?.trim();
    if (!postmaster || !(await processCpu(postmaster))) return undefined;
    return async () => {
      let total = 0;
      for (const pid of await readdir('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const p = await processCpu(pid);
        if (p && (pid === postmaster || p.ppid === postmaster)) total += p.ms;
      }
      return total;
    };
  } catch {
    return undefined;
  }
}
