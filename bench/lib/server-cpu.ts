import { readdir, readFile } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICK_MS = 10;

/**
 * CPU time (ms) a process has run so far (/proc/<pid>/schedstat, nanoseconds), with its parent's
 * pid and the CPU time of its children that exited and were reaped (/proc/<pid>/stat cutime +
 * cstime, in ticks): for the postmaster, every backend and autovacuum worker that has ended.
 */
async function processCpu(pid: string): Promise<{ ppid: string; ms: number; reapedMs: number } | undefined> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    const ns = Number((await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ')[0]);
    // After ") ": state is field 0, ppid 1, ... cutime 13, cstime 14.
    const reapedMs = (Number(fields[13]) + Number(fields[14])) * TICK_MS;
    return Number.isFinite(ns) ? { ppid: fields[1] ?? '', ms: ns / 1e6, reapedMs: Number.isFinite(reapedMs) ? reapedMs : 0 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A reader of the CPU time the whole PostgreSQL server (postmaster, backends, WAL writer,
 * checkpointer, autovacuum...) has used, in ms, counting processes that have exited since (a
 * backend the pool closed, an autovacuum worker that finished), when it runs on this machine and /proc is readable; else
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
        if (p && pid === postmaster) total += p.ms + p.reapedMs;
        else if (p && p.ppid === postmaster) total += p.ms;
      }
      return total;
    };
  } catch {
    return undefined;
  }
}
