import { sql } from 'kysely';
import { ensureStrataSchema, isStrataError, type StrataError } from '../db/index.js';
import { BLOB_COLUMNS, type BlobRow, blobFromRow } from './records.js';
import type { BlobStore } from './store.js';
import { BLOBS, VERIFY_RUNS } from './tables.js';
import { verifiedChunks } from './verified-read.js';

export interface VerifyProgress {
  readonly checked: number;
  readonly bytes: number;
  /** Blobs and bytes in the store when the run started. */
  readonly total: number;
  readonly totalBytes: number;
  readonly bad: number;
}

/** A blob verify found wrong. */
export interface VerifyProblem {
  readonly blobId: string;
  readonly backend: string;
  readonly key: string;
  readonly status: 'corrupt' | 'missing' | 'unavailable';
  readonly message: string;
}

export interface VerifyOptions {
  readonly onProgress?: (progress: VerifyProgress) => void;
  readonly signal?: AbortSignal;
  /** Start a new run even when the last one was stopped before its end. Default false: carry on with it. */
  readonly restart?: boolean;
}

export interface VerifyResult {
  readonly checked: number;
  readonly bytes: number;
  /** Whether this call carried on a run stopped earlier. */
  readonly resumed: boolean;
  /** Every blob found wrong in this run (earlier calls of a resumed run included). */
  readonly problems: readonly VerifyProblem[];
  readonly error?: StrataError | Error;
}

interface Run {
  id: string;
  started_at: Date;
  after_id: string | null;
  checked: string;
  bytes: string;
}

const BATCH = 50;

async function currentRun(store: BlobStore, restart: boolean): Promise<{ run: Run; resumed: boolean }> {
  const runs = sql.raw(VERIFY_RUNS);
  if (restart) await sql`UPDATE ${runs} SET finished_at = clock_timestamp() WHERE finished_at IS NULL`.execute(store.db);
  const { rows } = await sql<Run>`SELECT id, started_at, after_id, checked, bytes FROM ${runs} WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1`.execute(
    store.db,
  );
  if (rows[0]) return { run: rows[0], resumed: true };
  const { rows: created } = await sql<Run>`INSERT INTO ${runs} DEFAULT VALUES RETURNING id, started_at, after_id, checked, bytes`.execute(store.db);
  return { run: created[0] as Run, resumed: false };
}

/**
 * Re-reads every blob from its backend and checks it against its sha256 (block by block and
 * whole): corrupt and missing objects are reported and marked (`verify_status`). Progress is saved
 * after every blob, so a run that is killed carries on where it stopped when called again.
 *
 * @example
 * const result = await verifyBlobs(store, { onProgress: (p) => console.log(p.checked, '/', p.total) });
 * for (const p of result.problems) console.log(p.blobId, p.status, p.message);
 */
export async function verifyBlobs(store: BlobStore, options: VerifyOptions = {}): Promise<VerifyResult> {
  await ensureStrataSchema(store.db);
  const { run, resumed } = await currentRun(store, options.restart ?? false);
  let checked = Number(run.checked);
  let bytes = Number(run.bytes);
  let after = run.after_id ?? '00000000-0000-0000-0000-000000000000';
  const { rows: totals } = await sql<{
    n: string;
    size: string;
  }>`SELECT count(*)::text AS n, coalesce(sum(size), 0)::text AS size FROM ${sql.raw(BLOBS)}`.execute(store.db);
  const total = Number(totals[0]?.n ?? 0);
  const totalBytes = Number(totals[0]?.size ?? 0);
  const problems = async () => {
    const { rows } = await sql<{ id: string; backend: string; key: string; verify_status: VerifyProblem['status'] }>`
      SELECT id, backend, key, verify_status FROM ${sql.raw(BLOBS)}
       WHERE verify_status <> 'ok' AND verified_at >= ${run.started_at} ORDER BY id`.execute(store.db);
    return rows.map((r) => ({
      blobId: r.id,
      backend: r.backend,
      key: r.key,
      status: r.verify_status,
      message: messages.get(r.id) ?? `${r.verify_status} (found earlier in this run)`,
    }));
  };
  const messages = new Map<string, string>();
  let bad = (await problems()).length;
  try {
    for (;;) {
      const { rows } = await sql<BlobRow>`SELECT ${sql.raw(BLOB_COLUMNS)} FROM ${sql.raw(BLOBS)} b WHERE b.id > ${after} ORDER BY b.id LIMIT ${BATCH}`.execute(
        store.db,
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('verify aborted');
        const blob = blobFromRow(row);
        let status: VerifyProblem['status'] | 'ok' = 'ok';
        try {
          for await (const chunk of verifiedChunks(store.backend(blob.backend), blob)) bytes += chunk.length;
        } catch (err) {
          if (!isStrataError(err) || !['BLOB_CORRUPT', 'BLOB_MISSING', 'BLOB_BACKEND_UNAVAILABLE'].includes(err.code)) throw err;
          status = err.code === 'BLOB_CORRUPT' ? 'corrupt' : err.code === 'BLOB_MISSING' ? 'missing' : 'unavailable';
          messages.set(blob.id, err.message);
          bad += 1;
        }
        checked += 1;
        after = blob.id;
        await sql`UPDATE ${sql.raw(BLOBS)} SET verified_at = clock_timestamp(), verify_status = ${status} WHERE id = ${blob.id}`.execute(store.db);
        await sql`UPDATE ${sql.raw(VERIFY_RUNS)} SET after_id = ${after}, checked = ${checked}, bytes = ${bytes} WHERE id = ${run.id}`.execute(store.db);
        options.onProgress?.({ checked, bytes, total, totalBytes, bad });
      }
    }
    await sql`UPDATE ${sql.raw(VERIFY_RUNS)} SET finished_at = clock_timestamp() WHERE id = ${run.id}`.execute(store.db);
    return { checked, bytes, resumed, problems: await problems() };
  } catch (err) {
    return { checked, bytes, resumed, problems: await problems().catch(() => []), error: err instanceof Error ? err : new Error(String(err)) };
  }
}
