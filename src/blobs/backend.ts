/** The backends strata ships: files, rows of the database, an S3-compatible object store. */
export type BackendName = 'fs' | 'postgres' | 's3';

export const BACKEND_NAMES: readonly BackendName[] = ['fs', 'postgres', 's3'];

/** An object written to a backend that no row uses yet. */
export interface StagedObject {
  /** Where the bytes are now: a temporary file for fs, the object's final key elsewhere. */
  readonly location: string;
  readonly size: number;
}

/** One object of a backend, as the orphan sweep sees it. */
export interface ListedObject {
  readonly key: string;
  readonly modifiedAt: Date;
  /** A staged object (fs: a temporary file, `key` is its location) that can never be referenced: discarded without a look-up. */
  readonly staged: boolean;
}

/**
 * Where bytes live. A backend streams (never holds an object in memory) and knows nothing of
 * metadata: which objects are in use is decided by `strata.blobs` alone.
 */
export interface BlobBackend {
  readonly name: BackendName;
  /** Writes a new object from the stream. When the stream fails, nothing is left behind and the error is rethrown. */
  stage(source: AsyncIterable<Buffer>): Promise<StagedObject>;
  /** The key a staged object gets once placed (fs: from its sha256; others: where it already is). */
  keyFor(staged: StagedObject, sha256: string): string;
  /**
   * Makes a staged object final, called while the key's lock is held inside the metadata
   * transaction: fs renames the temporary file into place; the others check it is still there
   * (rejecting with BLOB_MISSING if the orphan sweep took it).
   */
  place(staged: StagedObject, sha256: string): Promise<string>;
  /** Drops a staged object that will not be used. */
  discard(staged: StagedObject): Promise<void>;
  /** Bytes [start, end) of an object (to its end when `end` is undefined); BLOB_MISSING when it does not exist. A yielded buffer is never reused (readers keep a block's pieces until it is verified). */
  read(key: string, start: number, end?: number): AsyncIterable<Buffer>;
  /** Removes an object; one already gone is not an error. */
  remove(key: string): Promise<void>;
  /** Every object, for the orphan sweep. */
  list(): AsyncIterable<ListedObject>;
  /** Drops writes abandoned before they finished (S3 multipart uploads) started before `before`; returns how many. */
  abandonIncomplete?(before: Date): Promise<number>;
  close?(): Promise<void>;
}
