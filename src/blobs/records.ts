import type { BackendName } from './backend.js';

/** A row of `strata.blobs`: one stored content. */
export interface BlobRecord {
  readonly id: string;
  /** Lower-case hex: the content's identity, and the object's ETag. */
  readonly sha256: string;
  readonly size: number;
  readonly contentType: string;
  readonly backend: BackendName;
  readonly key: string;
  readonly blockSize: number;
  readonly blockHashes: Buffer;
  readonly createdAt: Date;
}

/** A row of `strata.attachments` with its blob: one use of a stored content. */
export interface AttachmentRecord {
  /** The media id. */
  readonly id: string;
  readonly ownerTable: string;
  readonly ownerId: string;
  readonly role: string;
  readonly position: number;
  readonly fileName: string | undefined;
  readonly createdAt: Date;
  readonly blob: BlobRecord;
}

export interface BlobRow {
  id: string;
  sha256: string;
  size: string | number;
  content_type: string;
  backend: string;
  key: string;
  block_size: number;
  block_hashes: Buffer;
  created_at: Date;
}

export interface AttachmentRow extends Omit<BlobRow, 'id' | 'created_at'> {
  attachment_id: string;
  blob_id: string;
  owner_table: string;
  owner_id: string;
  role: string;
  position: number;
  file_name: string | null;
  attached_at: Date;
  blob_created_at: Date;
}

export function blobFromRow(row: BlobRow): BlobRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    size: Number(row.size),
    contentType: row.content_type,
    backend: row.backend as BackendName,
    key: row.key,
    blockSize: row.block_size,
    blockHashes: row.block_hashes,
    createdAt: row.created_at,
  };
}

export function attachmentFromRow(row: AttachmentRow): AttachmentRecord {
  return {
    id: row.attachment_id,
    ownerTable: row.owner_table,
    ownerId: row.owner_id,
    role: row.role,
    position: row.position,
    fileName: row.file_name ?? undefined,
    createdAt: row.attached_at,
    blob: blobFromRow({ ...row, id: row.blob_id, created_at: row.blob_created_at }),
  };
}

/** The columns of a blob, for SELECTs (`b` is strata.blobs). */
export const BLOB_COLUMNS = 'b.id, b.sha256, b.size, b.content_type, b.backend, b.key, b.block_size, b.block_hashes, b.created_at';

/** The columns of an attachment and its blob (`a` attachments, `b` blobs). */
export const ATTACHMENT_COLUMNS =
  'a.id AS attachment_id, a.blob_id, a.owner_table, a.owner_id, a.role, a.position, a.file_name, a.created_at AS attached_at, b.sha256, b.size, b.content_type, b.backend, b.key, b.block_size, b.block_hashes, b.created_at AS blob_created_at';
