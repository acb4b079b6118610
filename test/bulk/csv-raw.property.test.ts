import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvFile, rawCsvRuns } from '../../src/bulk/csv-raw.js';

/** A CSV field: plain, or quoted with commas, doubled quotes, LF/CRLF newlines and multi-byte text inside. */
const field = fc.oneof(
  fc.stringMatching(/^[a-z0-9 é€]{0,6}$/),
  fc.array(fc.constantFrom('a', ',', '""', '\n', '\r\n', '€', ' ', 'x'), { maxLength: 8 }).map((parts) => `"${parts.join('')}"`),
);
const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((fields) => fields.join(','));

interface Expected {
  readonly body: string;
  readonly starts: number[];
}

/** What the scan must find: every record's bytes after the header, and the physical line each starts on. */
function expected(records: readonly string[], keep: (line: number) => boolean): Expected {
  let line = 3; // the header spans lines 1-2 (a quoted newline)
  let body = '';
  const starts: number[] = [];
  for (const r of records) {
    if (keep(line)) {
      body += `${r}\n`;
      starts.push(line);
    }
    line += r.split('\n').length;
  }
  return { body, starts };
}

/** The file's bytes, cut into reads at the given (sorted, arbitrary: mid-character, mid-quote) offsets. */
function reads(bytes: Buffer, cuts: readonly number[]): Readable {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) pieces.push(bytes.subarray(from, p));
    from = p;
  }
  return Readable.from(pieces);
}

describe('rawCsvRuns: record boundaries found by byte scan (property tests)', () => {
  it('passes every record through byte for byte, with the line it starts on, however the input is cut into reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 7 }),
        fc.func(fc.boolean()),
        async (records, cuts, rows, skipFn) => {
          const file = Buffer.from(`a,"b\nc",d\n${records.map((r) => `${r}\n`).join('')}`);
          const skip = (line: number) => skipFn(line);
          const want = expected(records, (line) => !skip(line));
          let header: string[] | undefined;
          const body: Buffer[] = [];
          const starts: number[] = [];
          let inChunk = 0;
          for await (const run of rawCsvRuns(csvFile(reads(file, cuts)), rows, skip, async (columns) => {
            header = columns;
            return undefined;
          })) {
            body.push(...run.data);
            starts.push(...run.startLines);
            inChunk += run.startLines.size;
            // A chunk never holds more than `rows` records.
            expect(inChunk).toBeLessThanOrEqual(rows);
            if (run.endsChunk) inChunk = 0;
          }
          expect(header).toEqual(['a', 'b\nc', 'd']);
          expect(Buffer.concat(body).toString('utf8')).toBe(want.body);
          expect(starts).toEqual(want.starts);
        },
      ),
      { numRuns: 300 },
    );
  });
});
