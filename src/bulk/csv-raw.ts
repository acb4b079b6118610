import type { Readable } from 'node:stream';
import { StrataError } from '../db/index.js';

/** A run of whole CSV records, as bytes, with the physical line each record starts on. */
export interface RawCsvChunk {
  readonly data: Buffer[];
  readonly startLines: number[];
  /** The last physical line of the chunk's last record. */
  readonly lastLine: number;
}

/**
 * A CSV file or stream passed to PostgreSQL as it is (COPY … WITH (FORMAT csv)): strata only
 * finds record boundaries (quotes aware) to cut chunks, and reads the header for column names,
 * so PostgreSQL does the parsing at full speed.
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

/** Splits a CSV stream into the header and chunks of `rows` records (records on lines <= `skipThrough` are dropped). */
export async function* rawCsvChunks(
  file: CsvFile,
  rows: number,
  skipThrough: number,
  onHeader: (columns: string[]) => Promise<void>,
): AsyncGenerator<RawCsvChunk> {
  let quoted = false;
  let line = 1;
  let recordStart = 1;
  let header: Buffer[] | undefined = [];
  let pending: Buffer[] = [];
  let chunk: { data: Buffer[]; startLines: number[] } = { data: [], startLines: [] };
  for await (const read of file.input as AsyncIterable<Buffer | string>) {
    const piece = typeof read === 'string' ? Buffer.from(read) : read;
    let from = 0;
    for (let i = 0; i < piece.length; i++) {
      const byte = piece[i];
      if (byte === 0x22) quoted = !quoted;
      else if (byte === 0x0a) {
        const endLine = line;
        line++;
        if (quoted) continue;
        const record = [...pending, piece.subarray(from, i + 1)];
        pending = [];
        from = i + 1;
        if (header) {
          await onHeader(
            headerFields(
              Buffer.concat(record)
                .toString('utf8')
                .replace(/\r?\n$/, ''),
            ),
          );
          header = undefined;
        } else if (recordStart > skipThrough) {
          chunk.data.push(...record);
          chunk.startLines.push(recordStart);
          if (chunk.startLines.length >= rows) {
            yield { ...chunk, lastLine: endLine };
            chunk = { data: [], startLines: [] };
          }
        }
        recordStart = line;
      }
    }
    if (from < piece.length) pending.push(piece.subarray(from));
  }
  if (quoted) throw new StrataError('BULK_SOURCE_INVALID', `CSV line ${recordStart}: a quoted field is never closed`);
  const rest = Buffer.concat(pending);
  if (header) {
    if (rest.length === 0) throw new StrataError('BULK_SOURCE_INVALID', 'the CSV file is empty (no header row)');
    await onHeader(headerFields(rest.toString('utf8')));
  } else if (rest.toString('utf8').trim() !== '' && recordStart > skipThrough) {
    chunk.data.push(rest, Buffer.from('\n'));
    chunk.startLines.push(recordStart);
  }
  if (chunk.startLines.length > 0) yield { ...chunk, lastLine: line };
}
