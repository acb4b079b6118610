import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Source files laid out like src/, linted with the project's own biome.json. */
const FILES: Record<string, string> = {
  'src/db/index.ts': 'export const db = 1;\n',
  'src/db/errors.ts': 'export const errors = 1;\n',
  'src/upsert/index.ts': "export { ok } from './ok.js';\n",
  'src/upsert/ok.ts': "import { db } from '../db/index.js';\n\nexport const ok = db;\n",
  'src/upsert/internal.ts': "import { errors } from '../db/errors.js';\n\nexport const internal = errors;\n",
  'src/upsert/service.ts': "import { app } from '../service/index.js';\n\nexport const fromService = app;\n",
  'src/db/outward.ts': "import { ok } from '../upsert/index.js';\n\nexport const outward = ok;\n",
  'src/service/index.ts': "import { ok } from '../upsert/index.js';\n\nexport const app = ok;\n",
  'src/principals/index.ts': "export { owner } from './owner.js';\n",
  'src/principals/owner.ts': "import { ok } from '../upsert/index.js';\n\nexport const owner = ok;\n",
  'src/principals/reach.ts': "import { internal } from '../upsert/internal.js';\n\nexport const reach = internal;\n",
};

describe('the dependency rule', () => {
  let dir: string;
  let output: string;
  let status: number | null;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-deps-'));
    const config = JSON.parse(await readFile(join(root, 'biome.json'), 'utf8')) as Record<string, unknown>;
    delete config.$schema;
    await writeFile(join(dir, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));
    for (const [path, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const run = spawnSync(join(root, 'node_modules/.bin/biome'), ['lint', '--max-diagnostics=50', 'src'], { cwd: dir, encoding: 'utf8' });
    output = `${run.stdout}${run.stderr}`;
    status = run.status;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("fails the lint on a capability importing another capability's internal file", () => {
    expect(status).not.toBe(0);
    expect(output).toMatch(/src\/upsert\/internal\.ts:1:\d+ lint\/style\/noRestrictedImports/);
  });

  it('fails it on a capability importing the service, and on db importing a capability', () => {
    expect(output).toMatch(/src\/upsert\/service\.ts:1:\d+ lint\/style\/noRestrictedImports/);
    expect(output).toMatch(/src\/db\/outward\.ts:1:\d+ lint\/style\/noRestrictedImports/);
  });

  it('holds for principals like every capability', () => {
    expect(output).toMatch(/src\/principals\/reach\.ts:1:\d+ lint\/style\/noRestrictedImports/);
    expect(output).not.toMatch(/src\/principals\/owner\.ts/);
  });

  it('accepts imports through a public index', () => {
    expect(output).not.toMatch(/src\/upsert\/ok\.ts/);
    expect(output).not.toMatch(/src\/service\/index\.ts/);
  });
});
