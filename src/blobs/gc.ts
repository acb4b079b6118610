import { sql } from 'kysely';
import { ensureStrataSchema, isStrataError, type StrataError, withTransaction } from '../db/index.js';
import type { BlobBackend } from './backend.js';
import { lockObject, removeIfUnused, trash } from './object-lock.js';
import type { BlobStore } from './store.js';
import { ATTACHMENTS, BLOBS, TRASH } from './tables.js';

/** How long an unused blob or an unreferenced object is kept by default: 1 hour. */
export const DEFAULT_GRACE_MS = 3_600_000;

export interface GcProgress {
  readonly phase: 'blobs' | 'trash' | 'orphans';
  /** Blob rows deleted so far. */
  readonly blobs: number;
  /** Objects removed from backends so far. */
  readonly objects: number;
}

export interface GcOptions {
  /** Only blobs unused, and objects unreferenced, for longer than this are collected. Default 1 hour. */
  readonly graceMs?: number;
  /** Objects no row uses are removed once older than this (uploads in flight are such objects until they commit). Default: `graceMs`. */
  readonly orphanGraceMs?: number;
  readonly onProgress?: (progress: GcProgress) => void;
  readonly signal?: AbortSignal;
}

/** What gc did; a gc stopped by an error reports it here (with what it did before) instead of throwing. */
export interface GcResult {
  readonly blobs: number;
  readonly objects: number;
  readonly error?: StrataError | Error;
}

const BATCH = 100;

/**
 * Collects garbage: blobs no attachment has used for the grace period (their rows, then their
 * objects), objects moved away or released longer ago than that, and orphans (objects no row uses,
 * e.g. left by a crash between the object's write and its metadata's commit, or uploads abandoned
 * halfway) older than it. Every removal happens under the object's lock after checking that no row
 * uses it, so an upload of the same bytes racing gc keeps its object. Safe to run at any time, and
 * to rerun after a kill.
 *
 * @example
 * const result = await collectGarbage(store, { graceMs: 24 * 3_600_000 });
 * if (result.error) throw result.error;
 */
export async function collectGarbage(store: BlobStore, options: GcOptions = {}): Promise<GcResult> {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const counts = { blobs: 0, objects: 0 };
  const progress = (phase: GcProgress['phase']) => options.onProgress?.({ phase, ...counts });
  const stop = () => {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('gc aborted');
  };
  try {
    await ensureStrataSchema(store.db);
    await unusedBlobs(store, graceMs, counts, stop, () => progress('blobs'));
    await emptyTrash(store, counts, stop, () => progress('trash'));
    for (const backend of store.backends) await orphans(store, backend, options.orphanGraceMs ?? graceMs, counts, stop, () => progress('orphans'));
    return counts;
  } catch (err) {
    return { ...counts, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

const unused = (graceMs: number) => sql`
  NOT EXISTS (SELECT 1 FROM ${sql.raw(ATTACHMENTS)} a WHERE a.blob_id = b.id)
  AND coalesce(b.released_at, b.created_at) < clock_timestamp() - make_interval(secs => ${graceMs / 1000})`;

async function unusedBlobs(store: BlobStore, graceMs: number, counts: { blobs: number }, stop: () => void, progress: () => void): Promise<void> {
  const { db } = store;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    stop();
    const { rows } = await sql<{ id: string; backend: string; key: string }>`
      SELECT b.id, b.backend, b.key FROM ${sql.raw(BLOBS)} b WHERE b.id > ${after} AND ${unused(graceMs)} ORDER BY b.id LIMIT ${BATCH}`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) {
      after = row.id;
      const deleted = await withTransaction(db, async (trx) => {
        await lockObject(trx, row.backend, row.key);
        const result = await sql`DELETE FROM ${sql.raw(BLOBS)} b WHERE b.id = ${row.id} AND ${unused(graceMs)}`.execute(trx);
        if (Number(result.numAffectedRows ?? 0n) === 0) return false;
        await trash(trx, row.backend, row.key, 0);
        return true;
      }).catch((err: unknown) => {
        // An attachment committed while the row was being deleted: it is in use again.
        if (isStrataError(err, 'FOREIGN_KEY_VIOLATION')) return false;
        throw err;
      });
      if (deleted) {
        counts.blobs += 1;
        progress();
      }
    }
  }
}

async function emptyTrash(store: BlobStore, counts: { objects: number }, stop: () => void, progress: () => void): Promise<void> {
  const { db } = store;
  const configured = store.backends.map((b) => b.name);
  let after = { backend: '', key: '' };
  for (;;) {
    stop();
    const { rows } = await sql<{ backend: string; key: string }>`
      SELECT backend, key FROM ${sql.raw(TRASH)}
       WHERE remove_after < clock_timestamp() AND backend = ANY(${configured}) AND (backend, key) > (${after.backend}, ${after.key})
       ORDER BY backend, key LIMIT ${BATCH}`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) {
      after = row;
      const backend = store.backends.find((b) => b.name === row.backend) as BlobBackend;
      if (await removeIfUnused(db, backend, row.key)) {
        counts.objects += 1;
        progress();
      }
    }
  }
}

async function orphans(
  store: BlobStore,
  backend: BlobBackend,
  graceMs: number,
  counts: { objects: number },
  stop: () => void,
  progress: () => void,
): Promise<void> {
  const before = new Date(Date.now() - graceMs);
  counts.objects += (await backend.abandonIncomplete?.(before)) ?? 0;
  let batch: string[] = [];
  const check = async () => {
    const { rows } = await sql<{ key: string }>`SELECT key FROM ${sql.raw(BLOBS)} WHERE backend = ${backend.name} AND key = ANY(${batch})`.execute(store.db);
    const used = new Set(rows.map((r) => r.key));
    for (const key of batch) {
      stop();
      if (!used.has(key) && (await removeIfUnused(store.db, backend, key))) {
        counts.objects += 1;
        progress();
      }
    }
    batch = [];
  };
  for await (const object of backend.list()) {
    if (object.modifiedAt >= before) continue;
    if (object.staged) {
      await backend.discard({ location: object.key, size: 0 });
      counts.objects += 1;
      progress();
      continue;
    }
    batch.push(object.key);
    if (batch.length >= BATCH) await check();
  }
  if (batch.length > 0) await check();
}
