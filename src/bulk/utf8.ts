import { isUtf8 } from 'node:buffer';
import { StrataError } from '../db/index.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

type Bytes = AsyncIterable<Buffer | string>;

/** The input's bytes without a leading UTF-8 byte-order mark (which spreadsheet programs write), even when it spans reads. */
export async function* withoutBom(input: Bytes): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  let checked = false;
  for await (const read of input) {
    const piece = typeof read === 'string' ? Buffer.from(read) : read;
    if (checked) {
      yield piece;
      continue;
    }
    head = Buffer.concat([head, piece]);
    if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) continue;
    checked = true;
    const rest = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
    if (rest.length > 0) yield rest;
  }
  if (!checked && head.length > 0 && !head.equals(BOM)) yield head;
}

/** How many bytes at the end of `data` start a character the next read completes. */
function unfinished(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const byte = data[data.length - back] ?? 0;
    if ((byte & 0xc0) !== 0x80) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return length > back ? back : 0;
    }
  }
  return 0;
}

/** Offset of the first byte of `data` that does not start a valid UTF-8 character. */
function firstInvalid(data: Buffer): number {
  let i = 0;
  while (i < data.length) {
    const byte = data[i] ?? 0;
    const length = byte < 0x80 ? 1 : byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > data.length || !isUtf8(data.subarray(i, i + length))) return i;
    i += length;
  }
  return data.length;
}

function newlines(data: Buffer, end = data.length): number {
  let n = 0;
  for (let i = data.indexOf(0x0a); i !== -1 && i < end; i = data.indexOf(0x0a, i + 1)) n++;
  return n;
}

function invalid(format: string, line: number, byte: number | undefined): StrataError {
  const what = byte === undefined ? 'a character is cut off at the end of the input' : `byte 0x${byte.toString(16).padStart(2, '0')}`;
  return new StrataError('BULK_SOURCE_INVALID', `${format} line ${line}: not valid UTF-8 (${what}); save the file as UTF-8`);
}

/**
 * The input's bytes, checked to be UTF-8 (a leading byte-order mark dropped). Invalid bytes, UTF-8
 * encoded surrogates and a character cut off at the end stop the stream with BULK_SOURCE_INVALID
 * naming the line, instead of turning into U+FFFD. Yields whole characters only.
 */
export async function* strictUtf8(input: Bytes, format: string): AsyncGenerator<Buffer> {
  let line = 1;
  let carry: Buffer = Buffer.alloc(0);
  for await (const piece of withoutBom(input)) {
    const data = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
    const end = data.length - unfinished(data);
    const whole = data.subarray(0, end);
    if (!isUtf8(whole)) {
      const at = firstInvalid(whole);
      throw invalid(format, line + newlines(whole, at), whole[at]);
    }
    line += newlines(whole);
    carry = data.subarray(end);
    if (whole.length > 0) yield whole;
  }
  const lead = carry[0];
  if (lead !== undefined) throw invalid(format, line, lead >= 0xc2 && lead <= 0xf4 ? undefined : lead);
}
