import { Readable } from 'node:stream';
import type pg from 'pg';
import { type Database, introspect, type StrataError, type WriteContext } from '../db/index.js';
import { baseTableOf } from '../softdelete/index.js';
import { type CsvFile, isCsvFile, rawCsvRuns } from './csv-raw.js';
import { lineEncoder } from './encode.js';
import { newKey } from './generated-key.js';
import { ChunkPipeline } from './pipeline.js';
import { badRow, failure, type Plan, planLoad, rowCaused } from './plan.js';
import { type DoneLines, ensureLoadTable, MARK_DONE, NOTHING_DONE, resumeLoad } from './progress.js';
import { rawConnector } from './raw.js';
import { commitWithRejects, type HeldChunk } from './rejects.js';
import { csvSource, objectRecord, type Source, type SourceRecord, syncRows } from './sources.js';
import type { StreamingChunk } from './stream-chunk.js';

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
  /**
   * Most rows per transaction. Default 50 000. A chunk commits with the load's progress, or not at
   * all; an insert's chunk ends early when its server is behind and another connection is free.
   */
  readonly chunkRows?: number;
  /**
   * Connections writing chunks at once. Default 2 (or the pool's size if smaller): the server
   * parses one chunk while the next one streams in. 1 loads strictly one chunk after another.
   */
  readonly parallel?: number;
  /**
   * Names the load so a rerun after a crash skips the chunks an earlier run committed, as long as
   * they are still in the table: a TRUNCATE, a rewrite or a drop and create of the table since
   * makes the rerun load them again. A load that finished loads everything again when run again.
   */
  readonly loadId?: string;
  /** Forget what earlier runs of `loadId` committed and load every row (the table is left as it is). */
  readonly restart?: boolean;
  /**
   * Bad rows go here, each with the database's reason naming its line (and column), and the load
   * goes on; without it a bad row stops the load.
   */
  readonly onReject?: (record: SourceRecord, reason: string) => void | Promise<void>;
  readonly onProgress?: (progress: BulkProgress) => void;
  readonly schema?: string;
  /** Who is acting and for which request, recorded by history and soft deletes for every row (each chunk's transaction sets it, as `setWriteContext` does). */
  readonly writeContext?: WriteContext;
}

export interface BulkUpsertOptions extends BulkOptions {
  /** Key columns with a unique index; the last row of a chunk wins when a key repeats. */
  readonly key: readonly string[];
  /** Columns an existing row takes from the input; default every column but the key and the primary key (an existing row keeps its id). */
  readonly update?: readonly string[];
}

/** What a load did; a load stopped by a bad row or a failure reports it here instead of throwing. */
export interface BulkResult {
  /** Rows this run committed. */
  readonly rows: number;
  /** Rows an earlier run of the same load committed (skipped now). */
  readonly skipped: number;
  /** Rows this run set aside (reject mode). */
  readonly rejected: number;
  /** Rows an earlier run of the same load set aside (skipped now, not counted in `skipped`). */
  readonly rejectedEarlier: number;
  readonly chunks: number;
  readonly error?: StrataError;
}

/** Everything a load's run shares: where it resumes, its plan once known, its chunks, its counts. */
class LoadRun {
  plan: Plan | undefined;
  pipeline: ChunkPipeline | undefined;
  current: StreamingChunk | undefined;
  skipped = 0;
  sent = 0;
  rejected = 0;
  heldRows = 0;
  heldChunks = 0;
  failure: StrataError | undefined;
  /** Rows as COPY text lines, encoders chosen from the first record's value types. */
  encode: (values: Readonly<Record<string, unknown>>) => string = () => '';

  constructor(
    readonly connect: () => Promise<pg.PoolClient>,
    readonly database: Database,
    readonly table: string,
    readonly options: BulkOptions,
    readonly done: DoneLines,
    readonly csv: boolean,
    readonly key?: readonly string[],
    readonly update?: readonly string[],
  ) {}

  get committed(): number {
    return (this.pipeline?.rows ?? 0) + this.heldRows;
  }

  report(): void {
    this.options.onProgress?.({ committed: this.committed, sent: this.sent, skipped: this.skipped, rejected: this.rejected });
  }

  /** Counts one row sent (to a chunk or reject mode's held chunk), reporting every 10 000. */
  countSent(): void {
    if (++this.sent % 10_000 === 0) this.report();
  }

  async start(first: SourceRecord): Promise<Plan> {
    const plan = await planLoad(this.database, this.table, first, this.options, this.key, this.update);
    const parallel = Math.max(1, Math.min(this.options.parallel ?? 2, this.database.poolStats().max));
    this.plan = plan;
    const input = lineEncoder(plan.generated ? plan.columns.slice(0, -1) : plan.columns, first.values);
    // A generated key is the last column: each row's line gets a new UUIDv7 before its newline.
    this.encode = plan.generated ? (values) => `${input(values).slice(0, -1)}\t${newKey()}\n` : input;
    this.pipeline = new ChunkPipeline(this.connect, plan, parallel, this.csv, () => this.report());
    return plan;
  }

  /** The open chunk, opening one when needed. */
  async chunk(): Promise<StreamingChunk> {
    if (!this.pipeline) throw new Error('bulk load used before its plan');
    this.current ??= await this.pipeline.open();
    return this.current;
  }

  /**
   * Whether the open chunk, its server behind, may end before `chunkRows`: the producer then moves
   * on to a free connection instead of waiting, so every connection's server keeps parsing. Inserts
   * only: an upsert's chunk boundaries decide which rows meet in one merge (a later row of a key
   * supersedes an earlier one within a chunk), so they must not depend on timing.
   */
  get mayEndEarly(): boolean {
    return !this.plan?.upsert && (this.pipeline?.canOpenAnother ?? false);
  }

  /**
   * Waits while the open chunk's server is behind: until it catches up or, for an insert, until a
   * connection comes free (the next row that finds the chunk still behind then ends it early).
   */
  waitBehind(chunk: StreamingChunk): Promise<void> {
    return this.pipeline ? this.pipeline.behind(chunk, !this.plan?.upsert) : chunk.writable();
  }

  /** Hands the open chunk to the pipeline to commit. */
  cut(lastLine: number): void {
    if (this.current) this.pipeline?.finish(this.current, lastLine);
    this.current = undefined;
  }

  /** Stops the load: the open chunk is rolled back and `error` reported (unless an earlier chunk failed first). */
  async stop(error: StrataError): Promise<void> {
    const open = this.current;
    this.current = undefined;
    if (this.pipeline) await this.pipeline.abandon(open, error);
    else if (!this.failure) this.failure = error;
  }

  /** Waits for every chunk, marks the load done when it succeeded, and says what happened. */
  async end(): Promise<BulkResult> {
    // A chunk still open here was cut short by a failure elsewhere: roll it back, return its connection.
    const open = this.current;
    this.current = undefined;
    await open?.abort();
    const error = this.failure ?? (await this.pipeline?.drain());
    if (!error && this.options.loadId && this.plan) {
      const client = await this.connect();
      try {
        await client.query(MARK_DONE, [this.options.loadId]);
      } finally {
        client.release();
      }
    }
    if (!error) this.report();
    const rejectedEarlier = this.done.rejectedSeen;
    const result = {
      rows: this.committed,
      skipped: this.skipped - rejectedEarlier,
      rejected: this.rejected,
      rejectedEarlier,
      chunks: (this.pipeline?.chunks ?? 0) + this.heldChunks,
    };
    return error ? { ...result, error } : result;
  }
}

/** A CSV file straight into COPY … WITH (FORMAT csv): PostgreSQL parses, strata only cuts chunks. */
async function loadCsvFile(run: LoadRun, file: CsvFile): Promise<void> {
  const onHeader = async (columns: string[]) => {
    const plan = await run.start({ line: 1, values: Object.fromEntries(columns.map((c) => [c, null])), raw: '' });
    return plan.generated ? newKey : undefined;
  };
  const skip = (line: number) => {
    if (!run.done.has(line)) return false;
    run.skipped++;
    return true;
  };
  for await (const piece of rawCsvRuns(file, run.options.chunkRows ?? 50_000, skip, onHeader)) {
    if (run.pipeline?.failed) return;
    if (piece.startLines.size > 0) {
      const chunk = await run.chunk();
      run.sent += piece.startLines.size;
      if (chunk.addRaw(piece.data, piece.startLines, file.pool) && !piece.endsChunk) {
        if (run.mayEndEarly) run.cut(chunk.lines.last ?? piece.lastLine);
        else await run.waitBehind(chunk);
        continue;
      }
    }
    if (piece.endsChunk) run.cut(piece.lastLine);
  }
}

/** Records encoded into COPY text, streamed chunk after chunk. */
async function loadRecords(run: LoadRun, source: Source): Promise<void> {
  const chunkRows = run.options.chunkRows ?? 50_000;
  let held: HeldChunk = { records: [], lines: [] };
  const commitHeld = async () => {
    if (!run.plan || held.lines.length === 0) return;
    const done = await commitWithRejects(await run.connect(), run.plan, held);
    run.heldRows += done.rows;
    run.heldChunks++;
    for (const { record, reason } of done.rejected) {
      run.rejected++;
      await run.options.onReject?.(record, reason);
    }
    held = { records: [], lines: [] };
    run.report();
  };
  type Values = Readonly<Record<string, unknown>>;
  /** Sends one row into the open chunk, cutting it when full; a promise only under backpressure. */
  const send = (chunk: StreamingChunk, values: Values, line: number): Promise<void> | undefined => {
    run.countSent();
    const behind = chunk.add(run.encode(values), line);
    if (chunk.size >= chunkRows || (behind && run.mayEndEarly)) {
      run.cut(line);
      return undefined;
    }
    return behind ? run.waitBehind(chunk) : undefined;
  };
  /** The first record's plan, a new chunk, or reject mode's held chunk: the paths that must await. */
  const slowStep = async (record: SourceRecord): Promise<void> => {
    if (!run.plan) await run.start(record);
    if (!run.options.onReject) return send(await run.chunk(), record.values, record.line);
    run.countSent();
    held.records.push(record);
    held.lines.push(run.encode(record.values));
    if (held.lines.length >= chunkRows) await commitHeld();
  };
  /** One row (its record made only when a slow path needs it); a promise only when the load must wait. */
  const step = (values: Values, line: number, record?: SourceRecord): Promise<void> | undefined => {
    if (run.done.has(line)) {
      run.skipped++;
      if (run.skipped % 100_000 === 0) run.report();
      return undefined;
    }
    if (run.current && !run.options.onReject) return send(run.current, values, line);
    return slowStep(record ?? objectRecord(line, values));
  };
  const rows = syncRows(source);
  if (rows) {
    let line = 0;
    for (const values of rows) {
      if (run.pipeline?.failed) return;
      const wait = step(values, ++line);
      if (wait) await wait;
    }
  } else {
    for await (const record of source) {
      if (run.pipeline?.failed) return;
      const wait = step(record.values, record.line, record);
      if (wait) await wait;
    }
  }
  await commitHeld();
  run.cut(run.current?.lines.last ?? 0);
}

function badRowOrFailure(err: unknown, chunk: StreamingChunk): StrataError {
  return rowCaused(err) ? badRow(err, chunk.lines) : failure(err);
}

/** What this run may skip: what an interrupted earlier run of the load committed into the table as it is now. */
async function resumable(database: Database, table: string, options: BulkOptions): Promise<DoneLines> {
  if (!options.loadId) return NOTHING_DONE;
  const target = await baseTableOf(database.db, table, options.schema);
  const identity = await introspect(database.db).storageIdentity(target.schema, target.table);
  return resumeLoad(database.db, options.loadId, identity, options.restart);
}

async function load(
  database: Database,
  table: string,
  input: Source | CsvFile,
  options: BulkOptions,
  key?: readonly string[],
  update?: readonly string[],
): Promise<BulkResult> {
  const raw = isCsvFile(input) && !options.onReject;
  let run: LoadRun | undefined;
  try {
    // The engine check first: on an engine without COPY nothing is created or written.
    const connect = rawConnector(database, 'bulk loading');
    await ensureLoadTable(database.db);
    run = new LoadRun(connect, database, table, options, await resumable(database, table, options), raw, key, update);
    if (isCsvFile(input)) {
      if (raw) await loadCsvFile(run, input);
      else await loadRecords(run, csvSource(input.input instanceof Readable ? input.input : Readable.from(input.input)));
    } else await loadRecords(run, input);
  } catch (err) {
    if (!run) return { rows: 0, skipped: 0, rejected: 0, rejectedEarlier: 0, chunks: 0, error: failure(err) };
    await run.stop(run.current ? badRowOrFailure(err, run.current) : failure(err));
  }
  return run.end();
}

/**
 * Streams rows into a table through COPY FROM STDIN, in chunks that each commit with the load's
 * progress: memory stays flat whatever the size, and a rerun with the same `loadId` after a crash
 * skips the chunks already committed (no duplicates, no gaps). Loads into `<table>_all` under
 * soft deletes; history triggers fire once per chunk, not per row.
 *
 * @example
 * const result = await bulkInsert(database, 'products', csvSource(createReadStream('p.csv')), { loadId: 'p.csv' });
 * if (result.error) throw result.error;
 */
export function bulkInsert(database: Database, table: string, source: Source | CsvFile, options: BulkOptions = {}): Promise<BulkResult> {
  return load(database, table, source, options);
}

/**
 * Like bulkInsert, but rows whose key exists update it (only when something differs): each chunk is
 * COPYed into a temporary staging table, then merged with one INSERT ... ON CONFLICT.
 *
 * @example
 * await bulkUpsert(database, 'products', ndjsonSource(stream), { key: ['sku'] });
 */
export function bulkUpsert(database: Database, table: string, source: Source | CsvFile, options: BulkUpsertOptions): Promise<BulkResult> {
  return load(database, table, source, options, options.key, options.update);
}
