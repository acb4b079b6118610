import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError } from '../db/index.js';
import type { BlobBackend, ListedObject, StagedObject } from './backend.js';

export interface FsBackendOptions {
  /** The folder objects live under (`objects/ab/cd/<sha256>`, uploads in progress in `tmp/`). */
  readonly dir: string;
}

const KEY = /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/;
const READ_CHUNK = 256 * 1024;

const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

async function ignoreMissing(work: Promise<unknown>): Promise<void> {
  await work.catch((err: unknown) => {
    if (code(err) !== 'ENOENT') throw err;
  });
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Files, content-addressed by SHA-256: an upload is written to a temporary file and fsynced, then
 * renamed to `objects/<2>/<2>/<sha256>` (and its folder fsynced) inside the metadata transaction.
 * The same bytes always land on the same path, so identical uploads share one file.
 *
 * @example
 * const store = createBlobStore(database, { backends: { fs: fsBackend({ dir: '.strata/blobs' }) }, writeTo: 'fs' });
 */
export function fsBackend(options: FsBackendOptions): BlobBackend {
  const objects = join(options.dir, 'objects');
  const tmp = join(options.dir, 'tmp');
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new StrataError('BLOB_MISSING', `"${key}" is not a key of the fs backend`);
    return join(objects, key);
  };
  const keyFor = (_staged: StagedObject, sha256: string) => `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  return {
    name: 'fs',
    async stage(source) {
      await mkdir(tmp, { recursive: true });
      const location = join(tmp, randomUUID());
      let handle: FileHandle | undefined;
      let size = 0;
      try {
        handle = await open(location, 'wx', 0o644);
        for await (const chunk of source) {
          await handle.write(chunk);
          size += chunk.length;
        }
        await handle.sync();
        await handle.close();
        handle = undefined;
        return { location, size };
      } catch (err) {
        await handle?.close().catch(() => undefined);
        await ignoreMissing(unlink(location));
        throw err;
      }
    },
    keyFor,
    async place(staged, sha256) {
      const key = keyFor(staged, sha256);
      const path = pathOf(key);
      const dir = join(objects, key.slice(0, 5));
      await mkdir(dir, { recursive: true });
      await rename(staged.location, path).catch(async (err: unknown) => {
        // A retried transaction placed it already (or the same bytes are there): the content is the key.
        if (code(err) !== 'ENOENT' || !(await stat(path).catch(() => undefined))) throw err;
      });
      await syncDir(dir);
      return key;
    },
    async discard(staged) {
      await ignoreMissing(unlink(staged.location));
    },
    async *read(key, start, end) {
      let handle: FileHandle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (err) {
        if (code(err) === 'ENOENT') throw new StrataError('BLOB_MISSING', `the fs object ${key} is missing`);
        throw err;
      }
      try {
        if (end !== undefined && end <= start) return;
        yield* handle.createReadStream({ start, ...(end !== undefined ? { end: end - 1 } : {}), highWaterMark: READ_CHUNK, autoClose: false });
      } finally {
        await handle.close();
      }
    },
    async remove(key) {
      await ignoreMissing(unlink(pathOf(key)));
    },
    async *list(): AsyncGenerator<ListedObject> {
      for (const name of await readdir(tmp).catch(() => [] as string[])) {
        const info = await stat(join(tmp, name)).catch(() => undefined);
        if (info) yield { key: join(tmp, name), modifiedAt: info.mtime, staged: true };
      }
      for (const a of await readdir(objects).catch(() => [] as string[])) {
        for (const b of await readdir(join(objects, a)).catch(() => [] as string[])) {
          for (const name of await readdir(join(objects, a, b)).catch(() => [] as string[])) {
            const key = `${a}/${b}/${name}`;
            const info = await stat(join(objects, key)).catch(() => undefined);
            if (info && KEY.test(key)) yield { key, modifiedAt: info.mtime, staged: false };
          }
        }
      }
    },
  };
}
