import { sql } from 'kysely';
import { ensureStrataSchema, isStrataError, type StrataError, withTransaction } from '../db/index.js';
import type { BackendName, StagedObject } from './backend.js';
import { DEFAULT_GRACE_MS } from './gc.js';
import { BLOB_BYTES } from './metrics.js';
import { lockObject, removeIfUnused, trash } from './object-lock.js';
import { BLOB_COLUMNS, type BlobRecord, type BlobRow, blobFromRow } from './records.js';
import type { BlobStore } from './store.js';
import { BLOBS } from './tables.js';
import { verifiedChunks } from './verified-read.js';

export interface MoveProgress {
  readonly moved: number;
  readonly bytes: number;
  /** Blobs and bytes not on the target when the run started. */
  readonly total: number;
  readonly totalBytes: number;
  readonly failed: number;
}

export interface MoveOptions {
  readonly to: BackendName;
  /** How long an old object stays after its blob moved (reads that started before the move finish from it). Default 1 hour. */
  readonly graceMs?: number;
  readonly onProgress?: (progress: MoveProgress) => void;
  readonly signal?: AbortSignal;
}

/** A blob that could not be moved (it stays where it is). */
export interface MoveFailure {
  readonly blobId: string;
  readonly message: string;
}

export interface MoveResult {
  readonly moved: number;
  readonly bytes: number;
  readonly failed: readonly MoveFailure[];
  readonly error?: StrataError | Error;
}

const BATCH = 50;

/**
 * Moves every blob to another backend while the service keeps running: each object is copied
 * (verified as it is read), then its row is switched to the copy in one short transaction; the old
 * object goes to the trash, where reads that started before the switch can still finish, and gc
 * removes it after the grace period. Each blob commits on its own, so a killed move carries on
 * with the blobs left when run again. A corrupt or missing object is reported and not moved.
 *
 * @example
 * const result = await moveBlobs(store, { to: 's3', onProgress: (p) => console.log(`${p.moved}/${p.total}`) });
 */
export async function moveBlobs(store: BlobStore, options: MoveOptions): Promise<MoveResult> {
  const target = store.backend(options.to);
  await ensureStrataSchema(store.db);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const { rows: totals } = await sql<{ n: string; size: string }>`
    SELECT count(*)::text AS n, coalesce(sum(size), 0)::text AS size FROM ${sql.raw(BLOBS)} WHERE backend <> ${target.name}`.execute(store.db);
  const total = Number(totals[0]?.n ?? 0);
  const totalBytes = Number(totals[0]?.size ?? 0);
  let moved = 0;
  let bytes = 0;
  const failed: MoveFailure[] = [];
  let after = '00000000-0000-0000-0000-000000000000';

  async function moveOne(blob: BlobRecord): Promise<void> {
    let staged: StagedObject;
    try {
      staged = await target.stage(verifiedChunks(store.backend(blob.backend), blob));
    } catch (err) {
      if (!isStrataError(err) || !['BLOB_CORRUPT', 'BLOB_MISSING', 'BLOB_BACKEND_UNAVAILABLE'].includes(err.code)) throw err;
      failed.push({ blobId: blob.id, message: err.message });
      return;
    }
    BLOB_BYTES.record({ backend: target.name, direction: 'in' }, staged.size);
    let placed: string | undefined;
    let switched = false;
    try {
      switched = await withTransaction(store.db, async (trx) => {
        await lockObject(trx, target.name, target.keyFor(staged, blob.sha256));
        const { rows } = await sql<{ backend: string; key: string }>`SELECT backend, key FROM ${sql.raw(BLOBS)} WHERE id = ${blob.id} FOR UPDATE`.execute(trx);
        const now = rows[0];
        if (!now || now.backend !== blob.backend || now.key !== blob.key) return false;
        placed = await target.place(staged, blob.sha256);
        await sql`UPDATE ${sql.raw(BLOBS)} SET backend = ${target.name}, key = ${placed} WHERE id = ${blob.id}`.execute(trx);
        await trash(trx, blob.backend, blob.key, graceMs);
        return true;
      });
    } finally {
      if (!switched) {
        if (placed === undefined) await target.discard(staged).catch(() => undefined);
        else await removeIfUnused(store.db, target, placed).catch(() => undefined);
      }
    }
    if (switched) {
      moved += 1;
      bytes += blob.size;
    }
  }

  try {
    for (;;) {
      const { rows } = await sql<BlobRow>`
        SELECT ${sql.raw(BLOB_COLUMNS)} FROM ${sql.raw(BLOBS)} b WHERE b.backend <> ${target.name} AND b.id > ${after} ORDER BY b.id LIMIT ${BATCH}`.execute(
        store.db,
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('move aborted');
        const blob = blobFromRow(row);
        after = blob.id;
        await moveOne(blob);
        options.onProgress?.({ moved, bytes, total, totalBytes, failed: failed.length });
      }
    }
    return { moved, bytes, failed };
  } catch (err) {
    return { moved, bytes, failed, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
