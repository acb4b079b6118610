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

/**
 * Encodes one value for COPY text format: null → `\N`, Date → ISO 8601, arrays → array literals,
 * plain objects → JSON, everything else → its string form.
 *
 * @example
 * copyValue(['a', 'b']) // '{"a","b"}'
 */
export function copyValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return escapeText(value);
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return '\\N';
    case 'object':
      if (value === null) return '\\N';
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return escapeText(arrayLiteral(value));
      return escapeText(JSON.stringify(value));
    default:
      return escapeText(String(value));
  }
}

/** One row as a COPY text line (with its newline): the named fields of `row`, in `columns` order. */
export function copyLine(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  let line = copyValue(row[columns[0] ?? '']);
  for (let i = 1; i < columns.length; i++) line += `\t${copyValue(row[columns[i] ?? ''])}`;
  return `${line}\n`;
}
