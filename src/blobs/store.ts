import type { Readable } from 'node:stream';
import { type Kysely, sql, type Transaction } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { ensureStrataSchema, StrataError, withTransaction } from '../db/index.js';
import type { BackendName, BlobBackend, StagedObject } from './backend.js';
import { safeFileName } from './file-name.js';
import { type Ingested, type IngestOptions, ingest } from './ingest.js';
import { BLOB_BYTES } from './metrics.js';
import { lockObject, removeIfUnused } from './object-lock.js';
import {
  ATTACHMENT_COLUMNS,
  type AttachmentRecord,
  type AttachmentRow,
  attachmentFromRow,
  BLOB_COLUMNS,
  type BlobRecord,
  type BlobRow,
  blobFromRow,
} from './records.js';
import { ATTACHMENTS, BLOBS } from './tables.js';
import { type ByteRange, openVerified } from './verified-read.js';

/** What owns an attachment: a row of a table, by its primary key. */
export interface Owner {
  readonly table: string;
  readonly id: string;
}

export interface BlobStoreOptions {
  /** The backends objects may live in; each object is read from its own, whichever one new objects go to. */
  readonly backends: Partial<Record<BackendName, BlobBackend>>;
  /** Where new objects are written (`STRATA_BLOBS`). */
  readonly writeTo: BackendName;
}

export interface AttachInput extends IngestOptions {
  readonly owner: Owner;
  /** What the blob is to its owner, e.g. `image`. */
  readonly role: string;
  /** The bytes, streamed: never held in memory whole. */
  readonly source: AsyncIterable<Buffer | Uint8Array | string>;
  /** The client's file name, kept only as a harmless display name (see `safeFileName`). */
  readonly fileName?: string;
  /**
   * Runs first in the metadata transaction, after the bytes are stored: lock the owner's row there
   * and throw when it is gone (the stored object is then dropped).
   */
  readonly checkOwner?: (trx: Transaction<unknown>) => Promise<void>;
  /** Runs last in the metadata transaction, with the new attachment: more writes that must commit with it. */
  readonly beforeCommit?: (trx: Transaction<unknown>, attachment: AttachmentRecord) => Promise<void>;
}

/** What one backend holds. */
export interface BackendStats {
  readonly backend: BackendName;
  readonly blobs: number;
  readonly bytes: number;
  readonly attachments: number;
  readonly unused: number;
}

/** An attachment just made; `deduplicated` when its bytes were stored already. */
export interface Attached extends AttachmentRecord {
  readonly deduplicated: boolean;
}

/**
 * Blobs behind one interface: objects in a backend (fs, postgres, s3), metadata and attachments in
 * the database whatever the backend. Create it with `createBlobStore` (or `blobStoreFromEnv`).
 */
export interface BlobStore {
  readonly db: Kysely<unknown>;
  readonly writeTo: BackendName;
  /** A configured backend; BLOB_BACKEND_UNAVAILABLE when it is not. */
  backend(name: BackendName): BlobBackend;
  readonly backends: readonly BlobBackend[];
  /** Stores the bytes (once per content) and attaches them to the owner; the object is stored before the metadata commits. */
  attach(input: AttachInput): Promise<Attached>;
  /** Removes an attachment (of this owner, when given); the blob is collected by gc after its grace period once nothing uses it. */
  detach(id: string, owner?: Owner): Promise<boolean>;
  /** An attachment by its id. */
  find(id: string): Promise<AttachmentRecord | undefined>;
  /** An owner's attachments, by role and position. */
  list(owner: Owner, role?: string): Promise<AttachmentRecord[]>;
  /** A blob's bytes (or a range), verified block by block as they stream; rejects with BLOB_CORRUPT or BLOB_MISSING before the first byte. */
  open(blob: BlobRecord, range?: ByteRange): Promise<Readable>;
  /** Blobs, bytes and attachments per backend (`unused`: blobs no attachment uses, which gc collects after its grace period). */
  stats(): Promise<BackendStats[]>;
  /** Closes the backends (the database stays open). */
  close(): Promise<void>;
}

type Db = Kysely<unknown>;

async function blobBySha(trx: Db, sha256: string): Promise<BlobRecord | undefined> {
  const { rows } = await sql<BlobRow>`SELECT ${sql.raw(BLOB_COLUMNS)} FROM ${sql.raw(BLOBS)} b WHERE b.sha256 = ${sha256} FOR KEY SHARE`.execute(trx);
  return rows[0] ? blobFromRow(rows[0]) : undefined;
}

async function insertBlob(trx: Db, backend: BackendName, key: string, info: Ingested): Promise<BlobRecord | undefined> {
  const { rows } = await sql<BlobRow>`
    INSERT INTO ${sql.raw(BLOBS)} AS b (id, sha256, size, content_type, backend, key, block_size, block_hashes)
    VALUES (${uuidv7()}, ${info.sha256}, ${info.size}, ${info.contentType}, ${backend}, ${key}, ${info.blockSize}, ${info.blockHashes})
    ON CONFLICT (sha256) DO NOTHING
    RETURNING ${sql.raw(BLOB_COLUMNS)}`.execute(trx);
  return rows[0] ? blobFromRow(rows[0]) : undefined;
}

async function nextPosition(trx: Db, owner: Owner, role: string): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`strata.attachments:${owner.table}:${owner.id}`}, 0))`.execute(trx);
  const { rows } = await sql<{ next: number }>`
    SELECT coalesce(max(position) + 1, 0)::int AS next FROM ${sql.raw(ATTACHMENTS)}
     WHERE owner_table = ${owner.table} AND owner_id = ${owner.id} AND role = ${role}`.execute(trx);
  return rows[0]?.next ?? 0;
}

/**
 * A blob store over a database (metadata) and the given backends (objects).
 *
 * @example
 * const store = createBlobStore(database.db, { backends: { fs: fsBackend({ dir: '.strata/blobs' }) }, writeTo: 'fs' });
 * const image = await store.attach({ owner: { table: 'products', id }, role: 'image', source: createReadStream('a.jpg'), contentTypes: IMAGE_TYPES });
 * const body = await store.open(image.blob);
 */
export function createBlobStore<DB>(database: Kysely<DB>, options: BlobStoreOptions): BlobStore {
  const db = database as unknown as Db;
  const backends = Object.values(options.backends).filter((b): b is BlobBackend => b !== undefined);
  const backend = (name: BackendName): BlobBackend => {
    const found = options.backends[name];
    if (!found) throw new StrataError('BLOB_BACKEND_UNAVAILABLE', `the ${name} blob backend is not configured (see docs/blobs.md)`);
    return found;
  };
  backend(options.writeTo);
  const ready = () => ensureStrataSchema(db);

  async function attach(input: AttachInput): Promise<Attached> {
    await ready();
    const target = backend(options.writeTo);
    const upload = ingest(input.source, input);
    const staged: StagedObject = await target.stage(upload.chunks);
    BLOB_BYTES.record({ backend: target.name, direction: 'in' }, staged.size);
    const info = upload.result();
    const fileName = safeFileName(input.fileName);
    let placed: string | undefined;
    let deduplicated = false;
    try {
      const record = await withTransaction(db, async (trx) => {
        deduplicated = false;
        await input.checkOwner?.(trx);
        let blob = await blobBySha(trx, info.sha256);
        if (!blob) {
          const key = target.keyFor(staged, info.sha256);
          await lockObject(trx, target.name, key);
          blob = await blobBySha(trx, info.sha256);
          if (!blob) {
            placed = await target.place(staged, info.sha256);
            blob = await insertBlob(trx, target.name, placed, info);
          }
        }
        if (!blob) blob = await blobBySha(trx, info.sha256);
        if (!blob) throw new Error('a blob with this sha256 was inserted and removed concurrently; retry');
        deduplicated = blob.key !== placed || blob.backend !== target.name;
        const position = await nextPosition(trx, input.owner, input.role);
        const { rows } = await sql<{ id: string; created_at: Date }>`
          INSERT INTO ${sql.raw(ATTACHMENTS)} (id, blob_id, owner_table, owner_id, role, position, file_name)
          VALUES (${uuidv7()}, ${blob.id}, ${input.owner.table}, ${input.owner.id}, ${input.role}, ${position}, ${fileName ?? null})
          RETURNING id, created_at`.execute(trx);
        const row = rows[0] as { id: string; created_at: Date };
        const attachment = {
          id: row.id,
          ownerTable: input.owner.table,
          ownerId: input.owner.id,
          role: input.role,
          position,
          fileName,
          createdAt: row.created_at,
          blob,
        };
        await input.beforeCommit?.(trx, attachment);
        return attachment;
      });
      if (deduplicated) await dropUnused(target, staged, placed);
      return { ...record, deduplicated };
    } catch (err) {
      await dropUnused(target, staged, placed).catch(() => undefined);
      throw err;
    }
  }

  /** A staged object no row will use: discarded if never placed, else removed unless a row uses its key after all (fs: the same bytes). */
  async function dropUnused(target: BlobBackend, staged: StagedObject, placed: string | undefined): Promise<void> {
    if (placed === undefined) await target.discard(staged);
    else await removeIfUnused(db, target, placed);
  }

  return {
    db,
    writeTo: options.writeTo,
    backend,
    backends,
    attach,
    async detach(id, owner) {
      await ready();
      const result = await sql`
        DELETE FROM ${sql.raw(ATTACHMENTS)} WHERE id = ${id}
        ${owner ? sql`AND owner_table = ${owner.table} AND owner_id = ${owner.id}` : sql``}`.execute(db);
      return Number(result.numAffectedRows ?? 0n) > 0;
    },
    async find(id) {
      await ready();
      const { rows } = await sql<AttachmentRow>`
        SELECT ${sql.raw(ATTACHMENT_COLUMNS)} FROM ${sql.raw(ATTACHMENTS)} a JOIN ${sql.raw(BLOBS)} b ON b.id = a.blob_id WHERE a.id = ${id}`.execute(db);
      return rows[0] ? attachmentFromRow(rows[0]) : undefined;
    },
    async list(owner, role) {
      await ready();
      const { rows } = await sql<AttachmentRow>`
        SELECT ${sql.raw(ATTACHMENT_COLUMNS)} FROM ${sql.raw(ATTACHMENTS)} a JOIN ${sql.raw(BLOBS)} b ON b.id = a.blob_id
         WHERE a.owner_table = ${owner.table} AND a.owner_id = ${owner.id} ${role !== undefined ? sql`AND a.role = ${role}` : sql``}
         ORDER BY a.role, a.position, a.id`.execute(db);
      return rows.map(attachmentFromRow);
    },
    open: (blob, range) => openVerified(backend(blob.backend), blob, range),
    async stats() {
      await ready();
      const { rows } = await sql<{ backend: BackendName; blobs: number; bytes: string; attachments: number; unused: number }>`
        SELECT b.backend, count(*)::int AS blobs, coalesce(sum(b.size), 0)::text AS bytes,
               coalesce(sum(a.n), 0)::int AS attachments, (count(*) FILTER (WHERE a.n IS NULL))::int AS unused
          FROM ${sql.raw(BLOBS)} b LEFT JOIN (SELECT blob_id, count(*) AS n FROM ${sql.raw(ATTACHMENTS)} GROUP BY blob_id) a ON a.blob_id = b.id
         GROUP BY b.backend ORDER BY b.backend`.execute(db);
      return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
    },
    async close() {
      await Promise.all(backends.map((b) => b.close?.()));
    },
  };
}
