#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/, bundled by `npm install` through the `prepare` script) when it is
// up to date with the sources; otherwise runs the TypeScript sources through tsx, so a checkout
// that was edited but not rebuilt never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = `${root}dist/.built`;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    const time = entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? statSync(path).mtimeMs : 0;
    if (time > newest) newest = time;
  }
  return newest;
}

const built =
  process.env.STRATA_FROM_SOURCE !== '1' &&
  existsSync(stamp) &&
  statSync(stamp).mtimeMs >= Math.max(newestSource(`${root}src`), newestSource(`${root}migrations`));

// The bundle (scripts/bundle-cli.mjs) when the build made one after tsc's last output, else that output.
const bundle = `${root}dist/cli/main.js`;
const tscInfo = `${root}dist/.tsbuildinfo`;
const bundled = existsSync(bundle) && (!existsSync(tscInfo) || statSync(bundle).mtimeMs >= statSync(tscInfo).mtimeMs);

if (built) {
  await import(bundled ? '../dist/cli/main.js' : '../dist/src/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
