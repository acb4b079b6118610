import pg from 'pg';

/**
 * The pool's statement timeout. On a direct connection it is set once, with a session `SET` before
 * the connection's first statement. Behind a transaction-mode pooler (PgBouncer), where a session
 * `SET` would stay on the server connection for whichever client gets it next and a
 * `statement_timeout` startup parameter is refused, it is applied to one transaction at a time:
 *
 * - A statement outside a transaction travels with `set_config('statement_timeout', …, true)` in
 *   the same round trip: in the extended protocol as a statement of its own before the caller's,
 *   both before one Sync (one implicit transaction); in the simple protocol as the first statement
 *   of the query string (one implicit transaction block).
 * - `BEGIN` / `START TRANSACTION` is followed by the same call in its query string, so every
 *   statement of the transaction has the timeout, and a `SET LOCAL statement_timeout` in it (a
 *   bulk load's COPY) holds until the transaction ends.
 * - Inside a transaction nothing is added. What cannot run in a transaction block (`VACUUM`,
 *   `CREATE DATABASE`, `… CONCURRENTLY`, …) and transaction control are sent as they are.
 *
 * The set_config call's own result is removed: callers get what they would get without it.
 */
const SET_TIMEOUT = "SELECT set_config('statement_timeout', $1, true)";

const BEGINS = /^\s*(begin|start\s+transaction)\b/i;
const AS_IS =
  /^\s*(vacuum|cluster\s*;?\s*$|create\s+database|drop\s+database|alter\s+database|alter\s+system|create\s+tablespace|drop\s+tablespace|reindex\s+(system|database)|(create|alter|drop)\s+subscription|commit|rollback|end|abort|savepoint|release|prepare\s+transaction|discard)\b|\bconcurrently\b/i;

interface QueryInternals {
  text: string;
  name?: string;
  rows?: number;
  _results: unknown;
  requiresPreparation(): boolean;
}

type Connection = {
  parse(q: { text: string; name: string; types: unknown[] }): void;
  bind(c: { portal: string; statement: string; values: unknown[] }): void;
  describe(m: { type: 'P'; name: string }): void;
  execute(c: { portal: string; rows: number }): void;
  stream: { cork?(): void; uncork?(): void };
};

const submitQuery = pg.Query.prototype.submit as unknown as (this: pg.Query, connection: Connection) => Error | null;
const readyForQuery = (pg.Query.prototype as unknown as { handleReadyForQuery(this: pg.Query, con: unknown): void }).handleReadyForQuery;

class TimeoutQuery extends pg.Query {
  constructor(timeoutMs: number, inTransaction: () => boolean, args: unknown[]) {
    super(...(args as [string]));
    const self = this as unknown as QueryInternals;
    const setting = String(timeoutMs);
    let drop: 'first' | 'last' | undefined;
    // Decided when the query goes out (not when it was queued): only then is the transaction state known.
    (this as unknown as { submit: (c: Connection) => Error | null }).submit = (connection) => {
      if (!inTransaction()) {
        if (self.requiresPreparation()) {
          connection.stream.cork?.();
          connection.parse({ text: SET_TIMEOUT, name: '', types: [] });
          connection.bind({ portal: '', statement: '', values: [setting] });
          connection.describe({ type: 'P', name: '' });
          connection.execute({ portal: '', rows: 0 });
          drop = 'first';
          try {
            return submitQuery.call(this, connection);
          } finally {
            connection.stream.uncork?.();
          }
        }
        const set = SET_TIMEOUT.replace('$1', `'${setting}'`);
        if (BEGINS.test(self.text)) {
          self.text = `${self.text};\n${set}`;
          drop = 'last';
        } else {
          self.text = `${set};\n${self.text}`;
          drop = 'first';
        }
      }
      return submitQuery.call(this, connection);
    };
    (this as unknown as { handleReadyForQuery: (con: unknown) => void }).handleReadyForQuery = (con) => {
      const results = self._results;
      if (drop && Array.isArray(results)) {
        if (drop === 'first') results.shift();
        else results.pop();
        if (results.length === 1) self._results = results[0];
      }
      readyForQuery.call(this, con);
    };
  }
}

function eligible(args: unknown[]): boolean {
  const config = args[0];
  if (typeof config === 'string') return !AS_IS.test(config);
  if (!config || typeof config !== 'object' || 'submit' in config) return false;
  const c = config as { text?: unknown; name?: unknown; rows?: unknown };
  return typeof c.text === 'string' && !c.name && !c.rows && !AS_IS.test(c.text);
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Gives every statement `client` runs the statement timeout: per transaction while
 * `perTransaction()` is true (behind a pooler, or not yet known), else once for the session (see
 * above). Called for each new connection of strata's pools; `timeoutMs` is a whole number of
 * milliseconds, > 0.
 *
 * @example
 * pool.on('connect', (client) => applyStatementTimeout(client, 30_000));
 */
export function applyStatementTimeout(client: pg.ClientBase, timeoutMs: number, perTransaction: () => boolean = () => true): void {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError(`statement timeout must be a whole number of ms > 0 (got ${timeoutMs})`);
  const original = client.query.bind(client) as QueryFn;
  const inTransaction = () => client.getTransactionStatus() !== 'I';
  let sessionSet = false;
  const query: QueryFn = (...args) => {
    if (!perTransaction()) {
      // Direct connection: once, queued ahead of the caller's statement (pg runs a client's queries in order).
      if (!sessionSet) {
        sessionSet = true;
        (original(`SET statement_timeout = ${timeoutMs}`) as Promise<unknown>).catch(() => {
          sessionSet = false;
        });
      }
      return original(...args);
    }
    if (!eligible(args)) return original(...args);
    if (typeof args[args.length - 1] === 'function') {
      original(new TimeoutQuery(timeoutMs, inTransaction, args));
      return undefined;
    }
    return new Promise((resolve, reject) => {
      const settle = (err: Error | null, result?: unknown) => (err ? reject(err) : resolve(result));
      original(new TimeoutQuery(timeoutMs, inTransaction, [...args, ...(args.length === 1 ? [undefined] : []), settle]));
    });
  };
  (client as unknown as { query: QueryFn }).query = query;
}
