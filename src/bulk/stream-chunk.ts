import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LineMap } from './line-map.js';
import type { ReadPool } from './read-pool.js';

const FLUSH_AT = 64 * 1024;

/**
 * How much a chunk's COPY may hold before the producer waits: enough that a finished chunk keeps
 * its connection busy while the next chunk fills on another (parallel loads), small enough that
 * memory stays flat.
 */
const COPY_BUFFER = 2 * 1024 * 1024;

/**
 * One chunk's transaction with its COPY open while rows are still arriving, so encoding in Node
 * and parsing in PostgreSQL overlap (as a hand-written COPY does). Only line numbers are kept, for
 * error messages: memory stays flat.
 */
export class StreamingChunk {
  readonly lines = new LineMap();
  private buffer = '';
  private failure: unknown;
  /** Pieces of pooled reads that COPY has passed to the socket, held until the socket has written them too. */
  private written: Buffer[] = [];
  private pool: ReadPool | undefined;
  private onDrain: { readonly socket: Writable; readonly listener: () => void } | undefined;

  private constructor(
    readonly client: pg.PoolClient,
    private readonly copy: Writable,
  ) {
    copy.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /** Opens a transaction (running `prepare` in it first) and starts `COPY … FROM STDIN`. */
  static async open(
    client: pg.PoolClient,
    statement: string,
    prepare: readonly (string | { readonly text: string; readonly values: string[] })[],
  ): Promise<StreamingChunk> {
    try {
      await client.query('BEGIN');
      for (const step of prepare) await (typeof step === 'string' ? client.query(step) : client.query(step.text, step.values));
      return new StreamingChunk(client, client.query(copyFrom(statement, { highWaterMark: COPY_BUFFER })));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw err;
    }
  }

  /** Cancels the COPY (CopyFail), rolls the chunk back and returns the connection (discarding it if that failed). */
  async abort(): Promise<void> {
    if (!this.copy.writableFinished) {
      this.copy.destroy(new Error('load abandoned'));
      await finished(this.copy).catch(() => undefined);
    }
    let broken = false;
    await this.client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    // The server answered after every byte written before: the socket holds none of them.
    if (!broken) this.recycle();
    this.client.release(broken);
  }

  get size(): number {
    return this.lines.size;
  }

  /**
   * Adds one encoded row. True when the server is behind (COPY's buffer is full): the producer
   * should wait for `writable()` or move on to another connection.
   */
  add(line: string, lineNo: number): boolean {
    if (this.failure) throw this.failure;
    this.lines.push(lineNo);
    this.buffer += line;
    if (this.buffer.length < FLUSH_AT) return false;
    const more = this.copy.write(this.buffer);
    this.buffer = '';
    return !more;
  }

  /** Resolves when COPY's buffer has drained (or the COPY ended); its listeners go with it. */
  writable(): Promise<void> {
    const copy = this.copy;
    if (!copy.writableNeedDrain || copy.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        for (const event of ['drain', 'close', 'error'] as const) copy.off(event, done);
        resolve();
      };
      for (const event of ['drain', 'close', 'error'] as const) copy.on(event, done);
    });
  }

  /**
   * Sends bytes already in COPY's input format (one input read of a raw CSV file); `lines` are its
   * records' start lines. True when the server is behind, as for `add`. Pieces of `pool`'s buffers
   * are retained until the socket has written them (then the buffer may be read into again).
   */
  addRaw(data: readonly Buffer[], lines: LineMap, pool?: ReadPool): boolean {
    if (this.failure) throw this.failure;
    this.lines.append(lines);
    let more = true;
    for (const piece of data) {
      if (pool?.retain(piece)) {
        this.pool = pool;
        more = this.copy.write(piece, (err) => {
          if (!err) this.sent(piece);
        });
      } else more = this.copy.write(piece);
    }
    return !more;
  }

  /**
   * COPY has given `piece` to the socket. A write the socket could not finish at once keeps
   * pointing into the buffer (a small one even after the write reported success), so pieces go
   * back only when the socket has nothing left to write: now, at its next 'drain' (every byte
   * queued before it written), or when the chunk ends.
   */
  private sent(piece: Buffer): void {
    this.written.push(piece);
    const socket = (this.client as unknown as { connection?: { stream?: Writable } }).connection?.stream;
    if (!socket) return;
    if (socket.writableLength === 0) this.recycle();
    else if (socket.writableNeedDrain && !this.onDrain) {
      const onDrain = () => {
        this.onDrain = undefined;
        this.recycle();
      };
      this.onDrain = { socket, listener: onDrain };
      socket.once('drain', onDrain);
    }
  }

  private recycle(): void {
    if (this.onDrain) {
      this.onDrain.socket.off('drain', this.onDrain.listener);
      this.onDrain = undefined;
    }
    for (const piece of this.written) this.pool?.release(piece);
    this.written = [];
  }

  /** Ends the COPY and resolves when the server has taken every row (or rejects with its error). */
  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    this.copy.end(this.buffer);
    this.buffer = '';
    await finished(this.copy);
    // The server has every row (CommandComplete): nothing of the chunk is left to write.
    this.recycle();
  }
}
