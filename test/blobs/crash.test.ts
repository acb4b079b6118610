import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { collectGarbage } from '../../src/blobs/index.js';
import { describeEachBackend, readAll, useBlobs } from '../support/blobs.js';
import { startNode } from '../support/cli.js';

const CHILD = fileURLToPath(new URL('./fixtures/attach-then-hang.ts', import.meta.url));

describeEachBackend('a process killed between the object write and the metadata commit', (name) => {
  const blobs = useBlobs();

  it('leaves no attachment, only an orphan object, which gc removes after the grace period', async () => {
    const store = blobs.store(name);
    const child = startNode(CHILD, [JSON.stringify({ ...blobs.settings, backend: name })]);
    const [, key] = await child.waitFor(/READY (\S+)/);
    child.child.kill('SIGKILL');
    await child.exited;
    const keys = async () => {
      const found: string[] = [];
      for await (const o of blobs.backend(name).list()) found.push(o.key);
      return found;
    };
    expect(await keys()).toContain(key);
    const { rows } = await sql<{
      n: string;
    }>`SELECT (SELECT count(*) FROM strata.attachments)::text || '/' || (SELECT count(*) FROM strata.blobs)::text AS n`.execute(blobs.pg.database.db);
    expect(rows[0]?.n).toBe('0/0');
    expect(await collectGarbage(store, { graceMs: 3_600_000 })).toEqual({ blobs: 0, objects: 0 });
    expect(await keys()).toContain(key);
    const result = await collectGarbage(store, { graceMs: 0 });
    expect(result.error).toBeUndefined();
    expect(await keys()).not.toContain(key);
    // Every attachment left (none here, and any an application made) still reads.
    for (const a of await store.list({ table: 'crash', id: '1' })) await readAll(await store.open(a.blob));
  });
});
