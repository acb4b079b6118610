import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { type Kysely, sql } from 'kysely';
import { freePort, openPostgres } from '../src/db/index.js';
import { insertProduct } from '../src/service/catalog/store.js';
import type { ServiceDatabase } from '../src/service/index.js';
import { benchDatabase } from './lib/database.js';
import { buildDist } from './lib/dist.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread } from './lib/measure.js';
import { ownDatabase } from './lib/own-database.js';
import { publish } from './lib/report.js';

/** autocannon's connections (issue #32: 10). */
const CONNECTIONS = 10;
/** Seconds of load per method per round. */
const SECONDS = Number(process.env.STRATA_BENCH_SERVICE_SECONDS ?? sized(10, 2));
const ROUNDS = sized(5, 2);
const PRODUCTS = sized(1000, 100);
/**
 * For investigating: `STRATA_BENCH_SERVICE_ONLY=one` (or `list`, `patch`, comma-separated) runs only
 * those requests, prints their ratios and writes no results.
 */
const ONLY = process.env.STRATA_BENCH_SERVICE_ONLY?.split(',').filter(Boolean) as Kind[] | undefined;
/** The acceptance of issue #32 for GET /products/:id. */
const TARGET = 0.85;

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/strata.js');
const baselineServer = join(root, 'bench/lib/service-baseline.mjs');

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  /** Lines written to stdout (the request log) so far. */
  lines(): number;
  /** The admin token strata serve printed (strata only). */
  readonly token?: string;
}

/** Starts a server process (stdout, its log, is read and counted: a pipe, as under a process manager) and waits for its URL. */
function start(args: readonly string[], env: NodeJS.ProcessEnv, ready: RegExp, strata: boolean): Promise<Server> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) lines++;
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const url = ready.exec(err)?.[1];
      const token = /^export TOKEN=(\S+)$/m.exec(err)?.[1];
      if (url && (!strata || token)) resolve({ child, url, lines: () => lines, ...(token ? { token } : {}) });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Load {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly requests: number;
}

type Kind = 'one' | 'list' | 'patch';

/**
 * `SECONDS` of autocannon with `CONNECTIONS` connections against one server. GET /products/:id
 * cycles through the products; PATCH takes a product no other connection is patching, sends
 * If-Match with the version its last response gave, and returns it with the new version.
 */
async function load(server: Server, kind: Kind, ids: readonly string[], versions: Map<string, number>): Promise<Load> {
  const auth: Record<string, string> = server.token ? { authorization: `Bearer ${server.token}` } : {};
  let next = 0;
  let stock = 0;
  const free = [...ids];
  const requests =
    kind === 'one'
      ? [{ method: 'GET', setupRequest: (r: object) => ({ ...r, path: `/products/${ids[next++ % ids.length]}` }) }]
      : kind === 'list'
        ? [{ method: 'GET', path: '/products?limit=50' }]
        : [
            {
              method: 'PATCH',
              setupRequest: (r: object) => {
                const id = free.shift() as string;
                return {
                  ...r,
                  path: `/products/${id}`,
                  headers: { ...auth, 'content-type': 'application/json', 'if-match': `"${versions.get(id)}"` },
                  body: JSON.stringify({ stock: ++stock }),
                };
              },
              onResponse: (status: number, body: string) => {
                if (status !== 200) return;
                const row = JSON.parse(body) as { id: string; version: number };
                versions.set(row.id, row.version);
                free.push(row.id);
              },
            },
          ];
  const before = server.lines();
  const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: SECONDS, headers: auth, requests });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${server.url} ${kind}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  lineCounts.push({ server: server.token ? 'strata' : 'baseline', lines: server.lines() - before, requests: result.requests.total });
  return { reqPerSec: result.requests.total / result.duration, p50Ms: result.latency.p50, requests: result.requests.total };
}

const lineCounts: { server: string; lines: number; requests: number }[] = [];

/**
 * strata's service (`strata serve`, compiled, default logging, a bearer token on every request) vs a
 * minimal Fastify + pg app (Fastify's default logger), both as processes of their own on the same
 * database and rows, loaded by autocannon in rotating rounds: GET /products/:id, a 50-item list
 * page, and PATCH /products/:id with If-Match.
 */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const own = await ownDatabase(target.url, 'strata_bench_service');
  const home = await mkdtemp(join(tmpdir(), 'strata-bench-service-'));
  const servers: Server[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    await buildDist();
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: own.url, STRATA_HOME: home, STRATA_RATE_LIMIT: '1000000', LOG_FORMAT: 'json' };
    delete env.LOG_LEVEL;
    delete env.NODE_OPTIONS;
    const strata = await start([bin, 'serve', '--port', String(await freePort())], env, /serving on (http:\S+)/, true);
    servers.push(strata);
    // strata serve migrated the database; the rows both servers read and write.
    const database = await openPostgres<ServiceDatabase>(own.url, { max: 2 });
    const ids: string[] = [];
    const versions = new Map<string, number>();
    try {
      const db = database.db as Kysely<ServiceDatabase>;
      for (let i = 0; i < PRODUCTS; i++) {
        const row = await insertProduct(db, {
          sku: `S-${i}`,
          name: `Service bench ${i}`,
          description: 'd'.repeat(200),
          price: BigInt(1000 + i),
          currency: 'EUR',
          stock: i,
          tags: ['bench', `t${i % 7}`],
        });
        ids.push(row.id);
        versions.set(row.id, row.version);
      }
      await sql`VACUUM ANALYZE products_all`.execute(db);
    } catch (err) {
      await database.close();
      throw err;
    }
    /**
     * Responses in flight when a run ends are not read: each PATCH run starts from the versions
     * stored, and each server patches a half of the products of its own (an update still
     * committing after its run ended never moves a version the other server's run is about to send).
     */
    const refreshVersions = async () => {
      const { rows } = await sql<{ id: string; version: number }>`SELECT id, version FROM products`.execute(database.db);
      for (const r of rows) versions.set(r.id, r.version);
    };
    closers.push(() => database.close());
    const baseline = await start([baselineServer, String(await freePort()), own.url], process.env, /listening on (http:\S+)/, false);
    servers.push(baseline);
    const runs: Record<string, Load[]> = {};
    const measure = (name: string, server: Server, kind: Kind) =>
      ONLY && !ONLY.includes(kind)
        ? undefined
        : async () => {
            if (kind === 'patch') await refreshVersions();
            const half = Math.floor(ids.length / 2);
            const patched = server === strata ? ids.slice(0, half) : ids.slice(half);
            const result = await load(server, kind, kind === 'patch' ? patched : ids, versions);
            runs[name] = [...(runs[name] ?? []), result];
            return result.reqPerSec;
          };
    const s = await measureRounds(ROUNDS, {
      strataOne: measure('strataOne', strata, 'one'),
      baseOne: measure('baseOne', baseline, 'one'),
      strataList: measure('strataList', strata, 'list'),
      baseList: measure('baseList', baseline, 'list'),
      strataPatch: measure('strataPatch', strata, 'patch'),
      basePatch: measure('basePatch', baseline, 'patch'),
    });
    if (ONLY) {
      for (const [strataKey, baseKey] of [
        ['strataOne', 'baseOne'],
        ['strataList', 'baseList'],
        ['strataPatch', 'basePatch'],
      ] as const) {
        if (s[strataKey].length === 0) continue;
        const per = roundRatios(s[strataKey], s[baseKey]).map((r) => r.toFixed(3));
        process.stderr.write(
          `bench: ${strataKey} vs ${baseKey}: ${ratio(s[strataKey], s[baseKey]).toFixed(3)} (rounds ${per.join(', ')}); no results written\n`,
        );
      }
      return;
    }
    // The warm-up run is the first of each method: not counted.
    const p50 = (name: string) => median((runs[name] ?? []).slice(1).map((r) => r.p50Ms));
    const linesPer = (server: string) => {
      const counted = lineCounts.filter((c) => c.server === server);
      return (
        counted.reduce((a, c) => a + c.lines, 0) /
        Math.max(
          1,
          counted.reduce((a, c) => a + c.requests, 0),
        )
      );
    };
    const one = ratio(s.strataOne, s.baseOne);
    const row = (request: string, strataKey: keyof typeof s, baseKey: keyof typeof s) => ({
      request,
      'minimal Fastify + pg req/s (baseline)': Math.round(median(s[baseKey])),
      'strata serve req/s': Math.round(median(s[strataKey])),
      'strata vs baseline': Number(ratio(s[strataKey], s[baseKey]).toFixed(3)),
      'per-round ratios': spread(roundRatios(s[strataKey], s[baseKey]), 3),
      'baseline p50 ms': p50(baseKey),
      'strata p50 ms': p50(strataKey),
    });
    await publish({
      name: 'service',
      title: 'Service overhead: strata serve vs a minimal Fastify + pg app (autocannon, separate processes)',
      database: target.label,
      columns: [
        'request',
        'minimal Fastify + pg req/s (baseline)',
        'strata serve req/s',
        'strata vs baseline',
        'per-round ratios',
        'baseline p50 ms',
        'strata p50 ms',
      ],
      rows: [
        row('GET /products/:id', 'strataOne', 'baseOne'),
        row('GET /products?limit=50', 'strataList', 'baseList'),
        row('PATCH /products/:id (If-Match)', 'strataPatch', 'basePatch'),
      ],
      checks: [
        {
          claim: `GET /products/:id through strata serve keeps >= ${TARGET}x of the minimal app's requests per second, both with their default logging (measured ${one.toFixed(3)}x)`,
          holds: one >= TARGET,
        },
      ],
      notes: [
        methodNote(ROUNDS),
        `Each run: autocannon ${SECONDS} s, ${CONNECTIONS} connections, against a server process of its own that stays up for the whole benchmark (both started before the warm-up); req/s = requests answered / seconds; every run must answer 2xx only (checked). ${PRODUCTS} products (200-character description, 2 tags).`,
        `strata: \`node bin/strata.js serve\` compiled (dist/ built first), its default logging (LOG_LEVEL unset: info, JSON lines on stdout), its query observer and metrics, \`Authorization: Bearer <admin token>\` on every request (checked against the database per request unless strata caches it: see docs/service.md), STRATA_RATE_LIMIT=1000000 (the limiter runs; the default 100/s would answer 429 to this load). Log lines per request: ${linesPer('strata').toFixed(2)}.`,
        `Baseline: bench/lib/service-baseline.mjs, \`Fastify({ logger: true })\` (Fastify's default: pino at info on stdout, two lines per request) and a \`pg.Pool\` of 10 (strata's default pool size), one statement per request, no auth, no metrics, JSON.stringify of the row (int8 as a string, pg's default). Log lines per request: ${linesPer('baseline').toFixed(2)}. Both servers' stdout is a pipe read by the benchmark (as under a process manager).`,
        'GET /products/:id cycles through every product; GET /products?limit=50: the first page in id order (strata: its default sort `created`, i.e. by id, with a keyset cursor; baseline: ORDER BY id LIMIT 50).',
        "PATCH /products/:id: each request changes `stock` of a product no other connection is patching at that moment, with If-Match carrying the version its last response returned. strata: the route validates the body and If-Match, runs the update in a transaction acting for the principal (so the history row records actor and request id), and returns the DTO with its ETag. Its idempotency is If-Match itself: a repeated PATCH finds the version moved on and is refused (412), nothing is written twice; PATCH takes no Idempotency-Key (the idempotency wrapper returns at once for it). Baseline: `UPDATE products SET stock = $2 WHERE id = $1 AND version = $3 RETURNING ...` (an implicit transaction, no actor). Both update the same table, whose history trigger writes a version row for every update: strata's PATCH includes history and If-Match idempotency; the baseline pays for the same history rows, without actor or request id.",
        'The machine is shared (2 cores; the benchmark, both servers and PostgreSQL compete for them): compare ratios within this run, not req/s across runs.',
      ],
    });
  } finally {
    for (const server of servers) await stop(server.child);
    for (const close of closers) await close();
    await own.drop().catch(() => undefined);
    await rm(home, { recursive: true, force: true });
    await target.close();
  }
}
