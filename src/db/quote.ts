/**
 * Quotes one SQL identifier (PostgreSQL and ANSI double quotes, MariaDB backticks).
 * The only place strata turns a name into SQL text; values always travel as parameters.
 *
 * @example
 * quoteIdent('order') // '"order"'
 * quoteIdent('public.products') // '"public.products"' (one identifier; see quoteQualified)
 */
export function quoteIdent(name: string, engine: 'postgres' | 'mariadb' = 'postgres'): string {
  if (name.length === 0) throw new TypeError('identifier must not be empty');
  if (name.includes('\u0000')) throw new TypeError('identifier must not contain NUL');
  const q = engine === 'postgres' ? '"' : '`';
  return q + name.split(q).join(q + q) + q;
}

/**
 * Quotes a possibly schema-qualified name, one identifier per dot.
 *
 * @example
 * quoteQualified('public.products') // '"public"."products"'
 */
export function quoteQualified(name: string, engine: 'postgres' | 'mariadb' = 'postgres'): string {
  return name
    .split('.')
    .map((part) => quoteIdent(part, engine))
    .join('.');
}
