import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { type Database, quoteIdent as q, StrataError, translatePostgresError } from '../db/index.js';
import { baseTableOf } from '../softdelete/index.js';
import { checkCondition } from './condition.js';
import { failure, NO_STATEMENT_TIMEOUT, statementCaused } from './plan.js';
import { rawConnector } from './raw.js';

export type ExportFormat = 'csv' | 'ndjson';

export interface ExportOptions {
  readonly format?: ExportFormat;
  /**
   * A SQL condition (CLI `--where`), put in `WHERE (...)` after a check that it is one expression
   * (no `;`, comments or unbalanced parentheses). It is SQL run with the connection's rights: for
   * the operator's own use, never built from a request's input.
   */
  readonly where?: string;
  readonly schema?: string;
  readonly onRows?: (rows: number) => void;
}

function badCondition(err: Error): StrataError {
  return new StrataError('BULK_WHERE_INVALID', `the where condition fails: ${translatePostgresError(err).message}`, {}, { cause: err });
}

function unescapeJsonLines(onRows?: (rows: number) => void): Transform {
  let rows = 0;
  let tail = '';
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = tail + chunk.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      tail = text.slice(cut);
      const body = text.slice(0, cut);
      for (const c of body) if (c === '\n') rows++;
      onRows?.(rows);
      done(null, body.replace(/\\\\/g, '\\'));
    },
    flush(done) {
      done(null, tail.replace(/\\\\/g, '\\'));
    },
  });
}

function countLines(onRows?: (rows: number) => void): Transform {
  let rows = -1;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (const byte of chunk) if (byte === 10) rows++;
      onRows?.(Math.max(0, rows));
      done(null, chunk);
    },
  });
}

/**
 * Streams a table's live rows out through COPY TO STDOUT (CSV with a header, or NDJSON), with
 * backpressure: memory stays flat whatever the size. The connection returns to the pool when the
 * stream ends or fails.
 *
 * @example
 * await pipeline(await exportRows(database, 'products', { format: 'ndjson' }), createWriteStream('p.ndjson'));
 */
export async function exportRows(database: Database, table: string, options: ExportOptions = {}): Promise<Readable> {
  const connect = rawConnector(database, 'exporting');
  const { schema } = await baseTableOf(database.db, table, options.schema);
  const relation = `${q(schema)}.${q(table)}`;
  const where = options.where === undefined ? '' : ` WHERE (${checkCondition(options.where)})`;
  const statement =
    options.format === 'ndjson'
      ? `COPY (SELECT row_to_json(t) FROM (SELECT * FROM ${relation}${where}) t) TO STDOUT`
      : `COPY (SELECT * FROM ${relation}${where}) TO STDOUT WITH (FORMAT csv, HEADER)`;
  const client = await connect();
  try {
    // In a transaction of its own, so the statement timeout is lifted for this COPY only: an export
    // lasts as long as its reader takes.
    await client.query('BEGIN READ ONLY');
    await client.query(NO_STATEMENT_TIMEOUT);
  } catch (err) {
    client.release(true);
    throw failure(err);
  }
  if (where) {
    // A condition naming a missing column, or of the wrong type, fails here: before any output.
    try {
      await client.query(`SELECT 1 FROM ${relation}${where} LIMIT 0`);
    } catch (err) {
      const broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      client.release(broken);
      throw statementCaused(err) ? badCondition(err as Error) : failure(err);
    }
  }
  const out = new PassThrough();
  const copy = client.query(copyTo(statement));
  pipeline(copy, options.format === 'ndjson' ? unescapeJsonLines(options.onRows) : countLines(options.onRows), out)
    .then(() => client.query('COMMIT'))
    .then(
      () => client.release(),
      (err: unknown) => {
        client.release(true);
        out.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  return out;
}
