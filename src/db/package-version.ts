import { readFileSync } from 'node:fs';

function findVersion(): string {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'strata' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (dir.pathname === '/') return '0.0.0';
  }
}

let cached: string | undefined;

/** strata's own version, from the nearest package.json named "strata" above this module (src/ or dist/src/). */
export function strataVersion(): string {
  cached ??= findVersion();
  return cached;
}
