import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LineMap } from './line-map.js';
import { mergeStage } from './merge.js';
import { BULK_ROWS } from './metrics.js';
import { badRow, chunkSetup, copyStatement, type Plan, rowCaused } from './plan.js';
import { RECORD_CHUNK } from './progress.js';
import type { SourceRecord } from './sources.js';

/** A chunk held in memory, so bad rows can be found by bisection. */
export interface HeldChunk {
  readonly records: SourceRecord[];
  readonly lines: string[];
}

const MAX_BUFFER = 64 * 1024;

async function copyLines(client: pg.PoolClient, statement: string, lines: readonly string[]): Promise<void> {
  const stream = client.query(copyFrom(statement));
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= MAX_BUFFER) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  stream.end(buffer);
  await finished(stream);
}

async function writeUnit(client: pg.PoolClient, plan: Plan, lines: readonly string[]): Promise<void> {
  if (plan.upsert) await client.query('TRUNCATE strata_bulk_stage');
  await copyLines(client, copyStatement(plan), lines);
  await mergeStage(client, plan);
}

/** A row set aside: its position in the held chunk and why the database refused it. */
interface Rejected {
  readonly at: number;
  readonly reason: string;
}

/** Writes what it can of a chunk, setting bad rows aside one by one (bisection under savepoints). */
async function writeWithRejects(client: pg.PoolClient, plan: Plan, chunk: HeldChunk, from: number, to: number, rejects: Rejected[]): Promise<void> {
  await client.query('SAVEPOINT strata_bulk');
  try {
    await writeUnit(client, plan, chunk.lines.slice(from, to));
    await client.query('RELEASE SAVEPOINT strata_bulk');
  } catch (err) {
    // Only a row's data sets a row aside; a lock or a lost connection fails the chunk.
    if (!rowCaused(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT strata_bulk');
    if (to - from === 1) {
      // The database's own words, pointed at the row's input line and column.
      rejects.push({ at: from, reason: badRow(err, LineMap.of([chunk.records[from]?.line ?? 0])).message });
      return;
    }
    const mid = from + Math.ceil((to - from) / 2);
    await writeWithRejects(client, plan, chunk, from, mid, rejects);
    await writeWithRejects(client, plan, chunk, mid, to, rejects);
  }
}

/** Commits one held chunk minus the rows the database refuses (reject mode: one connection, in order). */
export async function commitWithRejects(
  client: pg.PoolClient,
  plan: Plan,
  chunk: HeldChunk,
): Promise<{ rows: number; rejected: { record: SourceRecord; reason: string }[] }> {
  let broken = false;
  try {
    await client.query('BEGIN');
    for (const step of chunkSetup(plan)) await (typeof step === 'string' ? client.query(step) : client.query(step.text, step.values));
    const rejects: Rejected[] = [];
    await writeWithRejects(client, plan, chunk, 0, chunk.lines.length, rejects);
    const rows = chunk.lines.length - rejects.length;
    const first = chunk.records[0]?.line ?? 0;
    const last = chunk.records.at(-1)?.line ?? 0;
    if (plan.loadId) await client.query(RECORD_CHUNK, [plan.loadId, plan.table, first, last, rows, rejects.length, plan.target.schema, plan.target.table]);
    await client.query('COMMIT');
    BULK_ROWS.record({ table: plan.table }, rows);
    return { rows, rejected: rejects.flatMap(({ at, reason }) => (chunk.records[at] ? [{ record: chunk.records[at], reason }] : [])) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw badRow(err, LineMap.of(chunk.records.map((r) => r.line)));
  } finally {
    client.release(broken);
  }
}
