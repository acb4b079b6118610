import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { type BackendName, type BlobBackend, type BlobStore, createBlobStore, fsBackend, postgresBackend, s3Backend } from '../../src/blobs/index.js';
import type { Database } from '../../src/db/index.js';
import { type TestDatabase, usePostgres } from './postgres.js';

/** The S3 store the tests use (Ceph RGW started by .ci/ceph-rgw), or undefined when it is not running. */
export function testS3(): ReturnType<typeof inject<'s3'>> {
  return inject('s3');
}

/** The backends a suite runs over: fs and postgres always, s3 when a test store is running (else a visible skip). */
export function backendNames(): BackendName[] {
  return testS3() ? ['fs', 'postgres', 's3'] : ['fs', 'postgres'];
}

let bucketSerial = 0;

/** Every backend on this file's own folder, database and bucket (one store per backend, writing to it). */
export interface TestBlobs {
  readonly pg: TestDatabase;
  readonly dir: string;
  readonly bucket: string | undefined;
  /** Everything a separate process needs to open the same backends. */
  readonly settings: { url: string; dir: string; s3?: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string } };
  backend(name: BackendName): BlobBackend;
  store(writeTo: BackendName): BlobStore;
  /** Changes one byte of a stored object in place (on disk, in the table, in the bucket). */
  corrupt(name: BackendName, key: string, offset?: number): Promise<void>;
}

export function useBlobs(options: { readonly pg?: TestDatabase } = {}): TestBlobs {
  const pg = options.pg ?? usePostgres({ max: 20 });
  let dir = '';
  const backends = new Map<BackendName, BlobBackend>();
  const s3 = testS3();
  const bucket = s3 ? `strata-t-${process.pid}-${Date.now().toString(36)}-${bucketSerial++}` : undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-blobs-'));
    backends.set('fs', fsBackend({ dir }));
    backends.set('postgres', postgresBackend(pg.database));
    if (s3 && bucket) {
      backends.set(
        's3',
        await s3Backend({
          bucket,
          endpoint: s3.endpoint,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
          partSize: 5 * 1024 * 1024,
          createBucket: true,
        }),
      );
    }
  });
  afterAll(async () => {
    const bucketed = backends.get('s3');
    if (bucketed) {
      // memstore keeps objects in RAM: leave the test store empty.
      for await (const o of bucketed.list()) await bucketed.remove(o.key);
      await bucketed.abandonIncomplete?.(new Date(Date.now() + 60_000));
    }
    await Promise.all([...backends.values()].map((b) => b.close?.()));
    await rm(dir, { recursive: true, force: true });
  });
  const backend = (name: BackendName) => {
    const found = backends.get(name);
    if (!found) throw new Error(`no ${name} backend in this test run`);
    return found;
  };
  return {
    pg,
    get dir() {
      return dir;
    },
    bucket,
    get settings() {
      return { url: pg.url, dir, ...(s3 && bucket ? { s3: { ...s3, bucket } } : {}) };
    },
    backend,
    store: (writeTo) => createBlobStore(pg.database.db, { backends: Object.fromEntries(backends), writeTo }),
    async corrupt(name, key, offset = 0) {
      if (name === 'fs') {
        const path = join(dir, 'objects', key);
        const bytes = await readFile(path);
        bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
        await writeFile(path, bytes);
      } else if (name === 'postgres') {
        const client = await pg.rawClient();
        await client.query(`UPDATE strata.blob_chunks SET data = set_byte(data, $3, get_byte(data, $3) # 255) WHERE key = $1 AND n = $2`, [
          key,
          Math.floor(offset / (1024 * 1024)),
          offset % (1024 * 1024),
        ]);
      } else {
        const chunks: Buffer[] = [];
        for await (const c of backend('s3').read(key, 0)) chunks.push(c);
        const bytes = Buffer.concat(chunks);
        bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
        const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
        const client = new S3Client({
          region: 'us-east-1',
          endpoint: s3?.endpoint ?? '',
          forcePathStyle: true,
          credentials: { accessKeyId: s3?.accessKeyId ?? '', secretAccessKey: s3?.secretAccessKey ?? '' },
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        });
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
        client.destroy();
      }
    },
  };
}

/** A describe per backend, each with the suite's body; s3's is skipped with a note when no test store runs. */
export function describeEachBackend(name: string, body: (backend: BackendName) => void): void {
  for (const backend of ['fs', 'postgres', 's3'] as const) {
    if (backend === 's3' && !testS3()) {
      describe.skip(`${name} [s3: SKIPPED, no test S3 store; run .ci/ceph-rgw start]`, () => body(backend));
      continue;
    }
    describe(`${name} [${backend}]`, () => body(backend));
  }
}

export { chunked, pngBytes, readAll } from './blob-bytes.js';
export type { Database };
