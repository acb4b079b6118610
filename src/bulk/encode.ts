/** One value in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes). */
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const NEEDS_ARRAY_ESCAPE = /[\\"]/;

function escapeText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function arrayItem(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return arrayLiteral(v);
  const text = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return NEEDS_ARRAY_ESCAPE.test(text) ? `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${text}"`;
}

function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += i === 0 ? arrayItem(values[i]) : `,${arrayItem(values[i])}`;
  return `${out}}`;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const MAX_FAST_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

/**
 * A timestamp as PostgreSQL reads it (`2026-03-04 05:06:07.089+00`), computed from the epoch
 * milliseconds (days to civil date, H. Hinnant's algorithm): about twice as fast as
 * `toISOString`, which a million-row load calls a million times. Dates before 1970 or after 9999
 * take `toISOString`.
 */
export function copyTimestamp(date: Date): string {
  const t = date.getTime();
  if (!(t >= 0 && t <= MAX_FAST_MS)) return date.toISOString();
  const ms = t % 1000;
  const seconds = (t - ms) / 1000;
  const days = Math.floor(seconds / 86400);
  const sod = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(sod / 3600);
  const minute = Math.floor((sod - hour * 3600) / 60);
  const second = sod - hour * 3600 - minute * 60;
  return `${year}-${pad2(month)}-${pad2(day)} ${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}+00`;
}

/** JSON text never holds a raw tab or line break (JSON escapes them), only backslashes need doubling. */
function escapeJson(json: string): string {
  return json.indexOf('\\') === -1 ? json : json.replace(/\\/g, '\\\\');
}

/**
 * Encodes one value for COPY text format: null → `\N`, Date → ISO 8601, arrays → array literals,
 * plain objects → JSON, everything else → its string form.
 *
 * @example
 * copyValue(['a', 'b']) // '{"a","b"}'
 */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = plainValue(value);
  return typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) ? escapeJson(text) : escapeText(text);
}

/** A present value's text before COPY escaping. */
function plainValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'object':
      if (value instanceof Date) return copyTimestamp(value);
      return Array.isArray(value) ? arrayLiteral(value) : JSON.stringify(value);
    default:
      return String(value);
  }
}

/**
 * One row as a COPY text line (with its newline): the named fields of `row`, in `columns` order,
 * each escaped by `copyValue`.
 *
 * @example
 * copyLine({ sku: 'A-1', price: 250n }, ['sku', 'price']) // 'A-1\t250\n'
 */
export function copyLine(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  return `${columns.map((c) => copyValue(row[c])).join('\t')}\n`;
}

type ValueEncoder = (value: unknown) => string;

const NEEDS_ARRAY_ITEM_ESCAPE = /[\\"\t\n\r]/;

// Each encoder expects the type its column held in the sample row and takes a short path for it
// (the common case: nothing to escape); any other value goes through `copyValue`, so the output is
// always exactly `copyValue`'s.
const textEncoder: ValueEncoder = (v) => (typeof v === 'string' && !NEEDS_ESCAPE.test(v) ? v : copyValue(v));
const numberEncoder: ValueEncoder = (v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : copyValue(v));
const dateEncoder: ValueEncoder = (v) => (v instanceof Date ? copyTimestamp(v) : copyValue(v));

const textArrayEncoder: ValueEncoder = (v) => {
  if (!Array.isArray(v)) return copyValue(v);
  let out = '{';
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item !== 'string' || NEEDS_ARRAY_ITEM_ESCAPE.test(item)) return copyValue(v);
    out += i === 0 ? `"${item}"` : `,"${item}"`;
  }
  return `${out}}`;
};

const jsonEncoder: ValueEncoder = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) return copyValue(v);
  const json: unknown = JSON.stringify(v);
  return typeof json === 'string' && json.indexOf('\\') === -1 ? json : copyValue(v);
};

function encoderFor(sample: unknown): ValueEncoder {
  if (typeof sample === 'string') return textEncoder;
  if (typeof sample === 'number' || typeof sample === 'bigint') return numberEncoder;
  if (sample instanceof Date) return dateEncoder;
  if (Array.isArray(sample)) return textArrayEncoder;
  if (typeof sample === 'object' && sample !== null) return jsonEncoder;
  return copyValue;
}

/**
 * `copyLine` for many rows of one shape: each column's encoder is chosen once, from the type its
 * value has in `sample` (the load's first row), so a million-row load does not re-dispatch on every
 * value's type. The output is exactly `copyLine`'s for any row, whatever its values' types.
 */
export function lineEncoder(columns: readonly string[], sample: Readonly<Record<string, unknown>>): (row: Readonly<Record<string, unknown>>) => string {
  const encoders = columns.map((c) => encoderFor(sample[c]));
  const n = columns.length;
  return (row) => {
    let line = '';
    for (let i = 0; i < n; i++) {
      const text = (encoders[i] as ValueEncoder)(row[columns[i] as string]);
      line = i === 0 ? text : `${line}\t${text}`;
    }
    return `${line}\n`;
  };
}
