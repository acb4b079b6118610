import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BulkResult, bulkInsert, bulkUpsert, csvFile, exportRows, fileReads, ndjsonSource, ReadPool, type SourceRecord } from '../../bulk/index.js';
import { connect, StrataError } from '../../db/index.js';
import type { ExportOptions, Format, LoadOptions } from '../commands/bulk.js';
import { type Progress, startProgress } from '../progress.js';

const formatOf = (file: string, given?: Format): Format => given ?? (/\.(nd)?jsonl?$/i.test(file) ? 'ndjson' : 'csv');

/** The file's first line (a CSV header), without its line ending. */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return text.slice(0, text.search(/\r?\n|$/));
  } finally {
    await handle.close();
  }
}

/**
 * The reject file (rejected rows as they were in the input, after the CSV header, so it can be
 * fixed and loaded again) and beside it `<file>.reasons` (one line per row: its input line, column
 * and the database's reason). Both are appended to by a rerun.
 */
async function rejectFiles(file: string, header: string | undefined) {
  let rows: WriteStream | undefined;
  let reasons: WriteStream | undefined;
  const fresh = ((await stat(file).catch(() => undefined))?.size ?? 0) === 0;
  const closed = (stream: WriteStream | undefined) =>
    new Promise<void>((resolve, reject) => (stream ? stream.end((err?: Error | null) => (err ? reject(err) : resolve())) : resolve()));
  return {
    write: (record: SourceRecord, reason: string) => {
      if (!rows) {
        rows = createWriteStream(file, { flags: 'a' });
        reasons = createWriteStream(`${file}.reasons`, { flags: 'a' });
        if (fresh && header !== undefined) rows.write(`${header}\n`);
      }
      rows.write(`${record.raw}\n`);
      reasons?.write(`${reason.replace(/\s*\n\s*/g, ' ')}\n`);
    },
    end: () => Promise.all([closed(rows), closed(reasons)]).then(() => undefined),
  };
}

/** `strata load`: the file into the table through COPY, with progress; resumes an interrupted load. */
export async function load(table: string, file: string, opts: LoadOptions): Promise<void> {
  const path = resolve(file);
  const info = await stat(path).catch(() => {
    throw new Error(`cannot read ${file}`);
  });
  const format = formatOf(file, opts.format);
  const key = opts.upsertKey?.split(',').map((k) => k.trim());
  const loadId =
    opts.loadId ??
    createHash('sha256')
      // ctime too: any write changes it, and so does setting mtime back (touch -r), so an edited file is never taken for the old one.
      .update(`${table}\0${path}\0${info.size}\0${info.mtimeMs}\0${info.ctimeMs}\0${key?.join(',') ?? ''}`)
      .digest('hex')
      .slice(0, 24);
  const rejects = opts.rejectFile ? await rejectFiles(opts.rejectFile, format === 'csv' ? await firstLine(path) : undefined) : undefined;
  let bytes = 0;
  const counted = (n: number) => {
    bytes += n;
  };
  // 1 MiB reads: fewer, larger pieces for the record scan and for COPY. A CSV file's go into buffers
  // used again once sent, so memory stays flat however large the file (docs/bulk.md#memory).
  const pool = new ReadPool(1 << 20);
  const source =
    format === 'csv'
      ? csvFile(fileReads(path, pool, counted), pool)
      : ndjsonSource(
          createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                counted(chunk.length);
                done(null, chunk);
              },
            }),
          ),
        );
  const progress = startProgress(`loading ${table}`, info.size);
  const conn = await connect();
  let result: BulkResult;
  try {
    const options = {
      loadId,
      restart: opts.restart === true,
      chunkRows: opts.chunkRows,
      parallel: opts.parallel,
      onProgress: (p: { sent: number; skipped: number }) => progress.update(bytes, p.sent + p.skipped),
      ...(rejects ? { onReject: rejects.write } : {}),
    };
    result = key ? await bulkUpsert(conn.database, table, source, { ...options, key }) : await bulkInsert(conn.database, table, source, options);
  } finally {
    progress.stop();
    await rejects?.end();
    await conn.close();
  }
  const summary = [
    `${result.rows} rows committed`,
    result.skipped ? `${result.skipped} already loaded by an earlier run` : '',
    result.rejected ? `${result.rejected} rejected to ${opts.rejectFile} (reasons in ${opts.rejectFile}.reasons)` : '',
    result.rejectedEarlier ? `${result.rejectedEarlier} rejected by an earlier run` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const { error } = result;
  if (error) {
    throw new StrataError(error.code, `${error.message} (${summary}; fix the input and rerun the same command to resume)`, error.details, {
      cause: error.cause,
    });
  }
  if (result.rows + result.skipped === 0 && result.rejected + result.rejectedEarlier > 0) {
    throw new Error(`nothing loaded into ${table}: every row was rejected (${summary}); the reasons are in ${opts.rejectFile}.reasons`);
  }
  process.stdout.write(`loaded ${table}: ${summary}\n`);
}

/** `strata export`: the table's live rows as CSV or NDJSON, to a file or stdout. */
export async function exportTable(table: string, opts: ExportOptions): Promise<void> {
  const conn = await connect();
  let progress: Progress | undefined;
  try {
    const stream = await exportRows(conn.database, table, {
      format: opts.format,
      ...(opts.where !== undefined ? { where: opts.where } : {}),
      onRows: (n) => progress?.update(n),
    });
    // Progress only once the export runs: a refused condition prints its one line and nothing else.
    progress = startProgress(`exporting ${table}`, undefined);
    await pipeline(stream, opts.output ? createWriteStream(opts.output) : passThroughStdout());
  } finally {
    progress?.stop();
    await conn.close();
  }
}

function passThroughStdout(): Transform {
  const out = new Transform({ transform: (chunk, _enc, done) => done(null, chunk) });
  out.pipe(process.stdout);
  return out;
}
