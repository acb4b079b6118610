import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { processMemory, resetPeak, SyntheticObject, streamDown, streamUp } from '../../bench/lib/media-transfer.js';
import type { BackendName } from '../../src/blobs/index.js';
import { describeEachBackend, pngBytes, testS3, useBlobs } from '../support/blobs.js';
import { runCli } from '../support/cli.js';
import { servedBlobsEnv, startServed } from '../support/served.js';
import { newProduct } from '../support/service.js';
import { soakRounds } from '../support/soak.js';

const MIB = 1024 * 1024;
/**
 * The soak's object: 64 MiB (CI too, so the file stays under a minute), or STRATA_SOAK MiB. The 1 GiB
 * acceptance figure (issue #26) is measured by `npm run bench -- blobs`, not here.
 */
const SIZE = soakRounds(64, 64) * MIB;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fmt = (mib: number) => `${mib.toFixed(1)} MiB`;

async function createProduct(base: string, auth: Record<string, string>): Promise<string> {
  const res = await fetch(`${base}/products`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(newProduct()) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

interface ImageAnswer {
  readonly id: string;
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
}

// The service in its own process (strata serve, as deployed), a large image streamed up and down
// over real HTTP, every byte checked by hash, on every backend; the service's memory is read from
// /proc while it works (bench/blobs.ts publishes the figures; here only a bound that buffering
// the object would break).
describeEachBackend(`a ${SIZE / MIB} MiB image through a running strata serve`, (name) => {
  const blobs = useBlobs();

  it(
    'uploads and downloads the same bytes (sha256), serves a range across a block boundary exactly, and never holds the image in memory',
    async () => {
      const service = await startServed(servedBlobsEnv(blobs, name, SIZE));
      try {
        const product = await createProduct(service.url, service.auth);
        const idle = processMemory(service.pid);
        const reset = idle !== undefined && resetPeak(service.pid);
        const object = new SyntheticObject(SIZE);
        const up = await streamUp(`${service.url}/products/${product}/images?filename=soak.png`, object.chunks(), {
          'content-type': 'image/png',
          'content-length': String(SIZE),
          ...service.auth,
        });
        expect(up.status, up.body).toBe(201);
        const image = JSON.parse(up.body) as ImageAnswer;
        expect(image.size).toBe(SIZE);
        expect(image.sha256).toBe(up.sha256);
        const afterUpload = processMemory(service.pid);

        const down = await streamDown(`${service.url}${image.url}`, service.auth);
        expect(down.status).toBe(200);
        expect(down.incomplete).toBe(false);
        expect(down.bytes).toBe(SIZE);
        expect(down.sha256).toBe(up.sha256);

        const start = SIZE / 2 - 1000;
        const end = SIZE / 2 + 999;
        const part = await streamDown(`${service.url}${image.url}`, { range: `bytes=${start}-${end}`, ...service.auth }, true);
        expect(part.status).toBe(206);
        expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
        expect(part.body?.equals(object.slice(start, end + 1))).toBe(true);

        const { rows } = await sql<{ backend: string; size: string }>`SELECT backend, size::text FROM strata.blobs`.execute(blobs.pg.database.db);
        expect(rows).toEqual([{ backend: name, size: String(SIZE) }]);

        const after = processMemory(service.pid);
        if (idle && after && afterUpload) {
          const added = after.peakMiB - idle.rssMiB;
          process.stderr.write(
            `[media soak ${name}] ${SIZE / MIB} MiB: idle RSS ${fmt(idle.rssMiB)} (peak since start ${fmt(idle.peakMiB)}), ` +
              `peak during upload ${fmt(afterUpload.peakMiB)}, during upload and download ${fmt(after.peakMiB)}${reset ? '' : ' (peak not reset: since start)'}, added ${fmt(added)}\n`,
          );
          // Buffering the image would add its whole size; streaming adds a bounded amount whatever the size.
          if (reset) expect(added).toBeLessThan(Math.max(96, SIZE / MIB / 4));
        }
      } finally {
        await service.stop();
      }
    },
    Math.max(120_000, (SIZE / MIB) * 1_500),
  );
});

// Acceptance 7: `strata blobs move` (the CLI, its own process) from fs to s3 and back while a running
// service takes uploads and serves downloads. Without a test S3 store, fs -> postgres -> fs (the s3
// run of the backend suites is then skipped visibly).
describe('strata blobs move while the service takes uploads and serves downloads', () => {
  const blobs = useBlobs();
  const away: BackendName = testS3() ? 's3' : 'postgres';

  it(`fs -> ${away} -> fs: every GET during and after the moves returns the right bytes`, async () => {
    const service = await startServed(servedBlobsEnv(blobs, 'fs', 8 * MIB));
    const cli = servedBlobsEnv(blobs, 'fs', 8 * MIB);
    try {
      const product = await createProduct(service.url, service.auth);
      const images = new Map<string, { url: string; bytes: Buffer }>();
      let seed = 1;
      let phase = 'before';
      const uploadOne = async () => {
        // 0.2 to 3.2 MiB: most images span several 1 MiB blocks.
        const bytes = pngBytes(200_000 + ((seed * 977_153) % (3 * MIB)), 7_000 + seed++);
        const up = await streamUp(`${service.url}/products/${product}/images`, [bytes], { 'content-type': 'image/png', ...service.auth });
        const image = JSON.parse(up.body) as ImageAnswer;
        if (up.status !== 201 || image.sha256 !== sha(bytes)) throw new Error(`${phase}: upload -> ${up.status} ${up.body.slice(0, 200)}`);
        images.set(image.id, { url: image.url, bytes });
      };
      for (let i = 0; i < 30; i++) await uploadOne();

      const failures: string[] = [];
      const counts = new Map<string, number>();
      const count = (what: string) => counts.set(`${phase} ${what}`, (counts.get(`${phase} ${what}`) ?? 0) + 1);
      let stop = false;
      const reader = async (offset: number) => {
        for (let n = offset; !stop; n++) {
          for (const [id, { url, bytes }] of [...images]) {
            if (stop) break;
            const whole = n % 2 === 0;
            const start = (n * 131_071) % bytes.length;
            const end = Math.min(bytes.length - 1, start + 1_500_000);
            const got = await streamDown(`${service.url}${url}`, whole ? service.auth : { range: `bytes=${start}-${end}`, ...service.auth }, !whole);
            const right = whole
              ? got.status === 200 && !got.incomplete && got.sha256 === sha(bytes)
              : got.status === 206 && !got.incomplete && got.body?.equals(bytes.subarray(start, end + 1)) === true;
            if (!right)
              failures.push(
                `${phase}: GET ${id}${whole ? '' : ` bytes=${start}-${end}`} -> ${got.status}, ${got.bytes} bytes${got.incomplete ? ', cut off' : ''}`,
              );
            count('reads');
          }
        }
      };
      const writer = async () => {
        while (!stop) {
          await uploadOne();
          count('uploads');
          // A few uploads a second is enough to overlap the moves; the test keeps every image's bytes.
          await new Promise((r) => setTimeout(r, 150));
        }
      };
      // A worker that throws (a refused upload, a connection error) is a failure too, and stops the others.
      const guarded = (work: Promise<void>) =>
        work.catch((err: unknown) => {
          failures.push(`${phase}: ${(err as Error).message}`);
          stop = true;
        });
      const workers = [guarded(reader(0)), guarded(reader(1)), guarded(writer())];

      phase = `move to ${away}`;
      const there = await runCli(['blobs', 'move', '--to', away], cli);
      expect(there.code, there.stderr).toBe(0);
      expect(there.stdout).toMatch(/moved (\d+) blobs/);
      const between = await runCli(['blobs', 'status'], cli);
      expect(between.stdout).toMatch(new RegExp(`^${away}: (3\\d|[4-9]\\d|\\d{3,}) blobs`, 'm'));

      phase = 'move to fs';
      const back = await runCli(['blobs', 'move', '--to', 'fs'], cli);
      expect(back.code, back.stderr).toBe(0);
      phase = 'after';
      const settled = (counts.get('after reads') ?? 0) + 2;
      while (!stop && (counts.get('after reads') ?? 0) < settled) await new Promise((r) => setTimeout(r, 50));
      stop = true;
      await Promise.all(workers);

      process.stderr.write(`[media move] ${JSON.stringify(Object.fromEntries(counts))}\n`);
      expect(failures).toEqual([]);
      expect(counts.get(`move to ${away} reads`)).toBeGreaterThan(0);
      expect(counts.get('move to fs reads')).toBeGreaterThan(0);
      expect(counts.get(`move to ${away} uploads`) ?? 0).toBeGreaterThan(0);

      // Everything is back on fs, and every image, old or uploaded during the moves, reads right.
      const { rows } = await sql<{ backend: string }>`SELECT DISTINCT backend FROM strata.blobs`.execute(blobs.pg.database.db);
      expect(rows).toEqual([{ backend: 'fs' }]);
      for (const [id, { url, bytes }] of images) {
        const got = await streamDown(`${service.url}${url}`, service.auth);
        expect(`${id} ${got.status} ${got.sha256}`).toBe(`${id} 200 ${sha(bytes)}`);
      }
    } finally {
      await service.stop();
    }
  }, 600_000);
});
