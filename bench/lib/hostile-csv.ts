/**
 * A 20-column CSV made to trip loaders: quoted fields with commas, quotes, LF and CRLF inside,
 * empty strings ("") beside NULLs (an empty unquoted field), multi-byte text (accents, CJK,
 * emoji), long text, a literal `\N` and backslashes (data in CSV, not NULL), tabs, numeric,
 * timestamp, date, uuid, jsonb, arrays, booleans and floats. Deterministic: the same rows every time.
 */
export const HOSTILE_TABLE = `CREATE TABLE %NAME% (
  id bigint PRIMARY KEY, label text NOT NULL, comment text, quoted text, maybe text, intl text, essay text,
  amount numeric(18,4), happened_at timestamptz, qty int, big bigint, flag boolean, day date, ref uuid,
  doc jsonb, tags text[], ratio double precision, path text, tabbed varchar(200), tail text)`;

export const HOSTILE_COLUMNS = [
  'id',
  'label',
  'comment',
  'quoted',
  'maybe',
  'intl',
  'essay',
  'amount',
  'happened_at',
  'qty',
  'big',
  'flag',
  'day',
  'ref',
  'doc',
  'tags',
  'ratio',
  'path',
  'tabbed',
  'tail',
] as const;

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A CSV field: quoted (quotes doubled) when it must be or when `force`; `null` is an empty unquoted field. */
function field(value: string | null, force = false): string {
  if (value === null) return '';
  return force || value === '' || /[",\r\n]/.test(value) || value.trim() !== value ? `"${value.replace(/"/g, '""')}"` : value;
}

const WORDS = ['alpha', 'beta', 'gamma', 'Grüße', 'naïve', 'façade', '東京', '漢字テキスト', 'Ελληνικά', 'ümlaut', 'emoji 🎉', 'crème brûlée', 'Ж'];

/** The header line and then `rows` records, as strings (each ending in `\n`), in batches for the writer. */
export function* hostileCsv(rows: number, seed = 42): Generator<string> {
  const r = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  yield `${HOSTILE_COLUMNS.join(',')}\n`;
  const at = Date.UTC(2026, 0, 1);
  let batch = '';
  for (let i = 1; i <= rows; i++) {
    const long = i % 10 === 0 ? words(150 + Math.floor(r() * 250)) : words(3);
    const doc = JSON.stringify({ i, name: words(2), nested: { ok: i % 2 === 0, list: [1, 'two', null] }, quote: 'say "hi"' });
    const record = [
      String(i),
      field(`label ${i}, ${pick(WORDS)}`),
      field(i % 3 === 0 ? `line one\nline two, ${i}\nline three` : `plain ${i}`),
      field(`He said "${pick(WORDS)}", then ""left""`),
      i % 4 === 0 ? field(null) : i % 4 === 1 ? field('') : field(words(1)),
      field(words(4)),
      field(long),
      i % 11 === 0 ? '' : (r() * 1e9 - 5e8).toFixed(4),
      i % 13 === 0 ? '' : new Date(at + Math.floor(r() * 3e10)).toISOString(),
      String(Math.floor(r() * 2e9) - 1e9),
      String(BigInt(Math.floor(r() * 2 ** 52)) * 1000n + BigInt(i)),
      i % 5 === 0 ? '' : r() < 0.5 ? 't' : 'f',
      new Date(at + i * 86_400_000).toISOString().slice(0, 10),
      `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
      field(doc, true),
      field(`{${pick(['a', 'b c', 'd,e'].map((t) => `"${t}"`))},x}`),
      i % 17 === 0 ? '' : String(r() * 1e6 - 5e5),
      field(i % 6 === 0 ? '\\N' : `C:\\path\\to\\file ${i}`),
      field(`tab\there ${i}\t${pick(WORDS)}`),
      field(i % 7 === 0 ? `  spaced, with CRLF\r\ninside  ` : i % 7 === 1 ? '' : `tail ${i}`),
    ];
    batch += `${record.join(',')}\n`;
    if (batch.length >= 1 << 16) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}
