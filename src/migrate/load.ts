import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StrataError } from '../db/index.js';
import type { AnyMigration, NamedMigration } from './operations.js';

const FILE = /^(\d+[-_][\w-]+)\.(ts|js|mjs)$/;

/**
 * The migrations of a folder, by file name order: `NNNN_name.ts` (or `.js`) exporting a
 * declarative migration as default (`defineMigration`), or an `up` function (a code migration).
 * The name is the file name without its extension.
 *
 * @example
 * const migrations = await loadMigrations('migrations');
 */
export async function loadMigrations(dir: string): Promise<NamedMigration[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => FILE.test(f) && !f.endsWith('.d.ts')).sort();
  const out: NamedMigration[] = [];
  for (const file of files) {
    const name = FILE.exec(file)?.[1] ?? file;
    if (out.some((m) => m.name === name)) continue;
    const module = (await import(pathToFileURL(resolve(join(dir, file))).href)) as { default?: unknown; up?: unknown };
    const declared = module.default as AnyMigration | undefined;
    const migration =
      declared && typeof declared === 'object' && 'operations' in declared ? declared : typeof module.up === 'function' ? (module as AnyMigration) : undefined;
    if (!migration) throw new StrataError('MIGRATION_INVALID', `${file} exports neither a default defineMigration(...) nor an up function`);
    out.push({ name, migration });
  }
  return out;
}

/** The file a new migration gets: the next number after the folder's last one. */
export async function nextMigrationFile(dir: string, name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new StrataError('MIGRATION_INVALID', `a migration name is lowercase letters, digits and _ (got "${name}")`);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => FILE.test(f));
  const last = Math.max(0, ...files.map((f) => Number(/^\d+/.exec(f)?.[0] ?? 0)));
  return join(dir, `${String(last + 1).padStart(4, '0')}_${name}.ts`);
}

export const MIGRATION_TEMPLATE = `import { defineMigration } from 'strata/migrate';

export default defineMigration({
  operations: [
    // { op: 'add_column', table: 'products', column: { name: 'weight_g', type: 'integer', default: '0' } },
  ],
});
`;
