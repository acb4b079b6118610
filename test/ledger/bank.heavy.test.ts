import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BankResult, runBank, setupBank } from '../../bench/lib/bank.js';
import { type BankVariant, BROKEN_VARIANTS } from '../../bench/lib/bank-variants.js';
import { type Database, EmbeddedServer, openPostgres } from '../../src/db/index.js';
import { TRANSFER_STRATEGIES } from '../../src/ledger/index.js';
import { usePostgres } from '../support/postgres.js';
import { soakRounds } from '../support/soak.js';

/**
 * The short bank test (bench/transfers.ts runs the long one): 16 connections move money for a
 * couple of seconds per strategy with faults (backends terminated, client timeouts resent with the
 * same id, a restart of the server), then the ledger is checked. The harness checks itself: the
 * negative control and every broken variant must show violations.
 */
const WORKERS = 16;
/** Milliseconds per run: 4 s in CI (STRATA_SOAK=full), 1.5 s by default. */
const DURATION = soakRounds(4, 1.5) * 1000;
const REAL: readonly BankVariant[] = [...TRANSFER_STRATEGIES, 'batch'];

function summary(r: BankResult): string {
  return JSON.stringify({
    variant: r.variant,
    applied: r.applied,
    refused: r.refused,
    contention: r.contention,
    resends: r.resends,
    retries: r.retries,
    deadlocks: r.deadlocks,
    callerErrors: r.callerErrors,
    check: r.check.violations.slice(0, 3),
    model: r.modelViolations.slice(0, 3),
    restart: r.restart,
  });
}

describe('bank test: backends terminated and client timeouts resent with the same id', () => {
  const pg = usePostgres({ max: 2 * WORKERS + 4 });
  let db: Database;
  let control: Database;
  beforeAll(async () => {
    db = pg.database;
    control = await openPostgres(pg.url, { max: 3 });
  });
  afterAll(async () => {
    await control?.close();
  });

  it.each(REAL)(
    '%s: 0 violations, no deadlock or serialization error reaching a caller',
    async (variant) => {
      const bank = await setupBank(db.db, 200);
      const result = await runBank(db.db, control.db, bank, {
        workers: WORKERS,
        hot: true,
        durationMs: DURATION,
        variant,
        faults: { terminateEveryMs: 150, clientTimeoutMs: variant === 'batch' ? 400 : 40 },
      });
      expect(result.applied, summary(result)).toBeGreaterThan(0);
      expect(result.violations, summary(result)).toBe(0);
      expect(result.check.ok).toBe(true);
      // The faults reached the strategy: as a resend by the client, or as a retry inside strata (a
      // terminated backend under a fast strategy is retried before the client's timeout runs out).
      expect(result.resends + result.retries, summary(result)).toBeGreaterThan(0);
    },
    300_000,
  );

  it('the negative control (read, then write, no transaction) shows violations', async () => {
    const bank = await setupBank(db.db, 20);
    const result = await runBank(db.db, control.db, bank, { workers: WORKERS, hot: true, durationMs: DURATION, variant: 'naive' });
    expect(result.violations, summary(result)).toBeGreaterThan(0);
  }, 300_000);

  it.each(BROKEN_VARIANTS)(
    'self-test: the harness catches %s',
    async (variant) => {
      const bank = await setupBank(db.db, 20);
      const result = await runBank(db.db, control.db, bank, {
        workers: WORKERS,
        hot: true,
        durationMs: DURATION,
        variant,
        missingRate: variant === 'broken:credit-missing' ? 0.05 : 0.002,
        faults: variant === 'broken:no-idempotency' ? { clientTimeoutMs: 5 } : {},
      });
      expect(result.violations, summary(result)).toBeGreaterThan(0);
    },
    300_000,
  );
});

describe('bank test: the server restarts mid-run', () => {
  let home: string;
  let server: EmbeddedServer;
  let db: Database;
  let control: Database;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'strata-bank-'));
    await chmod(home, 0o755);
    server = new EmbeddedServer({ home, database: 'bank', settings: { fsync: 'off', full_page_writes: 'off', max_connections: '120' } });
    const { url } = await server.start('process');
    db = await openPostgres(url, { max: 2 * WORKERS + 4 });
    control = await openPostgres(url, { max: 3 });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await control?.close();
    await server?.stop().catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  it.each(REAL)(
    '%s: 0 violations across the restart',
    async (variant) => {
      const bank = await setupBank(db.db, 200);
      const restart = async () => {
        await server.stop();
        await server.start('process');
      };
      const result = await runBank(db.db, control.db, bank, {
        workers: WORKERS,
        hot: false,
        durationMs: Math.max(DURATION, 2000),
        variant,
        faults: { clientTimeoutMs: variant === 'batch' ? 400 : 100, restart },
      });
      // The restart happened, and inside the run (else the run proves nothing about it).
      expect(result.restart?.error, summary(result)).toBeUndefined();
      expect(result.restart?.startedMs ?? Number.POSITIVE_INFINITY, summary(result)).toBeLessThan(Math.max(DURATION, 2000));
      expect(result.applied, summary(result)).toBeGreaterThan(0);
      expect(result.resends + result.retries, summary(result)).toBeGreaterThan(0);
      expect(result.violations, summary(result)).toBe(0);
    },
    300_000,
  );
});
