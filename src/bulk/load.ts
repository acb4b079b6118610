import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { columnTypesOf, type Database, emitBulkRows, quoteIdent as q, StrataError, translatePostgresError, writableTable } from '../db/index.js';
import { resolveUpsertTarget } from '../upsert/index.js';
import { type CsvFile, isCsvFile, rawCsvChunks } from './csv-raw.js';
import { copyLine } from './encode.js';
import { ensureLoadTable, linesDone, RECORD_PROGRESS } from './progress.js';
import { rawConnector } from './raw.js';
import { csvSource, type Source, type SourceRecord } from './sources.js';
import { StreamingChunk } from './stream-chunk.js';

export interface BulkProgress {
  /** Rows committed by this run so far. */
  readonly committed: number;
  /** Rows sent to the server (committed or in the current chunk). */
  readonly sent: number;
  /** Rows skipped because an earlier run of the same load committed them. */
  readonly skipped: number;
  readonly rejected: number;
}

export interface BulkOptions {
  /** Columns to load, in order; default: the first record's fields (the CSV header). */
  readonly columns?: readonly string[];
  /** Rows per transaction. Default 50 000. A chunk commits with the load's progress, or not at all. */
  readonly chunkRows?: number;
  /** Names the load so a rerun after a crash resumes after the last committed chunk. */
  readonly loadId?: string;
  /** Bad rows go here (one raw input line each) and the load goes on; without it a bad row stops the load. */
  readonly onReject?: (record: SourceRecord, reason: string) => void | Promise<void>;
  readonly onProgress?: (progress: BulkProgress) => void;
  readonly schema?: string;
}

export interface BulkUpsertOptions extends BulkOptions {
  /** Key columns with a unique index; the last row of a chunk wins when a key repeats. */
  readonly key: readonly string[];
  /** Columns an existing row takes from the input; default every non-key column. */
  readonly update?: readonly string[];
}

/** What a load did; a load stopped by a bad row or a failure reports it here instead of throwing. */
export interface BulkResult {
  readonly rows: number;
  readonly skipped: number;
  readonly rejected: number;
  readonly chunks: number;
  readonly error?: StrataError;
}

interface Plan {
  readonly base: string;
  readonly columns: readonly string[];
  readonly upsert?: { readonly key: readonly string[]; readonly update: readonly string[]; readonly predicate?: string };
  readonly loadId?: string;
  readonly table: string;
}

interface Chunk {
  readonly records: SourceRecord[];
  readonly lines: string[];
}

const MAX_BUFFER = 64 * 1024;

async function copyLines(client: pg.PoolClient, statement: string, lines: readonly string[]): Promise<void> {
  const stream = client.query(copyFrom(statement));
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= MAX_BUFFER) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  stream.end(buffer);
  await finished(stream);
}

function badRow(err: unknown, lineNos: readonly number[]): StrataError {
  const translated = translatePostgresError(err);
  const where = String((err as { where?: string }).where ?? '');
  const copyLineNo = Number(/line (\d+)/.exec(where)?.[1] ?? 0);
  const column = /column (\w+)/.exec(where)?.[1];
  const line = copyLineNo > 0 ? lineNos[copyLineNo - 1] : undefined;
  const at = line !== undefined ? `line ${line}` : `lines ${lineNos[0]}-${lineNos.at(-1)}`;
  return new StrataError(
    'BULK_BAD_ROW',
    `${at}${column ? `, column ${column}` : ''}: ${translated.message}`,
    { ...translated.details, ...(column ? { columns: [column] } : {}) },
    { cause: err },
  );
}

const STAGE = [
  'CREATE TEMP TABLE IF NOT EXISTS strata_bulk_stage (LIKE %BASE% INCLUDING DEFAULTS) ON COMMIT DROP',
  'ALTER TABLE strata_bulk_stage ADD COLUMN IF NOT EXISTS strata_line bigint GENERATED ALWAYS AS IDENTITY',
];

const stageStatements = (plan: Plan) => (plan.upsert ? STAGE.map((t) => t.replace('%BASE%', plan.base)) : []);

const copyStatement = (plan: Plan) => `COPY ${plan.upsert ? 'strata_bulk_stage' : plan.base} (${plan.columns.map((c) => q(c)).join(', ')}) FROM STDIN`;

/** One INSERT ... ON CONFLICT from the staging table; the last staged row of a repeated key wins. */
async function mergeStage(client: pg.PoolClient, plan: Plan): Promise<void> {
  if (!plan.upsert) return;
  const cols = plan.columns.map((c) => q(c)).join(', ');
  const key = plan.upsert.key.map((k) => q(k)).join(', ');
  const rest = plan.upsert.update;
  const set = rest.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ');
  const guard = `ROW(${rest.map((c) => `t.${q(c)}`).join(', ')}) IS DISTINCT FROM ROW(${rest.map((c) => `EXCLUDED.${q(c)}`).join(', ')})`;
  await client.query(
    `INSERT INTO ${plan.base} AS t (${cols})
     SELECT DISTINCT ON (${key}) ${cols} FROM strata_bulk_stage ORDER BY ${key}, strata_line DESC
     ON CONFLICT (${key})${plan.upsert.predicate ? ` WHERE ${plan.upsert.predicate}` : ''} ${rest.length ? `DO UPDATE SET ${set} WHERE ${guard}` : 'DO NOTHING'}`,
  );
}

async function writeUnit(client: pg.PoolClient, plan: Plan, lines: readonly string[]): Promise<void> {
  if (plan.upsert) await client.query('TRUNCATE strata_bulk_stage');
  await copyLines(client, copyStatement(plan), lines);
  await mergeStage(client, plan);
}

/** Writes what it can of a chunk, setting bad rows aside one by one (bisection under savepoints). */
async function writeWithRejects(client: pg.PoolClient, plan: Plan, chunk: Chunk, from: number, to: number, rejects: number[]): Promise<void> {
  await client.query('SAVEPOINT strata_bulk');
  try {
    await writeUnit(client, plan, chunk.lines.slice(from, to));
    await client.query('RELEASE SAVEPOINT strata_bulk');
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT strata_bulk');
    if (to - from === 1) {
      rejects.push(from);
      return;
    }
    const mid = from + Math.ceil((to - from) / 2);
    await writeWithRejects(client, plan, chunk, from, mid, rejects);
    await writeWithRejects(client, plan, chunk, mid, to, rejects);
  }
}

async function commitChunk(database: Database, plan: Plan, chunk: Chunk, options: BulkOptions): Promise<{ rows: number; rejected: SourceRecord[] }> {
  const client = await requireRaw(database)();
  let broken = false;
  try {
    await client.query('BEGIN');
    for (const text of stageStatements(plan)) await client.query(text);
    const rejects: number[] = [];
    if (options.onReject) await writeWithRejects(client, plan, chunk, 0, chunk.lines.length, rejects);
    else await writeUnit(client, plan, chunk.lines);
    const last = chunk.records.at(-1)?.line ?? 0;
    const rows = chunk.lines.length - rejects.length;
    if (plan.loadId) await client.query(RECORD_PROGRESS, [plan.loadId, plan.table, last, rows, 'running']);
    await client.query('COMMIT');
    return { rows, rejected: rejects.map((i) => chunk.records[i]).filter((r): r is SourceRecord => r !== undefined) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err instanceof StrataError
      ? err
      : badRow(
          err,
          chunk.records.map((r) => r.line),
        );
  } finally {
    client.release(broken);
  }
}

const requireRaw = (database: Database) => rawConnector(database, 'bulk loading');

async function planLoad(
  database: Database,
  table: string,
  first: SourceRecord,
  options: BulkOptions,
  key?: readonly string[],
  update?: readonly string[],
): Promise<Plan> {
  const { schema, table: base } = await writableTable(database.db, table, options.schema);
  const known = new Set((await columnTypesOf(database.db, schema, base)).map((c) => c.name));
  const columns = options.columns ?? Object.keys(first.values);
  for (const c of columns) if (!known.has(c)) throw new StrataError('BULK_SOURCE_INVALID', `line ${first.line}: ${table} has no column "${c}"`);
  if (columns.length === 0) throw new StrataError('BULK_SOURCE_INVALID', `line ${first.line}: no columns to load`);
  let upsert: Plan['upsert'];
  if (key) {
    for (const k of key) if (!columns.includes(k)) throw new StrataError('BULK_SOURCE_INVALID', `the input has no key column "${k}"`);
    const target = await resolveUpsertTarget(database.db, table, key, options.schema);
    const updated = update ?? columns.filter((c) => !key.includes(c));
    for (const c of updated) if (!columns.includes(c)) throw new StrataError('BULK_SOURCE_INVALID', `cannot update "${c}": the input has no such column`);
    upsert = { key, update: updated, ...(target.predicate ? { predicate: target.predicate } : {}) };
  }
  return { base: `${q(schema)}.${q(base)}`, columns, table, ...(upsert ? { upsert } : {}), ...(options.loadId ? { loadId: options.loadId } : {}) };
}

/** Ends a streaming chunk's COPY, merges staged rows, records progress and commits, in that one transaction. */
async function commitStreaming(chunk: StreamingChunk, plan: Plan, lastLine: number): Promise<void> {
  await chunk.finish();
  await mergeStage(chunk.client, plan);
  if (plan.loadId) await chunk.client.query(RECORD_PROGRESS, [plan.loadId, plan.table, lastLine, chunk.size, 'running']);
  await chunk.client.query('COMMIT');
  chunk.client.release();
}

function failure(err: unknown): StrataError {
  return err instanceof StrataError
    ? err
    : err instanceof Error && ('severity' in err || 'syscall' in err)
      ? translatePostgresError(err)
      : new StrataError('BULK_SOURCE_INVALID', `the source failed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
}

/** A CSV file straight into COPY … WITH (FORMAT csv): PostgreSQL parses, strata only cuts chunks. */
async function runCsvFile(
  database: Database,
  table: string,
  file: CsvFile,
  options: BulkOptions,
  key?: readonly string[],
  update?: readonly string[],
): Promise<BulkResult> {
  let committed = 0;
  let chunks = 0;
  let skipped = 0;
  let open: StreamingChunk | undefined;
  try {
    await ensureLoadTable(database.db);
    const before = options.loadId ? await linesDone(database.db, options.loadId) : undefined;
    skipped = before?.rows ?? 0;
    let plan: Plan | undefined;
    const onHeader = async (columns: string[]) => {
      plan = await planLoad(database, table, { line: 1, values: Object.fromEntries(columns.map((c) => [c, null])), raw: '' }, options, key, update);
    };
    for await (const chunk of rawCsvChunks(file, options.chunkRows ?? 50_000, before?.lines ?? 0, onHeader)) {
      if (!plan) break;
      const current = await StreamingChunk.open(await requireRaw(database)(), `${copyStatement(plan)} WITH (FORMAT csv)`, stageStatements(plan));
      open = current;
      try {
        await current.addRaw(chunk.data, chunk.startLines);
        await commitStreaming(current, plan, chunk.lastLine);
        open = undefined;
      } catch (err) {
        open = undefined;
        await current.abort();
        throw err instanceof StrataError ? err : badRow(err, current.lineNos);
      }
      committed += chunk.startLines.length;
      chunks++;
      emitBulkRows({ table, rows: chunk.startLines.length });
      options.onProgress?.({ committed, sent: committed, skipped, rejected: 0 });
    }
    if (options.loadId && plan)
      await sql`UPDATE strata_bulk_loads SET status = 'done', updated_at = now() WHERE load_id = ${options.loadId}`.execute(database.db);
    return { rows: committed, skipped, rejected: 0, chunks };
  } catch (err) {
    await open?.abort();
    return { rows: committed, skipped, rejected: 0, chunks, error: failure(err) };
  }
}

async function run(
  database: Database,
  table: string,
  input: Source | CsvFile,
  options: BulkOptions,
  key?: readonly string[],
  update?: readonly string[],
): Promise<BulkResult> {
  if (isCsvFile(input)) {
    if (!options.onReject) return runCsvFile(database, table, input, options, key, update);
    return run(database, table, csvSource(input.input), options, key, update);
  }
  const source = input;
  const chunkRows = options.chunkRows ?? 50_000;
  let committed = 0;
  let skipped = 0;
  let rejected = 0;
  let chunks = 0;
  let sent = 0;
  const report = () => options.onProgress?.({ committed, sent, skipped, rejected });
  let abandon: (() => Promise<void>) | undefined;
  try {
    await ensureLoadTable(database.db);
    const resume = options.loadId ? ((await linesDone(database.db, options.loadId))?.lines ?? 0) : 0;
    let plan: Plan | undefined;
    let chunk: Chunk = { records: [], lines: [] };
    let streaming: StreamingChunk | undefined;
    abandon = async () => {
      const open = streaming;
      streaming = undefined;
      await open?.abort();
    };
    const flush = async () => {
      if (!plan || chunk.lines.length === 0) return;
      const done = await commitChunk(database, plan, chunk, options);
      committed += done.rows;
      chunks++;
      emitBulkRows({ table, rows: done.rows });
      for (const r of done.rejected) {
        rejected++;
        await options.onReject?.(r, 'rejected by the database');
      }
      chunk = { records: [], lines: [] };
      report();
    };
    const closeStreaming = async () => {
      const open = streaming;
      streaming = undefined;
      if (!open || !plan) return;
      try {
        await commitStreaming(open, plan, open.lineNos.at(-1) ?? 0);
      } catch (err) {
        await open.abort();
        throw err instanceof StrataError ? err : badRow(err, open.lineNos);
      }
      committed += open.size;
      chunks++;
      emitBulkRows({ table, rows: open.size });
      report();
    };
    for await (const record of source) {
      if (record.line <= resume) {
        skipped++;
        if (skipped % 100_000 === 0) report();
        continue;
      }
      plan ??= await planLoad(database, table, record, options, key, update);
      const line = copyLine(record.values, plan.columns);
      sent++;
      if (sent % 10_000 === 0) report();
      if (options.onReject) {
        chunk.records.push(record);
        chunk.lines.push(line);
        if (chunk.lines.length >= chunkRows) await flush();
        continue;
      }
      streaming ??= await StreamingChunk.open(await requireRaw(database)(), copyStatement(plan), stageStatements(plan));
      try {
        await streaming.add(line, record.line);
      } catch (err) {
        const open = streaming;
        streaming = undefined;
        await open.abort();
        throw err instanceof StrataError ? err : badRow(err, open.lineNos);
      }
      if (streaming.size >= chunkRows) await closeStreaming();
    }
    await flush();
    await closeStreaming();
    if (options.loadId && plan) {
      const client = await requireRaw(database)();
      try {
        await client.query(`UPDATE strata_bulk_loads SET status = 'done', updated_at = now() WHERE load_id = $1`, [options.loadId]);
      } finally {
        client.release();
      }
    }
    report();
    return { rows: committed, skipped, rejected, chunks };
  } catch (err) {
    await abandon?.();
    return { rows: committed, skipped, rejected, chunks, error: failure(err) };
  }
}

/**
 * Streams rows into a table through COPY FROM STDIN, in chunks that each commit with the load's
 * progress: memory stays flat whatever the size, and a rerun with the same `loadId` after a crash
 * resumes after the last committed chunk (no duplicates, no gaps). Loads into `<table>_all` under
 * soft deletes; history triggers fire once per chunk, not per row.
 *
 * @example
 * const result = await bulkInsert(database, 'products', csvSource(createReadStream('p.csv')), { loadId: 'p.csv' });
 * if (result.error) throw result.error;
 */
export function bulkInsert(database: Database, table: string, source: Source | CsvFile, options: BulkOptions = {}): Promise<BulkResult> {
  return run(database, table, source, options);
}

/**
 * Like bulkInsert, but rows whose key exists update it (only when something differs): each chunk is
 * COPYed into a temporary staging table, then merged with one INSERT ... ON CONFLICT.
 *
 * @example
 * await bulkUpsert(database, 'products', ndjsonSource(stream), { key: ['sku'] });
 */
export function bulkUpsert(database: Database, table: string, source: Source | CsvFile, options: BulkUpsertOptions): Promise<BulkResult> {
  return run(database, table, source, options, options.key, options.update);
}
