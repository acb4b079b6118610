import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    BLOB_TYPE_REFUSED: 'blobs';
    BLOB_TOO_LARGE: 'blobs';
    BLOB_EMPTY: 'blobs';
    BLOB_RANGE_UNSATISFIABLE: 'blobs';
    BLOB_CORRUPT: 'blobs';
    BLOB_MISSING: 'blobs';
    BLOB_BACKEND_UNAVAILABLE: 'blobs';
  }
}

/** The blobs capability's error codes. */
export const BLOB_ERROR_CODES = defineErrorCodes('blobs', {
  BLOB_TYPE_REFUSED: { status: 415, description: 'the bytes are not one of the allowed content types (sniffed from the bytes, not the declared type)' },
  BLOB_TOO_LARGE: { status: 413, description: 'the upload is larger than the size limit' },
  BLOB_EMPTY: { status: 400, description: 'the upload has no bytes' },
  BLOB_RANGE_UNSATISFIABLE: { status: 416, description: 'the requested byte range lies outside the object' },
  BLOB_CORRUPT: { description: 'a stored object does not match its checksum (found while reading or by verify)' },
  BLOB_MISSING: { description: 'a stored object is missing from its backend' },
  BLOB_BACKEND_UNAVAILABLE: { description: 'a blob backend is not configured or does not answer' },
});
