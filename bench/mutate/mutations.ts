// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are source text to find and replace, not templates
/**
 * Hand-written mutations of the database-backed core paths, for `npm run mutate:db` (db.ts). Each
 * breaks one path the way a plausible bug would, in a scratch copy of the sources, and names the
 * tests that must then fail. `find` must occur exactly once in its file: when the code moves on,
 * the script says which mutation went stale instead of testing unmutated code.
 */

export interface Edit {
  /** Path from the repository root. */
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface NamedTest {
  readonly file: string;
  /** A part of the test's name (matched as plain text against the full name, describe blocks included). */
  readonly name: string;
}

export interface Mutation {
  readonly id: string;
  /** Which of issue #29's tests 1-5 this mutation is the one described for. */
  readonly issueTest?: 1 | 2 | 3 | 4 | 5;
  readonly path: 'bulk stop rules' | 'bulk resume' | 'upsert batching' | 'upsert concurrency' | 'history capture' | 'idempotency' | 'metrics registry';
  /** What the mutation breaks, in a sentence. */
  readonly breaks: string;
  readonly edits: readonly Edit[];
  /** Environment given to the test run (for a mutation of how a test is configured). */
  readonly env?: Readonly<Record<string, string>>;
  readonly tests: readonly NamedTest[];
  /** Only meaningful on a server with this capability; skipped (and said so) elsewhere. */
  readonly needs?: 'merge-returning' | 'no-merge-returning';
}

const PIPELINE = 'src/bulk/pipeline.ts';
const STOPS = { file: 'test/bulk/bulk.test.ts', name: 'a failing chunk stops a parallel load' };
const failedNeverSet: Edit = { file: PIPELINE, find: 'return this.error !== undefined;', replace: 'return false;' };
const upsertOrderDropped: Edit = { file: PIPELINE, find: '      if (this.plan.upsert && !(await previous)) throw ABANDONED;\n', replace: '' };
const laterChunkCommits: Edit = { file: PIPELINE, find: '      if (order > this.failedAt) throw ABANDONED;\n', replace: '' };

const UPSERT_SIZE = 'const size = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / Math.max(1, names.length))));';
const WIDE = { file: 'test/upsert/upsert.test.ts', name: "splits a wide table's batch" };
const SOAK = 'test/upsert/concurrency.heavy.test.ts';
const HISTORY_ROLLBACK = { file: 'test/history/history.heavy.test.ts', name: 'an update that changes nothing writes no version' };
const IDEMPOTENCY = 'test/upsert/idempotency.test.ts';
const REGISTRY = { file: 'test/observe/registry.test.ts', name: 'createRegistry holds the process metrics' };

export const MUTATIONS: readonly Mutation[] = [
  {
    id: 'upsert-no-split',
    issueTest: 1,
    path: 'upsert batching',
    breaks: 'the 65,535-parameter split removed: one statement per batch (size = rows.length)',
    edits: [{ file: 'src/upsert/upsert.ts', find: UPSERT_SIZE, replace: 'const size = Math.max(1, rows.length);' }],
    tests: [WIDE],
  },
  {
    id: 'upsert-row-cap-only',
    path: 'upsert batching',
    breaks: 'the per-column arithmetic removed, the 1,000-row cap kept (a narrow table never notices)',
    edits: [{ file: 'src/upsert/upsert.ts', find: UPSERT_SIZE, replace: 'const size = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, rows.length));' }],
    tests: [WIDE],
  },
  {
    id: 'bulk-no-stop-rules',
    issueTest: 2,
    path: 'bulk stop rules',
    breaks: '`failed` always false (the source is read on) and both ABANDONED throws removed (later chunks commit)',
    edits: [failedNeverSet, upsertOrderDropped, laterChunkCommits],
    tests: [STOPS],
  },
  {
    id: 'bulk-reads-on',
    path: 'bulk stop rules',
    breaks: '`failed` always false: the producer keeps reading the source after a chunk failed',
    edits: [failedNeverSet],
    tests: [STOPS],
  },
  {
    id: 'bulk-later-insert-commits',
    path: 'bulk stop rules',
    breaks: "an insert's later chunk commits after an earlier one failed",
    edits: [laterChunkCommits],
    tests: [STOPS],
  },
  {
    id: 'bulk-upsert-out-of-order',
    path: 'bulk stop rules',
    breaks: "an upsert's chunk merges and commits although the chunk before it failed",
    edits: [upsertOrderDropped],
    tests: [STOPS],
  },
  {
    id: 'bulk-parallel-one-overlaps',
    path: 'bulk stop rules',
    breaks: 'one chunk more in flight than `parallel` allows (parallel: 1 is no longer sequential)',
    edits: [{ file: PIPELINE, find: 'while (this.inflight.size >= this.parallel)', replace: 'while (this.inflight.size > this.parallel)' }],
    tests: [{ file: 'test/bulk/bulk.test.ts', name: 'parallel: 1 loads one chunk after another' }],
  },
  {
    id: 'bulk-privilege-is-row-fault',
    path: 'bulk stop rules',
    breaks: "SQLSTATE classes 42 (privilege) and 25 (read-only) taken for a row's fault: reject mode sets every row aside",
    edits: [
      { file: 'src/bulk/plan.ts', find: 'const ROW_CLASSES = /^(22|23|27|44|P0|S[A-Z])/;', replace: 'const ROW_CLASSES = /^(22|23|25|27|42|44|P0|S[A-Z])/;' },
    ],
    tests: [{ file: 'test/bulk/bulk.test.ts', name: 'reject mode sets aside only rows the database refuses' }],
  },
  {
    id: 'bulk-progress-not-recorded',
    path: 'bulk resume',
    breaks: 'a chunk commits without recording its line range: a rerun loads it again',
    edits: [
      {
        file: PIPELINE,
        find: '      if (this.plan.loadId)\n        await chunk.client.query(RECORD_CHUNK, [',
        replace: '      if (false as boolean)\n        await chunk.client.query(RECORD_CHUNK, [',
      },
    ],
    tests: [{ file: 'test/bulk/bulk.test.ts', name: 'a rerun with the same load id skips the committed chunks' }],
  },
  {
    id: 'registry-global',
    issueTest: 3,
    path: 'metrics registry',
    breaks: "createRegistry's process metrics go to prom-client's global registry instead of the new one",
    edits: [{ file: 'src/observe/registry.ts', find: 'collectDefaultMetrics({ register: registry });', replace: 'collectDefaultMetrics();' }],
    tests: [REGISTRY],
  },
  {
    id: 'registry-misnamed-kept',
    path: 'metrics registry',
    breaks: "prom-client's misnamed `_total` gauges are no longer removed",
    edits: [{ file: 'src/observe/registry.ts', find: '  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);\n', replace: '' }],
    tests: [REGISTRY],
  },
  {
    id: 'soak-zero-rounds',
    issueTest: 4,
    path: 'upsert concurrency',
    breaks: 'the 64-connection soak configured to run no round (STRATA_SOAK=0; the old STRATA_UPSERT_ROUNDS=0 asserted nothing)',
    edits: [],
    env: { STRATA_SOAK: '0' },
    tests: [{ file: SOAK, name: 'native: 64 connections' }],
  },
  {
    id: 'merge-compare-unlocked',
    issueTest: 4,
    path: 'upsert concurrency',
    breaks: "MERGE without RETURNING (PostgreSQL 15-16) compares before/after images without the keys' advisory locks",
    edits: [
      {
        file: 'src/upsert/strategies.ts',
        find: '  for (const k of keys) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${k}, 0))`.execute(trx);\n',
        replace: '',
      },
    ],
    tests: [{ file: SOAK, name: 'merge: 64 connections' }],
    needs: 'no-merge-returning',
  },
  {
    id: 'merge-no-retry',
    issueTest: 4,
    path: 'upsert concurrency',
    breaks: "MERGE's unique violation (a concurrent insert of the same new key) is not retried",
    edits: [
      {
        file: 'src/upsert/strategies.ts',
        find: "if (!isStrataError(err, 'UNIQUE_VIOLATION') || attempt >= c.maxAttempts) throw exhausted(err, attempt, c.maxAttempts);",
        replace: 'throw exhausted(err, attempt, c.maxAttempts);',
      },
    ],
    tests: [{ file: SOAK, name: 'merge: 64 connections' }],
    needs: 'merge-returning',
  },
  {
    id: 'fallback-no-savepoint',
    issueTest: 4,
    path: 'upsert concurrency',
    breaks: "the fallback's INSERT runs without its savepoint: a lost race aborts the caller's transaction",
    edits: [
      {
        file: 'src/upsert/strategies.ts',
        find: "await savepoint(trx, 'strata_upsert_row', () =>",
        replace: "await ((_t: unknown, _n: string, work: () => Promise<{ rows: Row[] }>) => work())(trx, 'strata_upsert_row', () =>",
      },
    ],
    tests: [{ file: SOAK, name: 'fallback: 64 connections' }],
  },
  {
    id: 'history-update-fails',
    issueTest: 5,
    path: 'history capture',
    breaks: "an update's version is written under the old version number: every versioned UPDATE fails with a duplicate key",
    edits: [
      {
        file: 'src/history/render.ts',
        find: '    ${write(updateOperation(r), from(r.validFrom.update))}',
        replace: "    ${write(updateOperation(r), from(r.validFrom.update)).replace('NEW.version', 'OLD.version')}",
      },
    ],
    tests: [HISTORY_ROLLBACK],
  },
  {
    id: 'history-noop-versioned',
    path: 'history capture',
    breaks: 'an UPDATE that changes nothing is no longer skipped: it bumps the version and writes one',
    edits: [{ file: 'src/history/render.ts', find: '  IF NEW IS NOT DISTINCT FROM OLD THEN\n    RETURN NULL;\n  END IF;\n', replace: '' }],
    tests: [HISTORY_ROLLBACK],
  },
  {
    id: 'history-no-snapshot',
    path: 'history capture',
    breaks: 'rows present when history is enabled get no snapshot version',
    edits: [{ file: 'src/history/enable.ts', find: '    if (!existed) {\n', replace: '    if (existed) {\n' }],
    tests: [{ file: 'test/history/history.heavy.test.ts', name: 'rows present when history is enabled get a snapshot version each' }],
  },
  {
    id: 'idempotency-complete-refused',
    issueTest: 5,
    path: 'idempotency',
    breaks: "completing a key throws IDEMPOTENCY_KEY_IN_FLIGHT although this claim's row was stored (the check inverted)",
    edits: [{ file: 'src/upsert/idempotency.ts', find: 'if (result.numAffectedRows !== 1n) {', replace: 'if (result.numAffectedRows !== 0n) {' }],
    tests: [{ file: IDEMPOTENCY, name: 'a rolled-back effect stores nothing' }],
  },
  {
    id: 'idempotency-no-fencing',
    path: 'idempotency',
    breaks: "completing ignores the claim's token: a holder whose key was taken over still stores its response",
    edits: [
      {
        file: 'src/upsert/idempotency.ts',
        find: "     WHERE principal = ${claim.request.principal} AND key = ${claim.request.key} AND token = ${claim.token} AND state = 'in_flight'`.execute(trx);",
        replace: "     WHERE principal = ${claim.request.principal} AND key = ${claim.request.key} AND state = 'in_flight'`.execute(trx);",
      },
    ],
    tests: [{ file: IDEMPOTENCY, name: 'a key whose holder died can be taken over' }],
  },
  {
    id: 'idempotency-no-takeover',
    path: 'idempotency',
    breaks: 'a claim never takes over a key whose holder died (lock expired): retries answer in flight until the key expires',
    edits: [
      {
        file: 'src/upsert/idempotency.ts',
        find: "OR (k.state = 'in_flight' AND k.locked_until < clock_timestamp()",
        replace: 'OR (false AND k.locked_until < clock_timestamp()',
      },
    ],
    tests: [{ file: IDEMPOTENCY, name: 'a key whose holder died can be taken over' }],
  },
  {
    id: 'idempotency-expired-kept',
    path: 'idempotency',
    breaks: 'an expired key is not started afresh by a new claim (only cleanup would free it)',
    edits: [
      {
        file: 'src/upsert/idempotency.ts',
        find: '        WHERE k.expires_at < clock_timestamp()\n           OR',
        replace: '        WHERE false\n           OR',
      },
    ],
    tests: [{ file: IDEMPOTENCY, name: 'expired keys start afresh' }],
  },
];
