/** One value in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes). */
const NEEDS_ESCAPE = /[\\\t\n\r]/;

function escapeText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function arrayLiteral(values: readonly unknown[]): string {
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    return `"${String(typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v instanceof Date ? v.toISOString() : v).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  });
  return `{${items.join(',')}}`;
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
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return escapeText(arrayLiteral(value));
  if (typeof value === 'object') return escapeText(JSON.stringify(value));
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return escapeText(String(value));
}

/** One row as a COPY text line (with its newline): the named fields of `row`, in `columns` order. */
export function copyLine(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  let line = copyValue(row[columns[0] ?? '']);
  for (let i = 1; i < columns.length; i++) line += `\t${copyValue(row[columns[i] ?? ''])}`;
  return `${line}\n`;
}
