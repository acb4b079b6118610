import { readFile } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';

async function cpuMs(pid: number): Promise<number | undefined> {
  try {
    const ns = Number((await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples, every `everyMs`, the CPU time of the client backends connected to `admin`'s database
 * (its own connection left out) from /proc, so a shared server's other databases do not count.
 * `stop()` returns the CPU (ms) those backends used since the start: a backend that existed at the
 * start counts from there, a new one from its birth, one that ended counts up to its last sample
 * (at most `everyMs` of it is missed). Undefined when the server's /proc is not readable here.
 */
export async function backendCpu(admin: Kysely<unknown>, everyMs = 250): Promise<{ stop(): Promise<number | undefined> }> {
  const pids = async () =>
    (
      await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`.execute(admin)
    ).rows.map((r) => r.pid);
  const baseline = new Map<number, number>();
  const last = new Map<number, number>();
  // A backend may end between the listing and the read: only a server none of whose backends can be read is unreadable.
  let seen = 0;
  let read = 0;
  const sample = async (into: Map<number, number>) => {
    for (const pid of await pids()) {
      seen++;
      const ms = await cpuMs(pid);
      if (ms === undefined) continue;
      read++;
      into.set(pid, ms);
    }
  };
  await sample(baseline);
  for (const [pid, ms] of baseline) last.set(pid, ms);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      await sample(last).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      await sample(last).catch(() => undefined);
      stopped = true;
      await loop;
      if (seen > 0 && read === 0) return undefined;
      let total = 0;
      for (const [pid, ms] of last) total += ms - (baseline.get(pid) ?? 0);
      return total;
    },
  };
}
