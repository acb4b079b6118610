import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import { type BulkResult, bulkInsert, bulkUpsert, csvFile, type ExportFormat, exportRows, ndjsonSource, type SourceRecord } from '../../bulk/index.js';
import { connect } from '../../db/index.js';
import { fail } from '../fail.js';
import { parsePositive } from '../options.js';
import { type Progress, startProgress } from '../progress.js';

type Format = 'csv' | 'ndjson';

function parseFormat(value: string): Format {
  if (value !== 'csv' && value !== 'ndjson') throw new InvalidArgumentError('must be csv or ndjson');
  return value;
}

const formatOf = (file: string, given?: Format): Format => given ?? (/\.(nd)?jsonl?$/i.test(file) ? 'ndjson' : 'csv');

interface LoadOptions {
  upsertKey?: string;
  format?: Format;
  rejectFile?: string;
  loadId?: string;
  chunkRows: number;
  parallel: number;
}

async function load(table: string, file: string, opts: LoadOptions): Promise<void> {
  const path = resolve(file);
  const info = await stat(path).catch(() => {
    throw new Error(`cannot read ${file}`);
  });
  const format = formatOf(file, opts.format);
  const key = opts.upsertKey?.split(',').map((k) => k.trim());
  const loadId =
    opts.loadId ??
    createHash('sha256')
      .update(`${table}\0${path}\0${info.size}\0${info.mtimeMs}\0${key?.join(',') ?? ''}`)
      .digest('hex')
      .slice(0, 24);
  let rejects: WriteStream | undefined;
  let header = true;
  const onReject = opts.rejectFile
    ? (record: SourceRecord) => {
        rejects ??= createWriteStream(opts.rejectFile as string, { flags: 'a' });
        if (header && format === 'csv') rejects.write(`# rejected rows of ${file} (original lines follow)\n`);
        header = false;
        rejects.write(`${record.raw}\n`);
      }
    : undefined;
  let bytes = 0;
  const input = createReadStream(path).pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    }),
  );
  const source = format === 'csv' ? csvFile(input) : ndjsonSource(input);
  const progress = startProgress(`loading ${table}`, info.size);
  const conn = await connect();
  let result: BulkResult;
  try {
    const options = {
      loadId,
      chunkRows: opts.chunkRows,
      parallel: opts.parallel,
      onProgress: (p: { sent: number; skipped: number }) => progress.update(bytes, p.sent + p.skipped),
      ...(onReject ? { onReject } : {}),
    };
    result = key ? await bulkUpsert(conn.database, table, source, { ...options, key }) : await bulkInsert(conn.database, table, source, options);
  } finally {
    progress.stop();
    rejects?.end();
    await conn.close();
  }
  const summary = `${result.rows} rows committed${result.skipped ? `, ${result.skipped} already loaded by an earlier run` : ''}${result.rejected ? `, ${result.rejected} rejected to ${opts.rejectFile}` : ''}`;
  if (result.error) throw new Error(`${result.error.message} (${summary}; fix the input and rerun the same command to resume)`);
  process.stdout.write(`loaded ${table}: ${summary}\n`);
}

async function exportTable(table: string, opts: { where?: string; format: ExportFormat; output?: string }): Promise<void> {
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

export function loadCommand(): Command {
  return new Command('load')
    .description('bulk-load a CSV (header row, columns matched by name) or NDJSON file into any table through COPY; rerun after a crash to resume')
    .argument('<table>')
    .argument('<file>')
    .option('--upsert-key <columns>', 'update rows whose key exists (comma-separated key columns with a unique index)')
    .option('--format <format>', 'csv or ndjson (default: by file extension)', parseFormat)
    .option('--reject-file <file>', 'append bad lines to this file and go on (default: stop at the first bad line)')
    .option('--load-id <id>', 'names the load for resuming (default: derived from table, file path, size and mtime)')
    .option('--chunk-rows <n>', 'most rows per transaction (fewer when the server falls behind)', parsePositive, 50_000)
    .option('--parallel <n>', 'connections writing chunks at once (1: one chunk after another)', parsePositive, 2)
    .addHelpText('after', '\nExamples:\n  $ strata load products products.csv --upsert-key sku\n  $ strata load events events.ndjson --reject-file bad.ndjson')
    .action((table: string, file: string, opts: LoadOptions) => load(table, file, opts).catch(fail));
}

export function exportCommand(): Command {
  return new Command('export')
    .description('stream a table (live rows) out as CSV with a header or NDJSON, through COPY')
    .argument('<table>')
    .option('--where <condition>', 'a SQL condition, run as SQL with your connection\'s rights, e.g. "price > 1000" (one expression: no ";" or comments)')
    .option('--format <format>', 'csv or ndjson', parseFormat, 'csv')
    .option('--output <file>', 'write here instead of stdout')
    .addHelpText('after', '\nExample:\n  $ strata export products --where "stock = 0" --format ndjson --output empty.ndjson')
    .action((table: string, opts: { where?: string; format: ExportFormat; output?: string }) => exportTable(table, opts).catch(fail));
}
