import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { uuidv7 } from 'uuidv7';
import { StrataError } from '../db/index.js';
import type { BlobBackend, ListedObject } from './backend.js';
import { uploadStreamed } from './s3-upload.js';

export interface S3BackendOptions {
  readonly bucket: string;
  /** The store's URL (MinIO, Ceph RGW, ...); unset: AWS. */
  readonly endpoint?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Prepended to every key (one bucket for several stores). Default none. */
  readonly prefix?: string;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles, roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Path-style URLs (`endpoint/bucket/key`); default true when `endpoint` is set. */
  readonly forcePathStyle?: boolean;
  /** Bytes per multipart part (objects larger than one part are uploaded in parts). Default 5 MiB, S3's smallest part: an upload holds three part buffers (one filling, two being sent), reused for all its parts. */
  readonly partSize?: number;
  /** Create the bucket when it does not exist. Default false. */
  readonly createBucket?: boolean;
}

const missing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

/**
 * Objects in an S3-compatible store, under `<prefix>objects/<uuidv7>`: streamed up as a multipart
 * upload (parts of `partSize`, two in flight, copied into three buffers reused for the whole upload,
 * so an upload holds the same memory whatever its size; one PutObject when it fits in one part;
 * `uploadStreamed`) and down with ranged GETs. Loads the AWS SDK only when called.
 *
 * @example
 * const backend = await s3Backend({ bucket: 'media', endpoint: 'http://127.0.0.1:7480', credentials: { accessKeyId, secretAccessKey } });
 */
export async function s3Backend(options: S3BackendOptions): Promise<BlobBackend> {
  const s3 = await import('@aws-sdk/client-s3');
  const client: S3Client = new s3.S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    // Streamed bodies of unknown length: checksums only where S3 requires them (else some stores answer 411).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = options.bucket;
  const prefix = `${options.prefix ?? ''}objects/`;
  const unavailable = (err: unknown) =>
    new StrataError('BLOB_BACKEND_UNAVAILABLE', `the s3 bucket ${Bucket} did not answer: ${(err as Error).message}`, {}, { cause: err });
  if (options.createBucket) {
    await client.send(new s3.HeadBucketCommand({ Bucket })).catch(async (err: unknown) => {
      if (!missing(err)) throw unavailable(err);
      await client.send(new s3.CreateBucketCommand({ Bucket }));
    });
  }
  const remove = async (key: string) => {
    await client.send(new s3.DeleteObjectCommand({ Bucket, Key: key }));
  };
  return {
    name: 's3',
    async stage(source) {
      const Key = `${prefix}${uuidv7()}`;
      try {
        const size = await uploadStreamed({ client, commands: s3, Bucket, Key, source, partSize: options.partSize ?? 5 * 1024 * 1024, queueSize: 2 });
        return { location: Key, size };
      } catch (err) {
        await remove(Key).catch(() => undefined);
        throw err;
      }
    },
    keyFor: (staged) => staged.location,
    async place(staged) {
      const head = await client.send(new s3.HeadObjectCommand({ Bucket, Key: staged.location })).catch((err: unknown) => {
        if (missing(err)) return undefined;
        throw unavailable(err);
      });
      if (head?.ContentLength !== staged.size) throw new StrataError('BLOB_MISSING', `the staged s3 object ${staged.location} is gone`);
      return staged.location;
    },
    discard: (staged) => remove(staged.location),
    async *read(key, start, end) {
      if (end !== undefined && end <= start) return;
      const Range = start === 0 && end === undefined ? undefined : `bytes=${start}-${end === undefined ? '' : end - 1}`;
      const answer = await client.send(new s3.GetObjectCommand({ Bucket, Key: key, ...(Range ? { Range } : {}) })).catch((err: unknown) => {
        if (missing(err)) throw new StrataError('BLOB_MISSING', `the s3 object ${key} is missing`);
        throw unavailable(err);
      });
      const body = answer.Body as Readable | undefined;
      if (!body) return;
      try {
        yield* body;
      } finally {
        body.destroy();
      }
    },
    remove,
    async *list(): AsyncGenerator<ListedObject> {
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new s3.ListObjectsV2Command({ Bucket, Prefix: prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }));
        for (const o of page.Contents ?? []) if (o.Key && o.LastModified) yield { key: o.Key, modifiedAt: o.LastModified, staged: false };
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
    async abandonIncomplete(before) {
      let n = 0;
      const page = await client.send(new s3.ListMultipartUploadsCommand({ Bucket, Prefix: prefix }));
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId && u.Initiated && u.Initiated < before) {
          await client.send(new s3.AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
          n += 1;
        }
      }
      return n;
    },
    async close() {
      client.destroy();
    },
  };
}
