import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/ and the CLI's bundle (as `npm install` does), so `bin/strata.js` runs strata compiled, not through tsx. */
export async function buildDist(): Promise<void> {
  process.stderr.write('bench: building dist/ so strata runs compiled, as installed\n');
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')]);
  await run(process.execPath, [join(root, 'scripts/bundle-cli.mjs')], { cwd: root });
  await writeFile(join(root, 'dist/.built'), new Date().toISOString());
}
