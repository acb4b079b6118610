import type pg from 'pg';
import type { StrataError } from '../db/index.js';
import { mergeChunk } from './merge.js';
import { BULK_ROWS } from './metrics.js';
import { badRow, chunkSetup, copyStatement, type Plan } from './plan.js';
import { RECORD_CHUNK } from './progress.js';
import { StreamingChunk } from './stream-chunk.js';

/** Thrown inside a chunk that must not commit because an earlier chunk failed; never escapes. */
const ABANDONED = Symbol('abandoned');

/**
 * Chunks of one load, each in its own transaction, up to `parallel` connections at once: while
 * one chunk's rows are still being parsed and committed by the server, the next fills on another
 * connection. Every chunk commits with its line range (the load's progress) or not at all.
 *
 * Order: an upsert's chunks merge and commit strictly in input order (the later row of a key wins
 * across chunks too). An insert's chunks commit as they finish; once a chunk fails, no later chunk
 * commits, and the first failure in input order is the one reported.
 */
export class ChunkPipeline {
  private readonly inflight = new Set<Promise<boolean>>();
  private previous: Promise<boolean> = Promise.resolve(true);
  private next = 0;
  private failedAt = Number.POSITIVE_INFINITY;
  private error: StrataError | undefined;
  rows = 0;
  chunks = 0;

  constructor(
    private readonly connect: () => Promise<pg.PoolClient>,
    private readonly plan: Plan,
    private readonly parallel: number,
    private readonly csv: boolean,
    private readonly onCommit: () => void,
  ) {}

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Whether a chunk cut now would leave a connection free for the next one (no waiting). */
  get canOpenAnother(): boolean {
    return this.inflight.size + 1 < this.parallel;
  }

  /**
   * Waits while `chunk`'s server is behind; with `orSlot`, only until a chunk in flight finishes
   * (its connection free, the caller may end `chunk` early). Nothing in flight: only the drain.
   */
  async behind(chunk: StreamingChunk, orSlot: boolean): Promise<void> {
    if (!orSlot || this.inflight.size === 0) return chunk.writable();
    await Promise.race([chunk.writable(), ...this.inflight]);
  }

  /** A new chunk, once a connection slot is free. */
  async open(): Promise<StreamingChunk> {
    while (this.inflight.size >= this.parallel) await Promise.race(this.inflight);
    return StreamingChunk.open(await this.connect(), copyStatement(this.plan, this.csv), chunkSetup(this.plan));
  }

  /** Ends a chunk's COPY and commits it in the background; `lastLine` is the last input line it holds. */
  finish(chunk: StreamingChunk, lastLine: number): void {
    const done = this.commit(chunk, this.next++, this.previous, lastLine);
    this.previous = done;
    this.inflight.add(done);
    void done.then(() => this.inflight.delete(done));
  }

  /** Rolls back a chunk the producer could not complete (the server refused a write, or the source failed). */
  async abandon(chunk: StreamingChunk | undefined, error: StrataError): Promise<void> {
    const order = this.next++;
    await chunk?.abort();
    this.fail(order, error);
  }

  /** Waits for every chunk; the first failure in input order, if any. */
  async drain(): Promise<StrataError | undefined> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
    return this.error;
  }

  private fail(order: number, error: StrataError): void {
    if (order >= this.failedAt) return;
    this.failedAt = order;
    this.error = error;
  }

  private async commit(chunk: StreamingChunk, order: number, previous: Promise<boolean>, lastLine: number): Promise<boolean> {
    try {
      await chunk.finish();
      if (this.plan.upsert && !(await previous)) throw ABANDONED;
      await mergeChunk(chunk.client, this.plan, chunk.lines);
      if (order > this.failedAt) throw ABANDONED;
      if (this.plan.loadId)
        await chunk.client.query(RECORD_CHUNK, [
          this.plan.loadId,
          this.plan.table,
          chunk.lines.first ?? lastLine,
          lastLine,
          chunk.size,
          0,
          this.plan.target.schema,
          this.plan.target.table,
        ]);
      await chunk.client.query('COMMIT');
      chunk.client.release();
    } catch (err) {
      await chunk.abort();
      if (err !== ABANDONED) this.fail(order, badRow(err, chunk.lines));
      return false;
    }
    this.rows += chunk.size;
    this.chunks++;
    BULK_ROWS.record({ table: this.plan.table }, chunk.size);
    this.onCommit();
    return true;
  }
}
