import { chmod, lstat, mkdir, mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedServer, StrataError } from '../../src/db/index.js';
import { queryRows as query } from '../support/query.js';

const asRoot = userInfo().uid === 0;
if (!asRoot) process.stderr.write('[strata tests] not root: the tests of running PostgreSQL as the postgres user are SKIPPED\n');

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;
/** The first folder the postgres user cannot pass: /root itself where it is closed (0700), else the test's folder. */
const blocker = async (closed: string) => ((await modeOf('/root')) & 0o001 ? closed : '/root');
const cleanup: string[] = [];
let systemDir: string;

beforeAll(async () => {
  systemDir = await mkdtemp(join(tmpdir(), 'strata-system-'));
  await chmod(systemDir, 0o755);
  cleanup.push(systemDir);
});
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

describe.runIf(asRoot)('as root, in folders the postgres user cannot reach (#20 point 18)', () => {
  it('with STRATA_HOME under /root, strata never runs chmod on folders it does not own: the data goes where the postgres user can reach it', async () => {
    const closed = await mkdtemp(join('/root', 'strata-closed-'));
    cleanup.push(closed);
    const before = { root: await modeOf('/root'), closed: await modeOf(closed) };
    expect(before.closed & 0o001).toBe(0);
    const home = join(closed, 'project', '.strata');
    const notes: string[] = [];
    const first = new EmbeddedServer({ home, systemDir, notice: (line) => notes.push(line) });
    const { url } = await first.start('process');
    await query(url, "CREATE TABLE kept AS SELECT 'survives restarts' AS v");
    expect(await first.release()).toEqual({ state: 'stopped' });

    expect({ root: await modeOf('/root'), closed: await modeOf(closed) }).toEqual(before);
    const link = join(home, 'pg');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toMatch(new RegExp(`^${systemDir}/data/project-\\.strata-[0-9a-f]{12}$`));
    expect(notes).toEqual([expect.stringMatching(new RegExp(`cannot pass through ${await blocker(closed)}: its data lives in ${systemDir}/data/`))]);

    const again = new EmbeddedServer({ home, systemDir, notice: (line) => notes.push(line) });
    expect(await query((await again.start('process')).url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);
    await again.release();
    expect(notes).toHaveLength(1);
    expect({ root: await modeOf('/root'), closed: await modeOf(closed) }).toEqual(before);
  }, 180_000);

  it('data already in a <home>/pg the postgres user cannot reach is not moved: strata stops and says what to do', async () => {
    const closed = await mkdtemp(join('/root', 'strata-closed-'));
    cleanup.push(closed);
    const home = join(closed, '.strata');
    await mkdir(join(home, 'pg'), { recursive: true });
    await writeFile(join(home, 'pg', 'PG_VERSION'), '18\n');
    const err = await new EmbeddedServer({ home, systemDir }).start('process').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).message).toBe(
      `as root, PostgreSQL runs as the postgres system user, which cannot pass through ${await blocker(closed)} to reach its data in ${home}/pg; ` +
        'run strata as a regular user, or set STRATA_HOME to a folder that user can reach (strata does not change the permissions of folders it did not create)',
    );
    expect(await modeOf(closed)).toBe(0o700);
  });
});
