import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../src/db/index.js';
import { DEFAULT_BACKFILL, defineMigration, type MigrationEvent, type NamedMigration, type RunOptions } from '../src/migrate/index.js';
import { benchDatabase } from './lib/database.js';
import { median, ratio, roundRatios, sized, spread } from './lib/measure.js';
import type { RunnerReply, RunnerRequest } from './lib/migrate-runner.js';
import { publish } from './lib/report.js';

const ROWS = Number(process.env.STRATA_BENCH_ROWS ?? sized(1_000_000, 20_000));
const WORKERS = 8; // writers, and as many readers
const RATE = sized(25, 10); // requests per second per worker, open loop (scheduled, never waiting for the previous reply)
const BASELINE_S = sized(10, 2);
const LOCK_TIMEOUT_MS = 1000;
const knob = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
/**
 * The backfill's pacing, the runner's defaults unless set: STRATA_BENCH_BATCH (`--batch-size`),
 * STRATA_BENCH_THROTTLE_MS (`--throttle`), STRATA_BENCH_YIELD (`--yield`), STRATA_BENCH_MAX_RATE (`--max-rate`).
 */
const BACKFILL = {
  batchSize: knob('STRATA_BENCH_BATCH') ?? DEFAULT_BACKFILL.batchSize,
  throttleMs: knob('STRATA_BENCH_THROTTLE_MS') ?? DEFAULT_BACKFILL.throttleMs,
  yieldRatio: knob('STRATA_BENCH_YIELD') ?? DEFAULT_BACKFILL.yieldRatio,
  maxRowsPerSecond: knob('STRATA_BENCH_MAX_RATE') ?? DEFAULT_BACKFILL.maxRowsPerSecond,
};
const TABLE = 'mu_items';
/** Acceptance 4's sync trigger cost: a table of its own, rename plus int -> bigint, rounds with the trigger enabled and disabled. */
const SYNC_TABLE = 'mu_sync';
const SYNC_ROWS = sized(100_000, 5_000);
/** Each round: one stretch with the trigger and one without, the order alternating. STRATA_BENCH_SYNC_ROUNDS=0 skips them (development runs of the expand alone). */
const SYNC_ROUNDS = knob('STRATA_BENCH_SYNC_ROUNDS') ?? sized(6, 1);
const SYNC_ROUND_S = sized(5, 1);

const statsOf = (picked: readonly Sample[]) => {
  const ms = picked.map((s) => s.ms).sort((a, b) => a - b);
  return { n: ms.length, p50: pct(ms, 50), p99: pct(ms, 99), p999: pct(ms, 99.9), max: ms.at(-1) ?? 0 };
};

interface Sample {
  phase: string;
  /** The migration step running when the request was scheduled ('' outside a migration). */
  step: string;
  kind: 'insert' | 'update' | 'select';
  ms: number;
}

/** p-th percentile (nearest rank) of sorted values. */
const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The runner in a child process (bench/lib/migrate-runner.ts), as `strata migrate start` runs beside
 * an application: `run` performs one command and passes its events on.
 */
async function runnerProcess(url: string) {
  const child = fork(fileURLToPath(new URL('./lib/migrate-runner.ts', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let listener: (reply: RunnerReply) => void = () => undefined;
  child.on('message', (reply: RunnerReply) => listener(reply));
  await new Promise<void>((resolve) => {
    listener = () => resolve();
  });
  return {
    run(command: RunnerRequest['command'], migration: NamedMigration, options: Omit<RunOptions, 'onEvent'>, onEvent: (e: MigrationEvent) => void) {
      return new Promise<void>((resolve, reject) => {
        listener = (reply) => {
          if (reply.type === 'event') onEvent(reply.event);
          else if (reply.error) reject(new Error(reply.error));
          else resolve();
        };
        child.send({ command, url, migration, options } satisfies RunnerRequest);
      });
    },
    async close() {
      if (child.exitCode !== null || !child.connected) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ command: 'exit' } satisfies RunnerRequest);
      await exited;
    },
  };
}

/**
 * 8 writers and 8 readers at a fixed request rate while the issue's migration runs phase by phase
 * (expand: add column with default, a NOT NULL column filled by backfill, a concurrent index, a
 * foreign key; then contract), then the naive blocking statements under the same load.
 */
export default async function bench(): Promise<void> {
  const loadBefore = loadavg()[0]?.toFixed(2);
  const server = await benchDatabase();
  // A database of its own (created and dropped here): the migration creates the strata schema and version schemas.
  const name = `strata_bench_migrate_${process.pid}`;
  const root = await openPostgres(server.url, { max: 1 });
  await sql.raw(`CREATE DATABASE ${name}`).execute(root.db);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const { rows: version } = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(root.db);
  const target = { url: url.toString(), label: `${server.label}, PostgreSQL ${version[0]?.v ?? '?'}` };
  const admin = await openPostgres(target.url, { max: 4 });
  const db = admin.db;
  const clients: pg.Client[] = [];
  // Started before the load: its start-up (loading TypeScript) is no part of any phase.
  const runner = await runnerProcess(target.url);
  try {
    await sql`CREATE TABLE mu_groups (id integer PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO mu_groups SELECT g FROM generate_series(1, 100) g`.execute(db);
    await sql.raw(`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, qty integer NOT NULL, note text NOT NULL)`).execute(db);
    process.stderr.write(`bench: loading ${ROWS.toLocaleString('en-US')} rows\n`);
    await sql.raw(`INSERT INTO ${TABLE} SELECT g, g % 1000, 'note ' || g FROM generate_series(1, ${ROWS}) g`).execute(db);
    await sql.raw(`VACUUM ANALYZE ${TABLE}`).execute(db);
    await sql.raw(`CREATE TABLE ${SYNC_TABLE} (id bigint PRIMARY KEY, qty integer, note text NOT NULL)`).execute(db);
    await sql.raw(`INSERT INTO ${SYNC_TABLE} SELECT g, g % 1000, 'note ' || g FROM generate_series(1, ${SYNC_ROWS}) g`).execute(db);
    await sql.raw(`VACUUM ANALYZE ${SYNC_TABLE}`).execute(db);

    // The load: one dedicated connection per worker, requests scheduled at a fixed rate; a request's latency runs
    // from its scheduled time (a stalled request delays the ones behind it, and they count it).
    let phase = 'warm-up';
    let step = '';
    let table = TABLE; // the table the load works on (mu_sync during the sync trigger's rounds)
    const ackedSync = new Map<number, number>();
    const stepTimes: { name: string; began: number; ended: number; loopMaxMs: number }[] = [];
    // This process's event loop (the load's timers and replies): a delay here is the load generator's, not the server's.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const closeStep = (t: (typeof stepTimes)[number], now: number) => {
      t.ended = now;
      t.loopMaxMs = loop.max / 1e6;
      loop.reset();
    };
    let stop = false;
    const samples: Sample[] = [];
    const failures: string[] = [];
    const acked = new Map<number, number>(); // inserted id -> qty
    const appPids = new Set<number>();
    for (let i = 0; i < WORKERS * 2; i++) {
      const c = new pg.Client({ connectionString: target.url });
      await c.connect();
      appPids.add((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0);
      clients.push(c);
    }
    const worker = async (c: pg.Client, w: number, writes: boolean) => {
      const interval = 1000 / RATE;
      let next = performance.now();
      for (let i = 0; !stop; i++) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        const scheduled = next;
        next += interval;
        const at = phase;
        const atStep = step;
        const on = table;
        const rows = on === TABLE ? ROWS : SYNC_ROWS;
        const kind = writes ? (i % 2 === 0 ? 'insert' : 'update') : 'select';
        try {
          if (writes && i % 2 === 0) {
            const id = rows + 1 + w * 10_000_000 + i;
            await c.query(`INSERT INTO ${on} (id, qty, note) VALUES ($1, $2, 'w')`, [id, i % 1000]);
            (on === TABLE ? acked : ackedSync).set(id, i % 1000);
          } else if (writes) {
            await c.query(`UPDATE ${on} SET qty = $1 WHERE id = $2`, [i % 1000, 1 + ((w * 7919 + i * 104_729) % rows)]);
          } else {
            await c.query(`SELECT id, qty, note FROM ${on} WHERE id = $1`, [1 + ((w * 15_485_863 + i * 32_452_843) % rows)]);
          }
          samples.push({ phase: at, step: atStep, kind, ms: performance.now() - scheduled });
        } catch (err) {
          failures.push(`${at}: ${(err as Error).message}`);
        }
      }
    };

    // Lock sampler: every 50 ms, application requests waiting for a lock (and for how long), and the
    // exclusive locks (ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ROW EXCLUSIVE, SHARE) granted on the tables, by holder.
    const sampler = await openPostgres(target.url, { max: 1 });
    const lockWaits = new Map<string, { samples: number; maxMs: number }>();
    const held = new Map<string, { phase: string; first: number; last: number; mode: string }>();
    const waits = new Map<string, { samples: number; events: Map<string, number>; runner: Map<string, number> }>();
    let sampling = true;
    const sampling$ = (async () => {
      while (sampling) {
        const now = Date.now();
        const { rows } = await sql<{ pid: number; granted: boolean; mode: string; xid: string; waited_ms: number; relname: string | null }>`
          SELECT l.pid, l.granted, l.mode, coalesce(l.virtualtransaction, '') AS xid, relname,
                 extract(epoch FROM clock_timestamp() - coalesce(a.state_change, a.query_start)) * 1000 AS waited_ms
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid LEFT JOIN pg_class c ON c.oid = l.relation
           WHERE a.datname = current_database() AND l.pid <> pg_backend_pid()
             AND (NOT l.granted OR (l.locktype = 'relation' AND c.relname IN (${TABLE}, 'mu_groups')
                  AND l.mode IN ('AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock')))`.execute(sampler.db);
        // What the application's backends are doing: each active one's wait event (CPU when none), by phase and step.
        const { rows: activity } = await sql<{ pid: number; wait: string }>`
          SELECT pid, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`.execute(sampler.db);
        const key = `${phase}\u0000${step}`;
        const seen = waits.get(key) ?? { samples: 0, events: new Map<string, number>(), runner: new Map<string, number>() };
        seen.samples++;
        for (const a of activity) {
          const into = appPids.has(a.pid) ? seen.events : seen.runner;
          into.set(a.wait, (into.get(a.wait) ?? 0) + 1);
        }
        waits.set(key, seen);
        for (const r of rows) {
          if (!r.granted && appPids.has(r.pid)) {
            const w = lockWaits.get(phase) ?? { samples: 0, maxMs: 0 };
            w.samples++;
            w.maxMs = Math.max(w.maxMs, Number(r.waited_ms));
            lockWaits.set(phase, w);
          } else if (r.granted && !appPids.has(r.pid)) {
            const key = `${r.pid}/${r.xid}/${r.relname}/${r.mode}`;
            const h = held.get(key) ?? { phase, first: now, last: now, mode: `${r.mode} on ${r.relname}` };
            h.last = now;
            held.set(key, h);
          }
        }
        await sleep(Math.max(0, 50 - (Date.now() - now)));
      }
    })();

    const load = [...clients.slice(0, WORKERS).map((c, w) => worker(c, w, true)), ...clients.slice(WORKERS).map((c, w) => worker(c, w, false))];
    const phases: { name: string; seconds: number }[] = [];
    const timedPhase = async (name: string, work: () => Promise<void>) => {
      phase = name;
      step = '';
      const began = performance.now();
      loop.reset();
      stepTimes.push({ name: `${name}: outside the steps`, began, ended: 0, loopMaxMs: 0 });
      step = `${name}: outside the steps`;
      await work();
      phases.push({ name, seconds: (performance.now() - began) / 1000 });
      const last = stepTimes.at(-1);
      if (last && last.ended === 0) closeStep(last, performance.now());
      step = '';
    };
    await sleep(1000);

    // Acceptance 4's last clause: write p99 of the same load with the expand step's sync trigger
    // (rename plus int -> bigint: the old version's writes converted into the shadow column) vs
    // without it (the trigger disabled), in alternating stretches of the same run.
    const syncMigration: NamedMigration = {
      name: '0000_mu_sync',
      migration: defineMigration({ operations: [{ op: 'alter_column', table: SYNC_TABLE, column: 'qty', type: 'bigint', rename: 'amount' }] }),
    };
    const syncRounds: { with: number[]; without: number[] } = { with: [], without: [] };
    const syncP50: { with: number[]; without: number[] } = { with: [], without: [] };
    if (SYNC_ROUNDS > 0) {
      await runner.run('start', syncMigration, { lockTimeoutMs: LOCK_TIMEOUT_MS }, () => undefined);
      const { rows: syncTriggers } = await sql<{ name: string }>`
      SELECT tgname AS name FROM pg_trigger WHERE tgrelid = ${SYNC_TABLE}::regclass AND tgname LIKE '\_strata\_sync%'`.execute(db);
      const syncTrigger = syncTriggers[0]?.name;
      if (!syncTrigger) throw new Error(`no sync trigger on ${SYNC_TABLE} after start`);
      table = SYNC_TABLE;
      for (let r = -1; r < SYNC_ROUNDS; r++) {
        for (const enabled of r % 2 === 0 ? [true, false] : [false, true]) {
          phase = 'sync trigger: toggling';
          await sql.raw(`ALTER TABLE ${SYNC_TABLE} ${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER ${syncTrigger}`).execute(db);
          await sleep(200); // requests scheduled before the toggle finish first
          const label = `sync trigger round ${r} ${enabled ? 'with' : 'without'}`;
          phase = label;
          await sleep(SYNC_ROUND_S * 1000);
          if (r < 0) continue; // the warm-up round is not counted
          const writes = statsOf(samples.filter((x) => x.phase === label && x.kind !== 'select'));
          syncRounds[enabled ? 'with' : 'without'].push(writes.p99);
          syncP50[enabled ? 'with' : 'without'].push(writes.p50);
        }
      }
      phase = 'sync trigger: rollback';
      table = TABLE;
      await sleep(200);
      await sql.raw(`ALTER TABLE ${SYNC_TABLE} ENABLE TRIGGER ${syncTrigger}`).execute(db);
      await runner.run('rollback', syncMigration, { lockTimeoutMs: LOCK_TIMEOUT_MS }, () => undefined);
      await sleep(1000);
    }

    await timedPhase('baseline (no migration)', () => sleep(BASELINE_S * 1000));

    const migration: NamedMigration = {
      name: '0001_mu_expand',
      migration: defineMigration({
        operations: [
          { op: 'add_column', table: TABLE, column: { name: 'status', type: 'text', nullable: false, default: "'new'" } },
          { op: 'add_column', table: TABLE, column: { name: 'score', type: 'bigint', nullable: false, default: '0' }, up: 'qty * 2' },
          {
            op: 'add_column',
            table: TABLE,
            column: { name: 'group_id', type: 'integer', references: { table: 'mu_groups', column: 'id' } },
            up: '(qty % 100) + 1',
          },
          { op: 'create_index', table: TABLE, name: 'mu_items_score', columns: ['score'] },
        ],
      }),
    };
    let backfill = { started: 0, ended: 0, rows: 0 };
    const lockRetries: string[] = [];
    const onEvent = (e: MigrationEvent) => {
      if (e.type === 'step' && !e.skipped) {
        const now = performance.now();
        const last = stepTimes.at(-1);
        if (last && last.ended === 0) closeStep(last, now);
        step = `${e.phase} ${e.index + 1}: ${e.step.description}`;
        stepTimes.push({ name: step, began: now, ended: 0, loopMaxMs: 0 });
      }
      if (e.type === 'backfill') backfill = { ...backfill, ended: performance.now(), rows: e.progress.done };
      else if (e.type === 'step' && e.step.kind === 'backfill') backfill.started = performance.now();
      else if (e.type === 'lock-wait') lockRetries.push(`${e.step} (attempt ${e.attempt}): ${e.blockers}`);
      else if (e.type === 'step' && !e.skipped) process.stderr.write(`bench: ${e.phase} ${e.index + 1}: ${e.step.description}\n`);
    };
    try {
      await timedPhase('expand (strata migrate start)', () => runner.run('start', migration, { lockTimeoutMs: LOCK_TIMEOUT_MS, ...BACKFILL }, onEvent));
      await timedPhase('between (both versions)', () => sleep(BASELINE_S * 500));
      await timedPhase('contract (strata migrate complete)', () => runner.run('complete', migration, { lockTimeoutMs: LOCK_TIMEOUT_MS }, onEvent));
    } finally {
      await runner.close();
    }
    await timedPhase('after (no migration)', () => sleep(BASELINE_S * 1000));
    // The negative control: what a plain SQL migration does, under the same load.
    // The version schema's views depend on every column: the control acts as a team without strata would.
    await sql.raw('DROP SCHEMA public_0001_mu_expand CASCADE').execute(db);
    await timedPhase('NEGATIVE CONTROL: naive ALTER TYPE, CREATE INDEX, ADD CONSTRAINT', async () => {
      await sql.raw(`ALTER TABLE ${TABLE} ALTER COLUMN qty TYPE bigint`).execute(db);
      await sql.raw(`CREATE INDEX mu_items_note ON ${TABLE} (note)`).execute(db);
      await sql.raw(`ALTER TABLE ${TABLE} ADD CONSTRAINT mu_items_group_fk2 FOREIGN KEY (group_id) REFERENCES mu_groups (id)`).execute(db);
    });
    await timedPhase('after control', () => sleep(1000));
    stop = true;
    await Promise.all(load);
    sampling = false;
    await sampling$;
    await sampler.close();

    // Audit: every acknowledged insert is there with its value.
    const ids = [...acked.keys()];
    const { rows: found } = await sql<{ id: string; qty: string }>`SELECT id::text, qty::text FROM ${sql.table(TABLE)} WHERE id = ANY(${ids})`.execute(db);
    const syncIds = [...ackedSync.keys()];
    const { rows: foundSync } = await sql<{
      id: string;
      qty: string;
    }>`SELECT id::text, qty::text FROM ${sql.table(SYNC_TABLE)} WHERE id = ANY(${syncIds})`.execute(db);
    const lost =
      ids.length -
      found.filter((r) => acked.get(Number(r.id)) === Number(r.qty)).length +
      (syncIds.length - foundSync.filter((r) => ackedSync.get(Number(r.id)) === Number(r.qty)).length);
    const { rows: shape } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM ${sql.table(TABLE)} WHERE id <= ${ROWS} AND (score IS NULL OR group_id IS NULL OR status IS NULL)`.execute(db);

    const stats = (name: string) => statsOf(samples.filter((s) => s.phase === name));
    const base = stats('baseline (no migration)');
    const round = (v: number) => Number(v.toFixed(v < 10 ? 2 : 1));
    const maxHeld = (name: string) =>
      [...held.values()]
        .filter((h) => h.phase === name)
        .reduce((m, h) => (h.last - h.first > m.ms ? { ms: h.last - h.first, mode: h.mode } : m), { ms: 0, mode: '' });
    const rows = phases
      .filter((p) => p.name !== 'after control')
      .map((p) => {
        const s = stats(p.name);
        const w = lockWaits.get(p.name);
        const h = maxHeld(p.name);
        return {
          phase: p.name,
          seconds: round(p.seconds),
          requests: s.n,
          'p50 ms': round(s.p50),
          'p99 ms': round(s.p99),
          'p99.9 ms': round(s.p999),
          'max ms': round(s.max),
          'p99 vs baseline': p.name.startsWith('baseline') ? 1 : round(s.p99 / base.p99),
          'lock waits (samples)': w?.samples ?? 0,
          'longest lock wait ms': round(w?.maxMs ?? 0),
          'longest exclusive lock seen ms': h.ms > 0 ? `${h.ms} (${h.mode})` : '0',
        };
      });
    // Where the time goes: every step of the expand and contract with its requests' latency, the
    // application backends' wait events (CPU: active, waiting on nothing) and the runner's.
    const topWaits = (events: Map<string, number> | undefined, samplesTaken: number) =>
      [...(events ?? new Map<string, number>()).entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([event, n]) => `${event} ${round(n / Math.max(1, samplesTaken))}`)
        .join(', ') || '-';
    const stepRows = stepTimes
      .filter((t) => !t.name.startsWith('after control'))
      .map((t) => {
        const s = statsOf(samples.filter((x) => x.step === t.name));
        const byKind = (kind: Sample['kind']) => round(statsOf(samples.filter((x) => x.step === t.name && x.kind === kind)).p99);
        const w = [...waits.entries()].find(([k]) => k.endsWith(`\u0000${t.name}`))?.[1];
        return {
          step: t.name,
          seconds: round((t.ended - t.began) / 1000),
          requests: s.n,
          'p50 ms': round(s.p50),
          'p99 ms': round(s.p99),
          'max ms': round(s.max),
          'p99 vs baseline': s.n > 0 ? round(s.p99 / base.p99) : '-',
          'p99 insert / update / select ms': `${byKind('insert')} / ${byKind('update')} / ${byKind('select')}`,
          'bench event loop max delay ms': round(t.loopMaxMs),
          'application backends waiting on (mean per sample)': topWaits(w?.events, w?.samples ?? 0),
          'other backends (runner, autovacuum)': topWaits(w?.runner, w?.samples ?? 0),
        };
      });
    const phaseWaitRows = phases
      .filter((p) => p.name !== 'after control')
      .map((p) => {
        const all = [...waits.entries()].filter(([k]) => k.startsWith(`${p.name}\u0000`)).map(([, v]) => v);
        const n = all.reduce((a, v) => a + v.samples, 0);
        const merge = (pick: (v: (typeof all)[number]) => Map<string, number>) => {
          const m = new Map<string, number>();
          for (const v of all) for (const [k, c] of pick(v)) m.set(k, (m.get(k) ?? 0) + c);
          return m;
        };
        const kinds = (kind: Sample['kind']) => round(statsOf(samples.filter((x) => x.phase === p.name && x.kind === kind)).p99);
        return {
          phase: p.name,
          'p99 insert / update / select ms': `${kinds('insert')} / ${kinds('update')} / ${kinds('select')}`,
          'application backends waiting on (mean per sample)': topWaits(
            merge((v) => v.events),
            n,
          ),
          'other backends (runner, autovacuum)': topWaits(
            merge((v) => v.runner),
            n,
          ),
        };
      });
    const syncRatio = ratio(syncRounds.with, syncRounds.without);
    const syncRows = (['without', 'with'] as const).map((k) => ({
      'write load on mu_sync (8 writers, 8 readers)': k === 'with' ? 'sync trigger enabled (expand done)' : 'sync trigger disabled (same table)',
      rounds: syncRounds[k].length,
      'write p50 ms (median of rounds)': round(median(syncP50[k])),
      'write p99 ms (median of rounds)': round(median(syncRounds[k])),
      'write p99 vs without': k === 'without' ? 1 : round(syncRatio),
      'per-round ratios':
        k === 'without'
          ? '-'
          : roundRatios(syncRounds.with, syncRounds.without)
              .map((x) => round(x))
              .join(', '),
    }));
    const migrationPhases = ['expand (strata migrate start)', 'between (both versions)', 'contract (strata migrate complete)'];
    const during = migrationPhases.map(stats);
    const worstP99 = Math.max(...during.map((s) => s.p99));
    const worstWait = Math.max(0, ...migrationPhases.map((p) => lockWaits.get(p)?.maxMs ?? 0));
    const worstHeld = Math.max(0, ...migrationPhases.map((p) => maxHeld(p).ms));
    const backfillRate = backfill.rows / Math.max(0.001, (backfill.ended - backfill.started) / 1000);
    const control = stats('NEGATIVE CONTROL: naive ALTER TYPE, CREATE INDEX, ADD CONSTRAINT');
    const migrationFailures = failures.filter((f) => !f.startsWith('NEGATIVE'));
    await publish({
      // DATABASE_URL (PostgreSQL 15 here): migrate-under-load; without it the embedded PostgreSQL 18: migrate-under-load-embedded.
      name: process.env.DATABASE_URL ? 'migrate-under-load' : 'migrate-under-load-embedded',
      title: `Migrations: request latency while a ${ROWS.toLocaleString('en-US')}-row table is migrated (expand / contract) vs baseline, and the naive negative control`,
      database: target.label,
      columns: Object.keys(rows[0] ?? {}),
      rows,
      tables: [
        { title: 'Sync trigger cost (acceptance 4)', columns: Object.keys(syncRows[0] ?? {}), rows: syncRows },
        { title: 'Per phase: p99 by request kind and what the backends wait on', columns: Object.keys(phaseWaitRows[0] ?? {}), rows: phaseWaitRows },
        { title: 'Expand and contract, step by step', columns: Object.keys(stepRows[0] ?? {}), rows: stepRows },
      ],
      checks: [
        { claim: `0 failed requests during the migration (measured ${migrationFailures.length})`, holds: migrationFailures.length === 0 },
        {
          claim: `0 lost writes: every acknowledged insert present with its value (${(ids.length + syncIds.length).toLocaleString('en-US')} checked, ${lost} missing)`,
          holds: lost === 0,
        },
        { claim: `every existing row backfilled right after contract (${shape[0]?.n ?? -1} rows with a NULL new column)`, holds: (shape[0]?.n ?? -1) === 0 },
        {
          claim: `longest request lock wait <= lock_timeout + 50 ms = ${LOCK_TIMEOUT_MS + 50} ms (measured ${round(worstWait)} ms, 50 ms sampling)`,
          holds: worstWait <= LOCK_TIMEOUT_MS + 50,
        },
        { claim: `p99 during every migration phase <= 2x baseline p99 (worst ${round(worstP99 / base.p99)}x)`, holds: worstP99 <= 2 * base.p99 },
        { claim: `every exclusive lock held <= 100 ms (longest seen ${worstHeld} ms, 50 ms sampling)`, holds: worstHeld <= 100 },
        {
          claim: `the sync trigger costs <= 1.3x write p99 (measured ${round(syncRatio)}x, median of ${syncRounds.with.length} rounds, range ${spread(roundRatios(syncRounds.with, syncRounds.without))})`,
          holds: syncRatio <= 1.3,
        },
        { claim: `backfill >= 20,000 rows/s (measured ${Math.round(backfillRate).toLocaleString('en-US')} rows/s)`, holds: backfillRate >= 20_000 },
        {
          claim: `negative control stalls: its max latency ${round(control.max)} ms is above lock_timeout (${LOCK_TIMEOUT_MS} ms)`,
          holds: control.max > LOCK_TIMEOUT_MS,
        },
      ],
      notes: [
        `Open loop: ${WORKERS} writers (alternating INSERT of a new row and UPDATE of an existing one) and ${WORKERS} readers (SELECT by primary key), each on its own connection at ${RATE} requests/s on a fixed schedule; a request's latency runs from its scheduled time, so a stalled request's successors count the stall (no coordinated omission).`,
        'One sequential run (phases cannot rotate, so bench/README.md method of rounds does not apply): baseline, expand, both versions live, contract, after, then the negative control on the same table under the same load.',
        `Migration (expand): add column status text NOT NULL DEFAULT 'new' (catalog only); add column score bigint NOT NULL from qty * 2 (sync trigger, batched backfill: ${BACKFILL.batchSize.toLocaleString('en-US')} keys a batch, after a batch of t ms a pause of max(${BACKFILL.throttleMs} ms, ${BACKFILL.yieldRatio} x t, the time left to stay under ${BACKFILL.maxRowsPerSecond.toLocaleString('en-US')} rows/s), CHECK NOT VALID then VALIDATE); add column group_id with a foreign key (NOT VALID then VALIDATE); CREATE INDEX CONCURRENTLY on score; every statement under lock_timeout ${LOCK_TIMEOUT_MS} ms.`,
        `Backfill: ${backfill.rows.toLocaleString('en-US')} rows in ${round((backfill.ended - backfill.started) / 1000)} s (from the backfill step's start to its last batch).`,
        `Lock waits: pg_locks sampled every 50 ms; a wait is an application connection's lock request not granted, its length now() - state_change of that backend. Exclusive locks: ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ROW EXCLUSIVE and SHARE on the two tables held by a non-application backend, their duration the span between the first and last sample that saw them (0 when seen in one sample only: held < 50 ms).`,
        `Runner lock retries: ${lockRetries.length}${lockRetries.length ? ` (${lockRetries.slice(0, 3).join('; ')})` : ''}. Failed requests in the negative control: ${failures.length - migrationFailures.length}.`,
        "A phase's figures count the requests scheduled in it: the last requests of the phase before the negative control are stalled by the control's locks and show there as its max.",
        `Load average (1 min) of the shared 2-core machine: ${loadBefore} at the start, ${loadavg()[0]?.toFixed(2)} at the end: above 2, other work competed for the cores and the disk, and absolute latencies and the p99 ratio are noisy.`,
        `The runner runs in a child process (bench/lib/migrate-runner.ts), as strata migrate start runs beside an application; the step table's event-loop column is this load generator's own delay. Consecutive short DDL steps run as one transaction: the group's time and requests show under its last step (start 1-5: the added columns, the foreign key NOT VALID and the sync trigger).`,
        `Sync trigger cost: a ${SYNC_ROWS.toLocaleString('en-US')}-row table of its own (${SYNC_TABLE}: id, qty integer, note), migration rename qty to amount plus integer -> bigint started (its sync trigger converts every old-version write into the shadow column); the same load as above moved to it; ${SYNC_ROUNDS} rounds (after a warm-up round) of ${SYNC_ROUND_S} s with the trigger enabled and ${SYNC_ROUND_S} s with it disabled (ALTER TABLE ... DISABLE TRIGGER), the order alternating; the ratio is the median of the per-round ratios of write (insert and update) p99. The migration is rolled back before the main run.`,
      ],
    });
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
    await runner.close();
    await admin.close();
    await sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).execute(root.db);
    await root.close();
    await server.close();
  }
}
