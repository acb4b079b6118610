import type pg from 'pg';

/**
 * Named prepared statements for strata's own hot statements. A statement whose text begins with
 * `preparedStatement(op)` (its operation comment, then `/* strata:prepared *\/`) is sent, on a
 * direct connection, as the named statement `strata_<op>`:
 * the server parses and plans it once per connection (node-postgres sends its Parse only the first
 * time) and each call after that is Bind and Execute only. Behind a transaction-mode pooler
 * (PgBouncer), where the next transaction may get another server connection, it is sent as any
 * other statement. Each operation must always carry the same text.
 */
const MARKER = /^\/\* strata:op=([a-z0-9_]+) \*\/ \/\* strata:prepared \*\//;

/**
 * The start of a statement to send as a named prepared statement (see above): the operation
 * comment observability reads (\`op\`: lower case letters, digits, underscores), then the marker.
 */
export function preparedStatement(op: string): string {
  if (!/^[a-z0-9_]+$/.test(op)) throw new RangeError(`prepared statement ${op}: lower case letters, digits and underscores only`);
  return `/* strata:op=${op} */ /* strata:prepared */`;
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Sends `client`'s marked statements (above) as named prepared statements while `direct()` is true.
 * Called for each new connection of strata's Postgres pools, after any other wrapper of `query`.
 */
export function applyPreparedStatements(client: pg.ClientBase, direct: () => boolean): void {
  const original = client.query.bind(client) as QueryFn;
  const query: QueryFn = (...args) => {
    const [text, values] = args;
    if (typeof text !== 'string' || (args.length > 2 && typeof args[2] === 'function') || !direct()) return original(...args);
    const op = MARKER.exec(text)?.[1];
    if (op === undefined) return original(...args);
    return original({ name: `strata_${op}`, text, values: Array.isArray(values) ? values : [] }, ...args.slice(2));
  };
  (client as unknown as { query: QueryFn }).query = query;
}
