import type { Readable } from 'node:stream';
import { StrataError } from '../db/index.js';
import { LineMap } from './line-map.js';
import type { ReadPool } from './read-pool.js';
import { withoutBom } from './utf8.js';

/** Whole CSV records, as bytes, with the physical line each record starts on. */
export interface RawCsvRun {
  readonly data: readonly Buffer[];
  /** The physical line each record starts on, as runs of consecutive lines (little garbage per read). */
  readonly startLines: LineMap;
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
  readonly input: Readable | AsyncIterable<Buffer>;
  /** The pool the input's reads come from (`fileReads`): each read is given back once scanned, and each piece once sent. */
  readonly pool?: ReadPool;
}

export function csvFile(input: Readable | AsyncIterable<Buffer>, pool?: ReadPool): CsvFile {
  return pool ? { kind: 'csv-file', input, pool } : { kind: 'csv-file', input };
}

export function isCsvFile(value: unknown): value is CsvFile {
  return typeof value === 'object' && value !== null && (value as CsvFile).kind === 'csv-file';
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const NO_WORDS = new Uint32Array(0);

/** Whether any of a 32-bit word's four bytes is a quote or a newline (the has-zero-byte test on the word xor each). */
function hasQuoteOrNewline(word: number): boolean {
  const q = word ^ 0x22222222;
  const n = word ^ 0x0a0a0a0a;
  return ((((q - 0x01010101) & ~q) | ((n - 0x01010101) & ~n)) & 0x80808080) !== 0;
}

/** Where a scan is: inside quotes or not, and the physical line it is on. */
interface ScanState {
  quoted: boolean;
  line: number;
}

/**
 * One input read, scanned for record ends: a quote toggles (as in PostgreSQL's CSV mode), a newline
 * outside quotes ends a record. The read is looked at as 32-bit words from its first 4-byte-aligned
 * byte, and a word with neither a quote nor a newline (most of them) is skipped whole.
 */
class ReadScan {
  private readonly head: number;
  private readonly words: Uint32Array;
  private readonly wordsEnd: number;

  constructor(private readonly piece: Buffer) {
    const length = piece.length;
    this.head = (4 - (piece.byteOffset & 3)) & 3;
    this.words = length >= this.head ? new Uint32Array(piece.buffer, piece.byteOffset + this.head, (length - this.head) >>> 2) : NO_WORDS;
    this.wordsEnd = this.head + this.words.length * 4;
  }

  /** The next record end (a newline outside quotes) at or after `at`, or -1; `state` follows the quotes and lines passed. */
  recordEnd(at: number, state: ScanState): number {
    const { piece, head, words, wordsEnd } = this;
    const length = piece.length;
    let quoted = state.quoted;
    let line = state.line;
    let i = at;
    let end = -1;
    while (i < length) {
      if (i >= head && i < wordsEnd && ((i - head) & 3) === 0 && !hasQuoteOrNewline(words[(i - head) >>> 2] ?? 0)) {
        i += 4;
        continue;
      }
      const c = piece[i];
      if (c === QUOTE) quoted = !quoted;
      else if (c === NEWLINE) {
        line++;
        if (!quoted) {
          end = i;
          break;
        }
      }
      i++;
    }
    state.quoted = quoted;
    state.line = line;
    return end;
  }
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
 * The record cutting of `rawCsvRuns`, synchronous (one read at a time): the generator around it
 * only awaits reads and the header's callback, so the per-record work runs in a plain function.
 */
class RecordCutter {
  /** Makes one more field for every record (a generated key), once the header is known. */
  extra: (() => string) | undefined;
  /** The header's line ending, given to a last record that has none (PostgreSQL wants one kind per file). */
  eol = '\n';
  header = true;
  readonly state: ScanState = { quoted: false, line: 1 };
  recordStart = 1;
  /** The current record's bytes from earlier reads. */
  pending: Buffer[] = [];
  private data: Buffer[] = [];
  private starts = new LineMap();
  private inChunk = 0;

  constructor(
    private readonly rows: number,
    private readonly skip: (line: number) => boolean,
  ) {}

  /**
   * Scans `piece` from `at` and returns the runs it completes. Stops right after the header, with
   * its fields and the offset after it: call again from there once the header is handled.
   */
  read(piece: Buffer, at = 0): { runs: RawCsvRun[]; header?: { fields: string[]; next: number } } {
    const runs: RawCsvRun[] = [];
    const state = this.state;
    const length = piece.length;
    const scan = new ReadScan(piece);
    let from = at;
    let runFrom = at;
    while (at < length) {
      const i = scan.recordEnd(at, state);
      if (i === -1) break;
      at = i + 1;
      if (this.header) {
        const text = Buffer.concat([...this.pending, piece.subarray(from, i)]).toString('utf8');
        if (text.endsWith('\r')) this.eol = '\r\n';
        this.header = false;
        this.pending = [];
        this.recordStart = state.line;
        return { runs, header: { fields: headerFields(text), next: i + 1 } };
      }
      if (this.skip(this.recordStart)) {
        if (from > runFrom) this.data.push(piece.subarray(runFrom, from));
        runFrom = i + 1;
      } else {
        if (this.extra) {
          // Record by record, each with its extra field: nothing of it is left for the run's end.
          this.data.push(...withField(this.pending, piece, from, i, this.extra()));
          runFrom = i + 1;
        } else if (this.pending.length > 0) this.data.push(...this.pending);
        this.starts.push(this.recordStart);
        if (++this.inChunk >= this.rows) {
          this.inChunk = 0;
          if (runFrom <= i) this.data.push(piece.subarray(runFrom, i + 1));
          runs.push({ data: this.data, startLines: this.starts, endsChunk: true, lastLine: state.line - 1 });
          this.data = [];
          this.starts = new LineMap();
          runFrom = i + 1;
        }
      }
      if (this.pending.length > 0) this.pending = [];
      from = i + 1;
      this.recordStart = state.line;
    }
    if (from > runFrom) this.data.push(piece.subarray(runFrom, from));
    // A copy: the read's buffer may be used again (ReadPool) before the record's end arrives.
    if (from < length) this.pending.push(Buffer.from(piece.subarray(from)));
    if (this.data.length > 0) {
      runs.push({ data: this.data, startLines: this.starts, endsChunk: false, lastLine: state.line - 1 });
      this.data = [];
      this.starts = new LineMap();
    }
    return { runs };
  }

  /** The input's end: the last run (a last record without a line ending gets the header's). */
  end(): RawCsvRun {
    const state = this.state;
    if (state.quoted) throw new StrataError('BULK_SOURCE_INVALID', `CSV line ${this.recordStart}: a quoted field is never closed`);
    const rest = Buffer.concat(this.pending);
    // A last record without a final newline ends on `line`; otherwise the input's last line is `line - 1`.
    const unterminated = rest.toString('utf8').trim() !== '';
    if (unterminated && !this.skip(this.recordStart)) {
      this.data.push(...(this.extra ? withField([], rest, 0, rest.length, this.extra(), this.eol) : [rest, Buffer.from(this.eol)]));
      this.starts.push(this.recordStart);
    }
    return { data: this.data, startLines: this.starts, endsChunk: true, lastLine: unterminated ? state.line : state.line - 1 };
  }
}

/**
 * Cuts a CSV stream into runs of whole records (quotes aware: a quote toggles, as in PostgreSQL's
 * CSV mode, and a newline outside quotes ends a record), at most one input read's worth each,
 * marking where a chunk of `rows` records ends. Records on lines `skip` says were loaded before
 * are dropped; the header goes to `onHeader`, which may return a maker of one more field for every
 * record (a generated key, added as the last field). Memory: one read plus one partial record.
 * A run's pieces lie in the read's buffer: with a pool, its consumer retains them until sent.
 */
export async function* rawCsvRuns(
  file: CsvFile,
  rows: number,
  skip: (line: number) => boolean,
  onHeader: (columns: string[]) => Promise<(() => string) | undefined>,
): AsyncGenerator<RawCsvRun> {
  const cutter = new RecordCutter(rows, skip);
  for await (const piece of withoutBom(file.input as AsyncIterable<Buffer | string>)) {
    let { runs, header } = cutter.read(piece);
    if (header) {
      cutter.extra = await onHeader(header.fields);
      const rest = cutter.read(piece, header.next);
      runs = [...runs, ...rest.runs];
    }
    for (const run of runs) yield run;
    // Scanned, and every run of it handed over: the read's own reference goes back.
    file.pool?.release(piece);
  }
  if (cutter.header) {
    if (cutter.state.quoted) throw new StrataError('BULK_SOURCE_INVALID', `CSV line ${cutter.recordStart}: a quoted field is never closed`);
    const rest = Buffer.concat(cutter.pending);
    if (rest.length === 0) throw new StrataError('BULK_SOURCE_INVALID', 'the CSV file is empty (no header row)');
    await onHeader(headerFields(rest.toString('utf8')));
    yield { data: [], startLines: new LineMap(), endsChunk: true, lastLine: cutter.state.line - 1 };
    return;
  }
  yield cutter.end();
}
