import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
import { StrataError } from '../db/index.js';
import { strictUtf8 } from './utf8.js';

/** One input record with where it came from, so errors can name the line. */
export interface SourceRecord {
  /** 1-based line of the input (for CSV, the line the record starts on; the header is line 1). */
  readonly line: number;
  readonly values: Readonly<Record<string, unknown>>;
  /** The record as it was in the input, for reject files. */
  readonly raw: string;
}

export type Source = AsyncIterable<SourceRecord>;

/**
 * Records from a CSV stream with a header row (columns are matched by header name). Empty fields
 * are NULL; quoted empty strings stay empty strings. The input must be UTF-8 (a byte-order mark is
 * dropped); an invalid byte is a BULK_SOURCE_INVALID error naming its line.
 *
 * @example
 * for await (const r of csvSource(createReadStream('products.csv'))) console.log(r.line, r.values);
 */
export async function* csvSource(input: Readable): Source {
  const parser = parse({
    columns: true,
    info: true,
    raw: true,
    record_delimiter: ['\r\n', '\n'],
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
  });
  pipeline(
    input,
    (bytes: Readable) => strictUtf8(bytes, 'CSV'),
    parser,
    () => undefined,
  );
  try {
    for await (const record of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number }; raw: string }>) {
      yield { line: record.info.lines - countNewlines(record.raw.trimEnd()), values: record.record, raw: record.raw.replace(/\r?\n?$/, '') };
    }
  } catch (err) {
    if (err instanceof StrataError) throw err;
    const e = err as { lines?: number; message?: string };
    throw new StrataError('BULK_SOURCE_INVALID', `CSV line ${e.lines ?? '?'}: ${e.message ?? String(err)}`, {}, { cause: err });
  }
}

function countNewlines(text: string): number {
  let n = 0;
  for (const c of text) if (c === '\n') n++;
  return n;
}

/** The input's lines (LF or CRLF), checked to be UTF-8. */
async function* textLines(input: Readable, format: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const bytes of strictUtf8(input, format)) {
    const text = carry + decoder.write(bytes);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield text.slice(start, text[end - 1] === '\r' ? end - 1 : end);
      start = end + 1;
    }
    carry = text.slice(start);
  }
  const last = carry + decoder.end();
  if (last !== '') yield last.replace(/\r$/, '');
}

/** Records from newline-delimited JSON (one object per line; blank lines skipped), in UTF-8 (a byte-order mark is dropped). */
export async function* ndjsonSource(input: Readable): Source {
  let line = 0;
  for await (const text of textLines(input, 'NDJSON')) {
    line++;
    if (text.trim() === '') continue;
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      throw new StrataError('BULK_SOURCE_INVALID', `NDJSON line ${line}: not valid JSON`);
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      throw new StrataError('BULK_SOURCE_INVALID', `NDJSON line ${line}: expected a JSON object`);
    yield { line, values: values as Record<string, unknown>, raw: text };
  }
}

/** An object as a source record; its `raw` form (JSON) is made only when a reject file asks for it. */
class ObjectRecord implements SourceRecord {
  constructor(
    readonly line: number,
    readonly values: Readonly<Record<string, unknown>>,
  ) {}

  get raw(): string {
    return JSON.stringify(this.values, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

type Rows = AsyncIterable<Readonly<Record<string, unknown>>> | Iterable<Readonly<Record<string, unknown>>>;

class ObjectSource implements AsyncIterable<SourceRecord> {
  constructor(readonly rows: Rows) {}

  get isSync(): boolean {
    return Symbol.iterator in this.rows;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SourceRecord> {
    let line = 0;
    for await (const values of this.rows) yield new ObjectRecord(++line, values);
  }
}

/** Records from any (async) iterable of objects; `line` is the 1-based position. */
export function objectSource(rows: Rows): Source {
  return new ObjectSource(rows);
}

/**
 * An object source's rows as the plain iterable they came from (an array or generator), when they
 * did: a loader can then take them without a promise or a record object per row. Row `i` (0-based)
 * is line `i + 1`; `objectRecord` makes its record when one is needed.
 */
export function syncRows(source: Source): Iterable<Readonly<Record<string, unknown>>> | undefined {
  return source instanceof ObjectSource && source.isSync ? (source.rows as Iterable<Readonly<Record<string, unknown>>>) : undefined;
}

/** The record of an object source's row at `line`. */
export function objectRecord(line: number, values: Readonly<Record<string, unknown>>): SourceRecord {
  return new ObjectRecord(line, values);
}
