import type { Readable } from 'node:stream';
import { StrataError } from '../db/index.js';
import { withoutBom } from './utf8.js';

/** Whole CSV records, as bytes, with the physical line each record starts on. */
export interface RawCsvRun {
  readonly data: readonly Buffer[];
  readonly startLines: readonly number[];
  /** The chunk is complete after this run (it holds `rows` records, or the input ended). */
  readonly endsChunk: boolean;
  /** The last physical line of the run's last record. */
  readonly lastLine: number;
}

/**
 * A CSV file or stream passed to PostgreSQL as it is (COPY … WITH (FORMAT csv)): strata only
 * finds record boundaries (quotes aware) to cut chunks, and reads the header for column names
 * (a UTF-8 byte-order mark before it is dropped), so PostgreSQL does the parsing at full speed.
 *
 * @example
 * await bulkInsert(database, 'products', csvFile(createReadStream('products.csv')));
 */
export interface CsvFile {
  readonly kind: 'csv-file';
  readonly input: Readable;
}

export function csvFile(input: Readable): CsvFile {
  return { kind: 'csv-file', input };
}

export function isCsvFile(value: unknown): value is CsvFile {
  return typeof value === 'object' && value !== null && (value as CsvFile).kind === 'csv-file';
}

function headerFields(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields.map((f) => f.replace(/\r$/, ''));
}

/**
 * A record's bytes (its earlier parts, then `piece[from, end)`) with `,<field>` added before its
 * line ending (`eol` when the record has none: the last line of a file without a final newline).
 */
function withField(pending: readonly Buffer[], piece: Buffer, from: number, end: number, field: string, eol?: string): Buffer[] {
  const parts = [...pending, piece.subarray(from, end)].filter((b) => b.length > 0);
  const last = parts.at(-1);
  const crlf = last !== undefined && last[last.length - 1] === 0x0d;
  if (last && crlf) parts[parts.length - 1] = last.subarray(0, last.length - 1);
  parts.push(Buffer.from(`,${field}${eol ?? (crlf ? '\r\n' : '\n')}`));
  return parts;
}

/**
 * Cuts a CSV stream into runs of whole records (quotes aware), at most one input read's worth
 * each, marking where a chunk of `rows` records ends. Records on lines `skip` says were loaded
 * before are dropped; the header goes to `onHeader`, which may return a maker of one more field
 * for every record (a generated key, added as the last field). Memory: one read plus one partial record.
 */
export async function* rawCsvRuns(
  file: CsvFile,
  rows: number,
  skip: (line: number) => boolean,
  onHeader: (columns: string[]) => Promise<(() => string) | undefined>,
): AsyncGenerator<RawCsvRun> {
  let extra: (() => string) | undefined;
  // The header's line ending, given to a last record that has none (PostgreSQL wants one kind per file).
  let eol = '\n';
  let quoted = false;
  let line = 1;
  let recordStart = 1;
  let header = true;
  let pending: Buffer[] = [];
  let data: Buffer[] = [];
  let starts: number[] = [];
  let inChunk = 0;
  for await (const piece of withoutBom(file.input as AsyncIterable<Buffer | string>)) {
    let from = 0;
    let runFrom = 0;
    // The next quote and the next newline at or after `at` (-1: none left in this read), found with
    // Buffer#indexOf (memchr) instead of a byte-by-byte loop; -2: not looked for yet.
    let nextQuote = -2;
    let nextNewline = -2;
    let at = 0;
    const length = piece.length;
    while (at < length) {
      if (nextNewline !== -1 && nextNewline < at) nextNewline = piece.indexOf(0x0a, at);
      if (quoted) {
        // Inside quotes up to the closing quote: newlines there are lines, not record ends.
        const close = piece.indexOf(0x22, at);
        const stop = close === -1 ? length : close;
        while (nextNewline !== -1 && nextNewline < stop) {
          line++;
          nextNewline = piece.indexOf(0x0a, nextNewline + 1);
        }
        if (close === -1) break;
        quoted = false;
        at = close + 1;
        continue;
      }
      if (nextQuote !== -1 && nextQuote < at) nextQuote = piece.indexOf(0x22, at);
      if (nextNewline === -1 || (nextQuote !== -1 && nextQuote < nextNewline)) {
        if (nextQuote === -1) break;
        quoted = true;
        at = nextQuote + 1;
        continue;
      }
      const i = nextNewline;
      at = i + 1;
      const endLine = line;
      line++;
      if (header) {
        const text = Buffer.concat([...pending, piece.subarray(from, i)]).toString('utf8');
        if (text.endsWith('\r')) eol = '\r\n';
        extra = await onHeader(headerFields(text));
        header = false;
        runFrom = i + 1;
      } else if (skip(recordStart)) {
        if (from > runFrom) data.push(piece.subarray(runFrom, from));
        runFrom = i + 1;
      } else {
        if (extra) {
          // Record by record, each with its extra field: nothing of it is left for the run's end.
          data.push(...withField(pending, piece, from, i, extra()));
          runFrom = i + 1;
        } else data.push(...pending);
        starts.push(recordStart);
        if (++inChunk >= rows) {
          inChunk = 0;
          if (runFrom <= i) data.push(piece.subarray(runFrom, i + 1));
          yield { data, startLines: starts, endsChunk: true, lastLine: endLine };
          data = [];
          starts = [];
          runFrom = i + 1;
        }
      }
      pending = [];
      from = i + 1;
      recordStart = line;
    }
    if (from > runFrom) data.push(piece.subarray(runFrom, from));
    if (from < piece.length) pending.push(piece.subarray(from));
    if (data.length > 0) {
      yield { data, startLines: starts, endsChunk: false, lastLine: line - 1 };
      data = [];
      starts = [];
    }
  }
  if (quoted) throw new StrataError('BULK_SOURCE_INVALID', `CSV line ${recordStart}: a quoted field is never closed`);
  const rest = Buffer.concat(pending);
  // A last record without a final newline ends on `line`; otherwise the input's last line is `line - 1`.
  const unterminated = !header && rest.toString('utf8').trim() !== '';
  if (header) {
    if (rest.length === 0) throw new StrataError('BULK_SOURCE_INVALID', 'the CSV file is empty (no header row)');
    await onHeader(headerFields(rest.toString('utf8')));
  } else if (unterminated && !skip(recordStart)) {
    data.push(...(extra ? withField([], rest, 0, rest.length, extra(), eol) : [rest, Buffer.from(eol)]));
    starts.push(recordStart);
  }
  yield { data, startLines: starts, endsChunk: true, lastLine: unterminated ? line : line - 1 };
}
