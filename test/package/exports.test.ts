import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const hook = fileURLToPath(new URL('../support/forbid-imports.mjs', import.meta.url));
const HEAVY = ['fastify', 'prom-client', 'pg-copy-streams', 'csv-parse', 'mysql2'];

/** Imports a package entry (as an application would, by name) with some packages forbidden. */
function importWith(entry: string, forbidden: readonly string[]): { ok: boolean; output: string } {
  const run = spawnSync(process.execPath, ['--import', hook, '-e', `await import(${JSON.stringify(entry)}); console.log('loaded')`, '--input-type=module'], {
    cwd: root,
    env: { ...process.env, STRATA_FORBID: forbidden.join(',') },
    encoding: 'utf8',
  });
  return { ok: run.status === 0 && run.stdout.includes('loaded'), output: `${run.stdout}${run.stderr}` };
}

describe('package entry points', () => {
  it('strata/db loads no HTTP, metrics, COPY, CSV or MariaDB module (nor zod)', () => {
    const result = importWith('strata/db', [...HEAVY, 'zod']);
    expect(result.output).toContain('loaded');
    expect(result.ok).toBe(true);
  });

  it('strata/principals loads no HTTP, metrics, COPY, CSV or MariaDB module (nor zod)', () => {
    expect(importWith('strata/principals', [...HEAVY, 'zod']).ok).toBe(true);
  });

  it('the root entry loads no HTTP, metrics, COPY, CSV or MariaDB module', () => {
    expect(importWith('strata', HEAVY).ok).toBe(true);
  });

  it('strata/blobs loads no HTTP module, and the AWS SDK only when an s3 backend is made', () => {
    const result = importWith('strata/blobs', ['fastify', '@aws-sdk/client-s3']);
    expect(result.output).toContain('loaded');
    expect(result.ok).toBe(true);
  });

  it('the check notices a forbidden module (strata/service needs fastify)', () => {
    const result = importWith('strata/service', ['fastify']);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('forbidden import: fastify');
  });

  it('strata/migrate loads no HTTP, metrics, COPY or CSV module', () => {
    expect(importWith('strata/migrate', ['fastify', 'prom-client', 'pg-copy-streams', 'csv-parse']).ok).toBe(true);
  });

  it.each(['db', 'upsert', 'softdelete', 'history', 'migrate', 'model', 'bulk', 'boundary', 'observe', 'principals', 'ledger', 'blobs', 'service'])(
    'strata/%s is an entry point',
    (name) => {
      expect(importWith(`strata/${name}`, []).ok).toBe(true);
    },
  );
});
