import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunked, pngBytes, readAll, testS3, useBlobs } from '../support/blobs.js';

const MIB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// The s3 backend's own multipart upload (src/blobs/s3-upload.ts: parts copied into three reused
// buffers) against the real Ceph S3 gateway: parts that end exactly at the object's end, a short
// last part, one PutObject for small objects, and a failing source leaving neither an object nor
// an incomplete upload. The test store's parts are 5 MiB (S3's smallest).
const suite = testS3() ? describe : describe.skip;
suite(`the s3 backend's streamed multipart upload${testS3() ? '' : ' [s3: SKIPPED, no test S3 store; run .ci/ceph-rgw start]'}`, () => {
  const blobs = useBlobs();
  const keys = async () => {
    const out: string[] = [];
    for await (const o of blobs.backend('s3').list()) out.push(o.key);
    return out;
  };

  it.each([
    ['12 MiB and 3 bytes (two full parts and a short one)', 12 * MIB + 3, 64 * 1024],
    ['10 MiB exactly (two full parts, nothing after them)', 10 * MIB, 64 * 1024],
    ['5 MiB and 1 byte in pieces that straddle the part boundary', 5 * MIB + 1, 1_000_003],
    ['300 KB (one PutObject)', 300_000, 64 * 1024],
    ['no bytes at all', 0, 64 * 1024],
  ])('%s: stored and read back byte for byte', async (_label, size, piece) => {
    const s3 = blobs.backend('s3');
    const bytes = pngBytes(size, size % 97);
    const staged = await s3.stage(chunked(bytes, piece));
    expect(staged.size).toBe(size);
    const key = await s3.place(staged, sha(bytes));
    const back = await readAll(s3.read(key, 0));
    expect(back.length).toBe(size);
    expect(sha(back)).toBe(sha(bytes));
    expect(await s3.abandonIncomplete?.(new Date(Date.now() + 60_000))).toBe(0);
    await s3.remove(key);
  });

  it('a source that fails after two parts leaves no object and no incomplete upload, and the error is the source’s', async () => {
    const s3 = blobs.backend('s3');
    const before = await keys();
    const failing = async function* () {
      yield* chunked(pngBytes(11 * MIB, 5));
      throw new Error('the client went away');
    };
    await expect(s3.stage(failing())).rejects.toThrow('the client went away');
    expect(await keys()).toEqual(before);
    expect(await s3.abandonIncomplete?.(new Date(Date.now() + 60_000))).toBe(0);
  });
});
