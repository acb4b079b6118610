// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) with Kysely and commander into dist/cli/,
// one chunk per lazily imported command action (code splitting keeps `strata --help` from loading
// them). Kysely's ESM build is some 280 files, which Node resolves and links one by one at every
// start (about 0.2 s of `strata load`); bundled it is one file. commander is CommonJS: bundled, Node
// no longer resolves and wraps its files at each start (about 6 ms of CPU of `strata --help`'s ~70,
// measured alternating 30 runs each); its require() of Node's own modules goes through the banner's
// createRequire. Every other package stays an import of its own (test/cli/startup.test.ts checks
// which ones each command loads). Run by `npm run build`; bin/strata.js runs dist/cli/main.js when
// the build is up to date.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

const bundled = (path) => path === 'kysely' || path.startsWith('kysely/') || path === 'commander';

rmSync(`${root}dist/cli`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/cli/main.js'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);" },
  plugins: [
    {
      name: 'packages-stay-imports',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (bundled(args.path) ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
