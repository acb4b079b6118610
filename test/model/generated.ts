import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { Definition } from '../../src/model/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The import the generated files use: strata/model's sources, from scratch/<dir>/. */
export const IMPORT_FROM = '../../src/model/index.js';

/** A folder under scratch/ (git-ignored, inside the project so kysely resolves), removed after the file. */
export function generatedFolder(): { write(name: string, source: string): Promise<string>; load(file: string): Promise<{ model: readonly Definition[] }> } {
  const dir = join(root, 'scratch', `model-${randomBytes(4).toString('hex')}`);
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return {
    async write(name, source) {
      await mkdir(dir, { recursive: true });
      const file = join(dir, name);
      await writeFile(file, source);
      return file;
    },
    load: (file) => import(file) as Promise<{ model: readonly Definition[] }>,
  };
}

/** Type-checks files with the project's compiler options; returns tsc's output ('' when clean). */
export function typeCheck(files: readonly string[]): string {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--noEmit', '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess', '--skipLibCheck'];
  args.push(
    '--target',
    'ES2023',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--types',
    'node',
    '--lib',
    'ES2023,ES2024.String',
    '--allowImportingTsExtensions',
    ...files,
  );
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`.trim();
}

/** The column types a generated interface declares, unwrapped from Generated<>/ColumnType<> and `| null`. */
export function interfaceColumns(source: string, name: string): Record<string, { type: string; nullable: boolean }> {
  const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
  if (!body) throw new Error(`no interface ${name} in the generated source`);
  const out: Record<string, { type: string; nullable: boolean }> = {};
  for (const line of body.split('\n')) {
    const m = /^ {2}"?([^":]+)"?: (.*);$/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    let type = m[2];
    const wrapped = /^(?:Generated<(.*)>|ColumnType<(.*), never, (?:never|number)>)$/.exec(type);
    if (wrapped) type = (wrapped[1] ?? wrapped[2]) as string;
    const nullable = type.endsWith(' | null');
    out[m[1]] = { type: nullable ? type.slice(0, -7) : type, nullable };
  }
  return out;
}

/** Whether a value the driver returned has the TypeScript type the generator wrote (an enum alias: a string). */
export function matches(value: unknown, type: string, aliases: ReadonlySet<string>): boolean {
  if (type.endsWith('[]')) return Array.isArray(value) && value.every((v) => matches(v, type.slice(0, -2), aliases));
  if (aliases.has(type)) return typeof value === 'string';
  switch (type) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return typeof value === type;
    case 'Date':
      return value instanceof Date;
    case 'Buffer':
      return Buffer.isBuffer(value);
    case 'Json':
      return value !== undefined && !(value instanceof Date) && typeof value !== 'bigint';
    case 'unknown':
      return true;
    default:
      return false;
  }
}
