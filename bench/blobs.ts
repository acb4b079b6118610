import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'kysely';
import pg from 'pg';
import {
  type AttachmentRecord,
  type BackendName,
  type BlobBackend,
  type BlobStore,
  collectGarbage,
  createBlobStore,
  fsBackend,
  postgresBackend,
  s3Backend,
} from '../src/blobs/index.js';
import { type Database, freePort, openPostgres } from '../src/db/index.js';
import { benchDatabase } from './lib/database.js';
import { buildDist } from './lib/dist.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread } from './lib/measure.js';
import { postJson, processMemory, resetPeak, SyntheticObject, streamDown, streamUp } from './lib/media-transfer.js';
import { ownDatabase } from './lib/own-database.js';
import { type Cell, publish } from './lib/report.js';

setFlagsFromString('--expose-gc');
/** A full garbage collection, so a memory figure starts from live objects only. */
const collect = runInNewContext('gc') as () => void;

const KIB = 1024;
const MIB = KIB * KIB;
const ROUNDS = sized(3, 2);
/** Object sizes and how many objects one round writes and reads. */
const CLASSES = [
  { label: '1 KiB', size: KIB, count: sized(200, 20) },
  { label: '1 MiB', size: MIB, count: sized(30, 3) },
  { label: sized('100 MiB', '4 MiB'), size: sized(100 * MIB, 4 * MIB), count: 1 },
] as const;
/** What one service run uploads and downloads (acceptance 1 of issue #26: 1 GiB). */
const SERVICE_BYTES = Number(process.env.STRATA_BENCH_SERVICE_MIB ?? sized(1024, 32)) * MIB;
/** Which service runs (default all): a comma-separated subset of baseline, fs, postgres, s3. */
const SERVICE_RUNS = (process.env.STRATA_BENCH_SERVICE_RUNS ?? 'baseline,fs,postgres,s3').split(',');
/** How often the service's VmRSS is sampled during a transfer. */
const SAMPLE_MS = 50;
/** What the database-growth figure stores per method. */
const GROWTH_OBJECTS = sized(3, 2);
/** `library` (throughput, memory, database growth), `service` (strata serve under a 1 GiB transfer), or both (default). */
const PART = process.env.STRATA_BENCH_PART ?? 'all';
/** The issue's budget for the service's peak RSS: 150 MB. */
const BUDGET_BYTES = 150e6;

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/strata.js');
const rawServer = join(root, 'bench/lib/raw-media-server.mjs');

/** A way of storing and reading whole objects: strata's store on a backend, or a baseline. */
interface Method {
  readonly name: string;
  write(object: SyntheticObject): Promise<string>;
  read(handle: string): Promise<number>;
  remove(handles: readonly string[]): Promise<void>;
}

async function drain(stream: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}

function strataMethod(store: BlobStore, backend: BackendName): Method {
  const made = new Map<string, AttachmentRecord>();
  return {
    name: `strata ${backend}`,
    async write(object) {
      const a = await store.attach({ owner: { table: 'bench', id: backend }, role: 'file', source: object.stream() });
      made.set(a.id, a);
      return a.id;
    },
    read: async (id) => drain(await store.open((made.get(id) as AttachmentRecord).blob)),
    async remove(ids) {
      for (const id of ids) await store.detach(id);
      const gc = await collectGarbage(store, { graceMs: 0 });
      if (gc.error) throw gc.error;
    },
  };
}

/** Baseline: the bytes to a temporary file, fsynced, renamed into place (its folder fsynced), read back with a file stream. */
function fileCopyMethod(dir: string): Method {
  return {
    name: 'file copy (baseline)',
    async write(object) {
      const tmp = join(dir, 'tmp', randomUUID());
      const handle = await open(tmp, 'wx');
      for (const chunk of object.chunks()) await handle.write(chunk);
      await handle.sync();
      await handle.close();
      const path = join(dir, 'objects', randomUUID());
      await rename(tmp, path);
      const folder = await open(join(dir, 'objects'), 'r');
      await folder.sync();
      await folder.close();
      return path;
    },
    read: (path) => drain(createReadStream(path, { highWaterMark: 256 * KIB })),
    async remove(paths) {
      for (const path of paths) await unlink(path);
    },
  };
}

/** Baseline: the whole object as one bytea value in one row (in memory whole, both ways). */
function byteaMethod(pool: pg.Pool): Method {
  return {
    name: 'one bytea row (baseline)',
    async write(object) {
      const id = randomUUID();
      await pool.query('INSERT INTO bench_bytea (id, data) VALUES ($1, $2)', [id, Buffer.concat([...object.chunks()])]);
      return id;
    },
    async read(id) {
      const { rows } = await pool.query<{ data: Buffer }>('SELECT data FROM bench_bytea WHERE id = $1', [id]);
      return rows[0]?.data.length ?? 0;
    },
    async remove(ids) {
      await pool.query('DELETE FROM bench_bytea WHERE id = ANY($1)', [ids]);
    },
  };
}

interface S3Settings {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
}

/** Baseline: one PutObject of the whole object and one GetObject, with the SDK alone. */
async function s3RawMethod(s3: S3Settings): Promise<Method & { close(): void }> {
  const { S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    name: 'S3 PutObject (baseline)',
    async write(object) {
      const Key = `raw/${randomUUID()}`;
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: Buffer.concat([...object.chunks()]) }));
      return Key;
    },
    async read(Key) {
      const answer = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }));
      return drain(answer.Body as Readable);
    },
    async remove(keys) {
      for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key }));
    },
    close: () => client.destroy(),
  };
}

function s3FromEnv(): Omit<S3Settings, 'bucket'> | undefined {
  const endpoint = process.env.STRATA_TEST_S3_ENDPOINT;
  if (!endpoint) return undefined;
  return { endpoint, accessKeyId: process.env.STRATA_TEST_S3_ACCESS_KEY ?? '', secretAccessKey: process.env.STRATA_TEST_S3_SECRET_KEY ?? '' };
}

/** One direction of a service run: the process's peak RSS while it ran and how fast it went. */
interface Direction {
  /** VmHWM: reset to the current RSS just before, read just after (the kernel's own peak, nothing missed between samples). */
  readonly peakMiB: number;
  /** The largest VmRSS of the samples taken every SAMPLE_MS meanwhile (a check on the VmHWM figure). */
  readonly sampledMiB: number;
  readonly mibs: number;
}

interface ServiceRun {
  readonly label: string;
  readonly idleMiB: number;
  readonly startPeakMiB: number;
  readonly up: Direction;
  readonly down: Direction;
  /** The download's sha256 equals the upload's (and the service's answer names the same sha256). */
  readonly intact: boolean;
  readonly sha256: string;
}

/** The admin token the first strata serve printed (the bench's database has no principals before it). */
let adminAuth: Record<string, string> | undefined;

/** Starts a server process and waits for the line naming its URL (and strata's admin token). */
function startProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  strata: boolean,
): Promise<{ child: ChildProcess; url: string; auth: Record<string, string> }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const m = ready.exec(err);
      // strata serve on a database without principals creates the admin and prints its token once.
      // Later runs on the same database reuse it.
      const token = /^export TOKEN=(\S+)$/m.exec(err)?.[1];
      if (token) adminAuth = { authorization: `Bearer ${token}` };
      if (m?.[1] && (!strata || adminAuth)) resolve({ child, url: m[1], auth: strata ? (adminAuth ?? {}) : {} });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready: ${err}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Samples a process's VmRSS every SAMPLE_MS until stopped; `max()` is the largest seen since the last `restart()`. */
function rssSampler(pid: number): { restart(): void; max(): number; stop(): void } {
  let max = 0;
  const take = () => {
    const m = processMemory(pid);
    if (m && m.rssMiB > max) max = m.rssMiB;
  };
  const timer = setInterval(take, SAMPLE_MS);
  return {
    restart() {
      max = 0;
      take();
    },
    max() {
      take();
      return max;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * One upload and one download of `SERVICE_BYTES` through a server process: its RSS once started
 * and idle, its peak during start-up, then per direction its peak (VmHWM, reset just before) and
 * the largest of its VmRSS samples, and the MiB/s; the bytes are checked by sha256 both ways.
 */
async function serviceRun(label: string, args: readonly string[], env: NodeJS.ProcessEnv, strata: boolean): Promise<ServiceRun> {
  process.stderr.write(`bench: ${label}: ${SERVICE_BYTES / MIB} MiB up and down\n`);
  const { child, url, auth } = await startProcess(args, env, /(?:serving|listening) on (http:\/\/\S+)/, strata);
  const pid = child.pid as number;
  const sampler = rssSampler(pid);
  try {
    let upUrl = `${url}/up`;
    if (strata) {
      const product = await postJson<{ id: string }>(
        `${url}/products`,
        {
          sku: `BENCH-${randomUUID()}`,
          name: 'bench',
          price: 100,
          currency: 'EUR',
        },
        auth,
      );
      if (product.status !== 201) throw new Error(`bench: POST /products answered ${product.status}`);
      upUrl = `${url}/products/${product.json.id}/images`;
    }
    await new Promise((r) => setTimeout(r, 1000));
    const idle = processMemory(pid);
    const direction = async <T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakMiB: number; sampledMiB: number }> => {
      if (!resetPeak(pid)) throw new Error('bench: the service memory figures need Linux /proc (VmRSS, VmHWM, clear_refs)');
      sampler.restart();
      const started = process.hrtime.bigint();
      const result = await work();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { result, seconds, peakMiB: processMemory(pid)?.peakMiB ?? Number.NaN, sampledMiB: sampler.max() };
    };
    if (!idle) throw new Error('bench: the service memory figures need Linux /proc (VmRSS, VmHWM, clear_refs)');
    const object = new SyntheticObject(SERVICE_BYTES);
    const up = await direction(() => streamUp(upUrl, object.chunks(), { 'content-type': 'image/png', 'content-length': String(SERVICE_BYTES), ...auth }));
    if (up.result.status !== 201) throw new Error(`bench: ${label}: the upload answered ${up.result.status}: ${up.result.body.slice(0, 300)}`);
    const answer = strata ? (JSON.parse(up.result.body) as { url: string; sha256: string }) : undefined;
    const downUrl = answer ? `${url}${answer.url}` : `${url}/down`;
    const down = await direction(() => streamDown(downUrl, auth));
    const mibs = (seconds: number) => SERVICE_BYTES / MIB / seconds;
    return {
      label,
      idleMiB: idle.rssMiB,
      startPeakMiB: idle.peakMiB,
      up: { peakMiB: up.peakMiB, sampledMiB: up.sampledMiB, mibs: mibs(up.seconds) },
      down: { peakMiB: down.peakMiB, sampledMiB: down.sampledMiB, mibs: mibs(down.seconds) },
      intact:
        up.result.bytes === SERVICE_BYTES &&
        down.result.status === 200 &&
        !down.result.incomplete &&
        down.result.bytes === SERVICE_BYTES &&
        down.result.sha256 === up.result.sha256 &&
        (answer === undefined || answer.sha256 === up.result.sha256),
      sha256: up.result.sha256,
    };
  } finally {
    sampler.stop();
    await stopProcess(child);
  }
}

/** MiB a method adds to this process's resident memory while one object of `size` goes in and out (one untimed run). */
async function inFlight(method: Method, size: number): Promise<number> {
  collect();
  await new Promise((r) => setTimeout(r, 200));
  collect();
  const before = processMemory(process.pid);
  if (!before || !resetPeak(process.pid)) return Number.NaN;
  const handle = await method.write(new SyntheticObject(size));
  await method.read(handle);
  const after = processMemory(process.pid);
  await method.remove([handle]);
  return (after?.peakMiB ?? Number.NaN) - before.rssMiB;
}

const fixed = (n: number, digits = 1) => Number(n.toFixed(digits));

/**
 * Blob storage: write and read throughput of 1 KiB, 1 MiB and 100 MiB objects through strata's
 * store on each backend against a file copy, a single-row bytea and (with a test S3 store) a raw
 * PutObject/GetObject; memory per object in flight; database and WAL growth per GiB stored; and the
 * peak RSS of `strata serve` moving 1 GiB up and down on each backend against bare Node doing the same.
 */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const own = await ownDatabase(target.url, 'strata_bench_blobs');
  const database: Database = await openPostgres(own.url, { max: 4, statementTimeoutMs: 0 });
  const pool = new pg.Pool({ connectionString: own.url, max: 2 });
  const dir = await mkdtemp(join(tmpdir(), 'strata-blobs-bench-'));
  const s3Env = s3FromEnv();
  const s3 = s3Env ? { ...s3Env, bucket: `strata-bench-${randomBytes(4).toString('hex')}` } : undefined;
  const closers: (() => unknown)[] = [];
  try {
    await mkdir(join(dir, 'copy', 'tmp'), { recursive: true });
    await mkdir(join(dir, 'copy', 'objects'), { recursive: true });
    await pool.query('CREATE TABLE bench_bytea (id uuid PRIMARY KEY, data bytea NOT NULL)');
    // As strata.blob_chunks: stored out of line without a compression attempt (the bytes are random).
    await pool.query('ALTER TABLE bench_bytea ALTER COLUMN data SET STORAGE EXTERNAL');
    const backends: Partial<Record<BackendName, BlobBackend>> = { fs: fsBackend({ dir: join(dir, 'fs') }), postgres: postgresBackend(database) };
    if (s3)
      backends.s3 = await s3Backend({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        prefix: 'strata/',
        createBucket: true,
      });
    closers.push(() => Promise.all(Object.values(backends).map((b) => b?.close?.())));
    const store = (writeTo: BackendName) => createBlobStore(database.db, { backends, writeTo });
    const baseline = fileCopyMethod(join(dir, 'copy'));
    const methods: Method[] = [baseline, strataMethod(store('fs'), 'fs'), byteaMethod(pool), strataMethod(store('postgres'), 'postgres')];
    if (s3) {
      const raw = await s3RawMethod(s3);
      closers.push(() => raw.close());
      methods.push(raw, strataMethod(store('s3'), 's3'));
    }

    const big = CLASSES[CLASSES.length - 1] as (typeof CLASSES)[number];
    // 1. Memory per object in flight (the largest class), one untimed run per method, in this process, before anything else ran in it.
    const memoryRows: Record<string, Cell>[] = [];
    for (const m of PART === 'service' ? [] : methods) {
      process.stderr.write(`bench: memory of ${m.name} for one ${big.label} object\n`);
      memoryRows.push({ method: m.name, [`MiB added for one ${big.label} object written and read`]: fixed(await inFlight(m, big.size)) });
    }

    // 2. Throughput per object size.
    const rows: Record<string, Cell>[] = [];
    const ratioNotes: string[] = [];
    for (const c of PART === 'service' ? [] : CLASSES) {
      process.stderr.write(`bench: ${c.label} objects, ${c.count} per round\n`);
      const readSets = new Map<string, string[]>();
      for (const m of methods) {
        const handles: string[] = [];
        for (let i = 0; i < c.count; i++) handles.push(await m.write(new SyntheticObject(c.size)));
        readSets.set(m.name, handles);
      }
      const measures: Record<string, () => Promise<number>> = {};
      for (const m of methods) {
        measures[`${m.name} write`] = async () => {
          const objects = Array.from({ length: c.count }, () => new SyntheticObject(c.size));
          const handles: string[] = [];
          const started = process.hrtime.bigint();
          for (const o of objects) handles.push(await m.write(o));
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          await m.remove(handles);
          return c.count / seconds;
        };
        measures[`${m.name} read`] = async () => {
          const handles = readSets.get(m.name) ?? [];
          const started = process.hrtime.bigint();
          for (const h of handles) if ((await m.read(h)) !== c.size) throw new Error(`bench: ${m.name} read a wrong length`);
          return handles.length / (Number(process.hrtime.bigint() - started) / 1e9);
        };
      }
      const s = await measureRounds(ROUNDS, measures);
      const of = (name: string, way: string) => s[`${name} ${way}`] ?? [];
      for (const m of methods) {
        const w = of(m.name, 'write');
        const r = of(m.name, 'read');
        const vs = m === baseline;
        rows.push({
          object: c.label,
          method: m.name,
          'writes/s': fixed(median(w)),
          'write MiB/s': fixed((median(w) * c.size) / MIB),
          'reads/s': fixed(median(r)),
          'read MiB/s': fixed((median(r) * c.size) / MIB),
          'write vs file copy': vs ? 1 : fixed(ratio(w, of(baseline.name, 'write')), 2),
          'read vs file copy': vs ? 1 : fixed(ratio(r, of(baseline.name, 'read')), 2),
        });
        if (!vs)
          ratioNotes.push(
            `${c.label} ${m.name}: per-round ratios vs file copy, write ${spread(roundRatios(w, of(baseline.name, 'write')))}, read ${spread(roundRatios(r, of(baseline.name, 'read')))}`,
          );
      }
      for (const m of methods) await m.remove(readSets.get(m.name) ?? []);
    }

    // 3. Database and WAL growth per GiB stored.
    const growthRows: Record<string, Cell>[] = [];
    for (const m of PART === 'service' ? [] : methods.filter((x) => x !== baseline && !x.name.startsWith('S3'))) {
      const state = async () =>
        (await pool.query<{ size: string; lsn: string }>('SELECT pg_database_size(current_database())::text AS size, pg_current_wal_insert_lsn()::text AS lsn'))
          .rows[0] as { size: string; lsn: string };
      await pool.query('CHECKPOINT').catch(() => undefined);
      const before = await state();
      const handles: string[] = [];
      for (let i = 0; i < GROWTH_OBJECTS; i++) handles.push(await m.write(new SyntheticObject(big.size)));
      const after = await state();
      const { rows: wal } = await pool.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1, $2)::text AS bytes', [after.lsn, before.lsn]);
      const stored = GROWTH_OBJECTS * big.size;
      growthRows.push({
        method: m.name,
        'database growth per GiB stored (GiB)': fixed((Number(after.size) - Number(before.size)) / stored, 3),
        'WAL per GiB stored (GiB)': fixed(Number(wal[0]?.bytes ?? Number.NaN) / stored, 3),
      });
      await m.remove(handles);
    }

    // 4. The service: 1 GiB up and down through `strata serve` (compiled), per backend, against bare Node.
    const runs: ServiceRun[] = [];
    const port = async () => String(await freePort());
    if (PART !== 'library') await buildDist();
    if (PART !== 'library' && SERVICE_RUNS.includes('baseline')) {
      runs.push(await serviceRun('bare Node http + file (baseline)', [rawServer, await port(), dir], {}, false));
    }
    const serviceBackends = (['fs', 'postgres', 's3'] as const).filter((b) => PART !== 'library' && SERVICE_RUNS.includes(b) && (b !== 's3' || s3));
    const allStore = store('fs');
    for (const backend of serviceBackends) {
      const env: NodeJS.ProcessEnv = {
        DATABASE_URL: own.url,
        STRATA_BLOBS: backend,
        STRATA_BLOBS_DIR: join(dir, 'fs'),
        STRATA_BLOBS_MAX_BYTES: String(SERVICE_BYTES),
        // The bucket only for the s3 run: a service without one never loads the AWS SDK.
        ...(s3 && backend === 's3'
          ? {
              STRATA_S3_BUCKET: s3.bucket,
              STRATA_S3_ENDPOINT: s3.endpoint,
              STRATA_S3_PREFIX: 'strata/',
              AWS_ACCESS_KEY_ID: s3.accessKeyId,
              AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
            }
          : {}),
      };
      // As a user starts it: no NODE_OPTIONS (README's default), whatever the bench's own process has.
      env.NODE_OPTIONS = process.env.STRATA_BENCH_SERVICE_NODE_OPTIONS ?? '';
      runs.push(await serviceRun(`strata serve, STRATA_BLOBS=${backend}`, [bin, 'serve', '--port', await port()], env, true));
      // Leave nothing behind for the next run: release the images and collect them.
      await sql`DELETE FROM strata.attachments WHERE owner_table = 'products'`.execute(database.db);
      const gc = await collectGarbage(allStore, { graceMs: 0 });
      if (gc.error) throw gc.error;
    }
    const serviceRows = runs.flatMap((r) =>
      (['up', 'down'] as const).map((way) => ({
        process: r.label,
        direction: way === 'up' ? 'upload' : 'download',
        'idle RSS MiB': fixed(r.idleMiB),
        'peak during start MiB': fixed(r.startPeakMiB),
        'peak RSS MiB (VmHWM)': fixed(r[way].peakMiB),
        'largest sampled VmRSS MiB': fixed(r[way].sampledMiB),
        'added to idle MiB': fixed(r[way].peakMiB - r.idleMiB),
        'MiB/s': fixed(r[way].mibs),
        'download sha256 = upload sha256': r.intact ? 'yes' : 'NO',
      })),
    );
    const strataRuns = runs.filter((r) => r.label.startsWith('strata'));

    await publish({
      name: PART === 'all' ? 'blobs' : `blobs-${PART}`,
      title: 'Blob storage: throughput per backend, memory, database growth, and the service under a 1 GiB transfer',
      database: target.label,
      columns: ['object', 'method', 'writes/s', 'write MiB/s', 'reads/s', 'read MiB/s', 'write vs file copy', 'read vs file copy'],
      rows,
      tables: [
        {
          title: `Memory: one ${big.label} object written and read (added to this process's RSS, peak)`,
          columns: Object.keys(memoryRows[0] ?? {}),
          rows: memoryRows,
        },
        {
          title: `Database growth per GiB stored (${GROWTH_OBJECTS} objects of ${big.label})`,
          columns: ['method', 'database growth per GiB stored (GiB)', 'WAL per GiB stored (GiB)'],
          rows: growthRows,
        },
        {
          title: `The service: ${SERVICE_BYTES / MIB} MiB uploaded and downloaded through one process`,
          columns: Object.keys(serviceRows[0] ?? {}),
          rows: serviceRows,
        },
      ].filter((t) => t.rows.length > 0),
      checks: [
        ...strataRuns.flatMap((r) => [
          {
            claim: `${r.label}: peak RSS under 150 MB (${fixed(BUDGET_BYTES / MIB)} MiB) through start-up (measured ${fixed(r.startPeakMiB)} MiB)`,
            holds: r.startPeakMiB * MIB < BUDGET_BYTES,
          },
          ...(['up', 'down'] as const).map((way) => ({
            claim: `${r.label}: peak RSS under 150 MB (${fixed(BUDGET_BYTES / MIB)} MiB) during the ${SERVICE_BYTES / MIB} MiB ${way === 'up' ? 'upload' : 'download'} (measured ${fixed(r[way].peakMiB)} MiB)`,
            holds: r[way].peakMiB * MIB < BUDGET_BYTES,
          })),
        ]),
        // Only when the service part ran: an empty list would make the claim hold vacuously.
        ...(runs.length === 0
          ? []
          : [
              {
                claim: `every service transfer returned the bytes sent (sha256 of the download = sha256 of the upload, ${SERVICE_BYTES} bytes each way)`,
                holds: runs.every((r) => r.intact),
              },
            ]),
      ],
      notes: [
        methodNote(ROUNDS),
        `Throughput: one object at a time, ${CLASSES.map((c) => `${c.count} x ${c.label}`).join(', ')} per round; each object has its own bytes (no deduplication). strata's write streams the bytes in 64 KiB pieces and includes sniffing, both hashes and the metadata transaction; its read verifies every block. The file copy writes a temporary file, fsyncs it, renames it and fsyncs the folder (what the fs backend does to the bytes); the bytea baseline holds the whole object in memory and sends it as one parameter.`,
        ...ratioNotes,
        `Memory, database growth and the service are measured once each (not in rounds). Memory is this process's peak RSS (VmHWM, reset after a full GC) minus its RSS before, for one ${big.label} object written and read, the methods one after another in this process before the throughput rounds: memory an earlier method freed and a later one reuses does not show, so these figures are lower bounds; the service table (separate processes) is the one to trust.`,
        `STRATA_BENCH_PART: ${PART} (library: throughput, memory, database growth; service: the strata serve runs; all: both).`,
        ...(runs.length === 0
          ? []
          : [
              `Service runs: ${SERVICE_RUNS.join(', ')} (STRATA_BENCH_SERVICE_RUNS), ${SERVICE_BYTES / MIB} MiB each way (STRATA_BENCH_SERVICE_MIB); NODE_OPTIONS for strata serve: ${process.env.STRATA_BENCH_SERVICE_NODE_OPTIONS ? `\`${process.env.STRATA_BENCH_SERVICE_NODE_OPTIONS}\` (STRATA_BENCH_SERVICE_NODE_OPTIONS: not the default)` : 'unset (the default)'}.`,
            ]),
        `Database growth: pg_database_size and the WAL insert position before and after storing ${GROWTH_OBJECTS} objects of ${big.label} per method.`,
        ...(runs.length === 0
          ? []
          : [
              `The service: \`node bin/strata.js serve\` (what \`npx strata serve\` runs; NODE_OPTIONS unset, as README's default) with dist/ built first (compiled, as installed), DATABASE_URL on its own database (the PostgreSQL server is another process: its memory is not counted), LOG_LEVEL=warn. RSS from /proc/<pid>/status: VmRSS when idle one second after start and a product was created; VmHWM since start (start-up peak); then per direction VmHWM reset with /proc/<pid>/clear_refs just before and read just after, and VmRSS sampled every ${SAMPLE_MS} ms meanwhile. One client, the bytes streamed with backpressure in 64 KiB pieces, Content-Length declared; both sides hash what they send and receive. The baseline is bench/lib/raw-media-server.mjs: node:http piping the upload to a file (fsynced) and the file back.`,
            ]),
        s3
          ? `s3: the test Ceph RGW at ${s3.endpoint} (memstore OSD on this machine; .ci/ceph-rgw).`
          : 's3: not measured in this run (no STRATA_TEST_S3_ENDPOINT; start a store with eval "$(.ci/ceph-rgw start)").',
      ],
    });
  } finally {
    for (const close of closers) await close();
    await pool.end();
    await database.close();
    await own.drop().catch(() => undefined);
    await target.close();
    await rm(dir, { recursive: true, force: true });
  }
}
