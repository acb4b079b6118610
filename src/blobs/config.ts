import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, StrataError } from '../db/index.js';
import { BACKEND_NAMES, type BackendName, type BlobBackend } from './backend.js';
import { fsBackend } from './fs-backend.js';
import { postgresBackend } from './postgres-backend.js';
import { type S3BackendOptions, s3Backend } from './s3-backend.js';
import { IMAGE_TYPES, SNIFFED_TYPES } from './sniff.js';
import { type BlobStore, createBlobStore } from './store.js';

/** The blob settings strata reads from the environment. */
export interface BlobsConfig {
  /** Where new objects go (`STRATA_BLOBS`: fs, postgres or s3; default fs). */
  readonly writeTo: BackendName;
  /** The fs backend's folder (`STRATA_BLOBS_DIR`, default `$STRATA_HOME/blobs`, i.e. `.strata/blobs`). */
  readonly dir: string;
  /** The s3 backend, when `STRATA_S3_BUCKET` is set (with `STRATA_S3_ENDPOINT`, `STRATA_S3_REGION`, `STRATA_S3_PREFIX`; credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`). */
  readonly s3?: S3BackendOptions;
  /** Largest upload the service takes, in bytes (`STRATA_BLOBS_MAX_BYTES`, default 25 MiB). */
  readonly maxBytes: number;
  /** What a product image may be, sniffed from its bytes (`STRATA_BLOBS_IMAGE_TYPES`, comma-separated; default `IMAGE_TYPES`). */
  readonly imageTypes: readonly string[];
}

const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

function maxBytesOf(env: NodeJS.ProcessEnv): number {
  const raw = env.STRATA_BLOBS_MAX_BYTES;
  if (raw === undefined || raw === '') return DEFAULT_MAX_BYTES;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new StrataError('CONFIG_INVALID', `STRATA_BLOBS_MAX_BYTES must be a whole number of bytes, at least 1 (got "${raw}")`);
  }
  return value;
}

function imageTypesOf(env: NodeJS.ProcessEnv): readonly string[] {
  const raw = env.STRATA_BLOBS_IMAGE_TYPES;
  if (raw === undefined || raw.trim() === '') return IMAGE_TYPES;
  const types = raw.split(',').map((t) => t.trim().toLowerCase());
  const unknown = types.filter((t) => !SNIFFED_TYPES.includes(t));
  if (unknown.length > 0) {
    throw new StrataError(
      'CONFIG_INVALID',
      `STRATA_BLOBS_IMAGE_TYPES lists types strata cannot recognise from bytes: ${unknown.join(', ')} (known: ${SNIFFED_TYPES.join(', ')})`,
    );
  }
  return types;
}

/**
 * Reads the blob settings from the environment; CONFIG_INVALID names a wrong one.
 *
 * @example
 * loadBlobsConfig({ STRATA_BLOBS: 's3', STRATA_S3_BUCKET: 'media', STRATA_S3_ENDPOINT: 'http://127.0.0.1:7480' });
 */
export function loadBlobsConfig(env: NodeJS.ProcessEnv = process.env): BlobsConfig {
  const raw = env.STRATA_BLOBS || 'fs';
  if (!(BACKEND_NAMES as readonly string[]).includes(raw))
    throw new StrataError('CONFIG_INVALID', `STRATA_BLOBS must be one of ${BACKEND_NAMES.join(', ')} (got "${raw}")`);
  const writeTo = raw as BackendName;
  const bucket = env.STRATA_S3_BUCKET;
  const invalid = (message: string) => new StrataError('CONFIG_INVALID', message);
  // S3's bucket naming rules (3-63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit).
  if (bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw invalid(`STRATA_S3_BUCKET must be an S3 bucket name: 3-63 of a-z, 0-9, '.' and '-' (got "${bucket}")`);
  const endpoint = env.STRATA_S3_ENDPOINT;
  if (endpoint && !/^https?:$/.test(URL.parse(endpoint)?.protocol ?? ''))
    throw invalid(`STRATA_S3_ENDPOINT must be an http:// or https:// URL (got "${endpoint}")`);
  const region = env.STRATA_S3_REGION;
  if (region && !/^[a-z0-9-]{1,64}$/.test(region)) throw invalid(`STRATA_S3_REGION must be a region name such as us-east-1 (got "${region}")`);
  const prefix = env.STRATA_S3_PREFIX;
  if (prefix && (prefix.startsWith('/') || prefix.split('/').includes('..')))
    throw invalid(`STRATA_S3_PREFIX must be a relative key prefix without '..' (got "${prefix}")`);
  const dir = env.STRATA_BLOBS_DIR;
  if (dir) {
    const kind = statSync(dir, { throwIfNoEntry: false });
    if (kind && !kind.isDirectory()) throw invalid(`STRATA_BLOBS_DIR must be a folder (got "${dir}", which is a file)`);
  }
  if (writeTo === 's3' && !bucket)
    throw new StrataError('CONFIG_INVALID', 'STRATA_BLOBS=s3 needs STRATA_S3_BUCKET (and STRATA_S3_ENDPOINT for a store other than AWS)');
  const s3: S3BackendOptions | undefined = bucket
    ? {
        bucket,
        ...(endpoint ? { endpoint } : {}),
        ...(region ? { region } : {}),
        ...(prefix ? { prefix } : {}),
      }
    : undefined;
  return {
    writeTo,
    dir: dir || join(env.STRATA_HOME || '.strata', 'blobs'),
    ...(s3 ? { s3 } : {}),
    maxBytes: maxBytesOf(env),
    imageTypes: imageTypesOf(env),
  };
}

/**
 * The blob store the environment describes: new objects go to `STRATA_BLOBS`; objects already in
 * another configured backend are still read from it (fs and postgres always are; s3 when its
 * bucket is set), which is what lets `strata blobs move` run under a live service.
 *
 * @example
 * const store = await blobStoreFromEnv(database);
 */
export async function blobStoreFromEnv(database: Database, env: NodeJS.ProcessEnv = process.env): Promise<BlobStore> {
  const config = loadBlobsConfig(env);
  const backends: Partial<Record<BackendName, BlobBackend>> = { fs: fsBackend({ dir: config.dir }) };
  if (database.engine === 'postgres') backends.postgres = postgresBackend(database);
  if (config.s3) backends.s3 = await s3Backend(config.s3);
  return createBlobStore(database.db, { backends, writeTo: config.writeTo });
}
