/**
 * `npm run mutate:db`: the hand-written mutations of bench/mutate/mutations.ts, each applied to a
 * scratch copy of the sources, with the tests it names run against it (only those, not the suite).
 * Prints a table (mutation, tests run, caught) and writes bench/results/mutate-db.md and .json.
 *
 *   npm run mutate:db                     # every mutation
 *   npm run mutate:db -- --only id,id2    # some of them: their rows replace theirs in the committed results (same server version)
 *   npm run mutate:db -- --list
 *
 * Uses DATABASE_URL when set, else one throwaway embedded PostgreSQL for the whole run. First runs
 * the named tests on the unmutated copy: they must pass, or nothing is concluded.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { EmbeddedServer } from '../../src/db/index.js';
import { machine } from '../lib/report.js';
import { type Edit, MUTATIONS, type NamedTest } from './mutations.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 20 * 60_000;

interface TestOutcome {
  readonly name: string;
  readonly status: 'passed' | 'failed';
  readonly message?: string;
}

interface RunResult {
  readonly tests: readonly TestOutcome[];
  /** Test files that failed outside any test (did not load, a hook failed). */
  readonly fileErrors: readonly string[];
  readonly seconds: number;
}

interface Row {
  readonly id: string;
  readonly issueTest?: number;
  readonly path: string;
  readonly breaks: string;
  readonly testsRun: readonly string[];
  /** yes: a named test failed; refused: a named test file refused to run (the mutation is of its configuration); no: every named test passed. */
  readonly caught: 'yes' | 'refused' | 'no' | 'skipped';
  readonly failed: readonly string[];
  readonly note?: string;
  readonly seconds: number;
}

const say = (line: string) => process.stderr.write(`[mutate:db] ${line}\n`);
const asRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The repository's files (tracked, and new ones git does not ignore) copied to a scratch folder; node_modules linked. */
async function scratchCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-mutate-db-'));
  const { output } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard'], ROOT, process.env);
  const files = output.split('\n').filter((f) => f !== '');
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(dir, file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err; // deleted in the working tree, not yet in git
    });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Applies edits to the scratch copy; returns how to undo them, or why one does not apply. */
async function apply(dir: string, edits: readonly Edit[]): Promise<{ undo: () => Promise<void> } | { stale: string }> {
  const originals = new Map<string, string>();
  for (const edit of edits) {
    const path = join(dir, edit.file);
    const text = originals.has(path) ? await readFile(path, 'utf8') : await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) return { stale: `${edit.file} does not exist` };
    const count = text.split(edit.find).length - 1;
    if (count !== 1) return { stale: `${edit.file}: the text to change occurs ${count} times (must be once): ${JSON.stringify(edit.find.slice(0, 80))}` };
    if (!originals.has(path)) originals.set(path, text);
    await writeFile(
      path,
      text.replace(edit.find, () => edit.replace),
    );
  }
  return {
    undo: async () => {
      for (const [path, text] of originals) await writeFile(path, text);
    },
  };
}

async function vitest(dir: string, tests: readonly NamedTest[], env: Readonly<Record<string, string>>, databaseUrl: string): Promise<RunResult> {
  const files = [...new Set(tests.map((t) => t.file))];
  const pattern = tests.map((t) => asRegExp(t.name)).join('|');
  const report = join(dir, `.mutate-db-${Date.now()}.json`);
  const started = Date.now();
  const { output } = await run(
    process.execPath,
    [join(dir, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '-t', pattern, '--reporter=json', `--outputFile=${report}`],
    dir,
    { ...process.env, DATABASE_URL: databaseUrl, ...env },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  const json = await readFile(report, 'utf8').catch(() => undefined);
  await rm(report, { force: true });
  if (json === undefined) return { tests: [], fileErrors: [`vitest wrote no report: ${output.trim().split('\n').slice(-5).join(' / ')}`], seconds };
  const parsed = JSON.parse(json) as {
    testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages?: string[] }[] }[];
  };
  const outcomes: TestOutcome[] = [];
  const fileErrors: string[] = [];
  for (const file of parsed.testResults) {
    const ran = file.assertionResults.filter((a) => a.status === 'passed' || a.status === 'failed');
    for (const a of ran) {
      const message = a.failureMessages?.[0]?.split('\n')[0];
      outcomes.push({ name: a.fullName, status: a.status as 'passed' | 'failed', ...(message ? { message } : {}) });
    }
    if (file.status === 'failed' && !ran.some((a) => a.status === 'failed'))
      fileErrors.push(`${file.name.replace(`${dir}/`, '')}: ${(file.message ?? 'failed').split('\n')[0]}`);
  }
  return { tests: outcomes, fileErrors, seconds };
}

async function capabilities(url: string): Promise<{ version: string; mergeReturning: boolean }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string; n: string }>(`SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n`);
    return { version: rows[0]?.v ?? '?', mergeReturning: Number(rows[0]?.n ?? 0) >= 170_000 };
  } finally {
    await client.end();
  }
}

function table(rows: readonly Row[]): string {
  const head = '| mutation | #29 test | path | breaks | tests run | caught | failing test (first line of its failure) | s |';
  const rule = '| --- | --- | --- | --- | --- | --- | --- | --- |';
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const body = rows.map(
    (r) =>
      `| ${r.id} | ${r.issueTest ?? ''} | ${r.path} | ${cell(r.breaks)} | ${cell(r.testsRun.join('; '))} | **${r.caught}** | ${cell([...r.failed, ...(r.note ? [r.note] : [])].join('; '))} | ${r.seconds} |`,
  );
  return [head, rule, ...body].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const m of MUTATIONS) process.stdout.write(`${m.id}${m.issueTest ? ` (#29 test ${m.issueTest})` : ''}: ${m.breaks}\n`);
    return 0;
  }
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;
  const unknown = [...(only ?? [])].filter((id) => !MUTATIONS.some((m) => m.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`mutate:db: unknown mutation ${unknown.join(', ')} (npm run mutate:db -- --list)\n`);
    return 1;
  }
  const chosen = MUTATIONS.filter((m) => !only || only.has(m.id));

  const dir = await scratchCopy();
  say(`scratch copy: ${dir}`);
  let server: EmbeddedServer | undefined;
  let home: string | undefined;
  try {
    // Every mutation must apply to today's code before anything runs.
    const stale: string[] = [];
    for (const m of chosen) {
      const applied = await apply(dir, m.edits);
      if ('stale' in applied) stale.push(`${m.id}: ${applied.stale}`);
      else await applied.undo();
    }
    if (stale.length > 0) {
      process.stderr.write(`mutate:db: mutations that no longer apply to the code (update bench/mutate/mutations.ts):\n  ${stale.join('\n  ')}\n`);
      return 1;
    }

    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      home = await mkdtemp(join(tmpdir(), 'strata-mutate-db-pg-'));
      server = new EmbeddedServer({ home, database: 'postgres', settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }, notice: say });
      databaseUrl = (await server.start('process')).url;
      say('started a throwaway embedded PostgreSQL');
    }
    const caps = await capabilities(databaseUrl);
    say(`PostgreSQL ${caps.version}`);

    const allTests = chosen.flatMap((m) => m.tests);
    say(`baseline: the named tests on the unmutated copy (${new Set(allTests.map((t) => t.file)).size} files)`);
    const baseline = await vitest(dir, allTests, {}, databaseUrl);
    const missing = chosen.flatMap((m) => m.tests).filter((t) => !baseline.tests.some((o) => o.name.includes(t.name)));
    const failing = baseline.tests.filter((t) => t.status === 'failed');
    if (failing.length > 0 || baseline.fileErrors.length > 0 || missing.length > 0) {
      process.stderr.write(
        `mutate:db: the unmutated code does not pass the named tests, so no mutation can be judged:\n  ${[
          ...failing.map((t) => `failed: ${t.name}: ${t.message ?? ''}`),
          ...baseline.fileErrors,
          ...missing.map((t) => `no test named "${t.name}" ran in ${t.file}`),
        ].join('\n  ')}\n`,
      );
      return 1;
    }
    say(`baseline passed: ${baseline.tests.length} tests in ${baseline.seconds} s`);

    const rows: Row[] = [];
    for (const m of chosen) {
      const testsRun = m.tests.map((t) => `${t.file} "${t.name}"`);
      const base = { id: m.id, ...(m.issueTest ? { issueTest: m.issueTest } : {}), path: m.path, breaks: m.breaks, testsRun };
      if ((m.needs === 'merge-returning' && !caps.mergeReturning) || (m.needs === 'no-merge-returning' && caps.mergeReturning)) {
        const why = m.needs === 'merge-returning' ? 'needs PostgreSQL 17+ (MERGE ... RETURNING)' : 'the PostgreSQL 15-16 path (no MERGE ... RETURNING)';
        rows.push({ ...base, caught: 'skipped', failed: [], note: `${why}; this run: ${caps.version}`, seconds: 0 });
        say(`${m.id}: skipped (${why})`);
        continue;
      }
      const applied = await apply(dir, m.edits);
      if ('stale' in applied) throw new Error(applied.stale);
      say(`${m.id}: running ${testsRun.join(', ')}`);
      let result: RunResult;
      try {
        result = await vitest(dir, m.tests, m.env ?? {}, databaseUrl);
      } finally {
        await applied.undo();
      }
      const named = result.tests.filter((t) => m.tests.some((n) => t.name.includes(n.name)));
      const failed = named.filter((t) => t.status === 'failed').map((t) => `${t.name}: ${t.message ?? ''}`);
      const caught = failed.length > 0 ? 'yes' : result.fileErrors.length > 0 ? 'refused' : 'no';
      rows.push({ ...base, caught, failed: failed.length > 0 ? failed : result.fileErrors, seconds: result.seconds });
      say(`${m.id}: caught ${caught} (${result.seconds} s)`);
    }

    const date = new Date().toISOString();
    // --only: the rows it ran replace theirs in the committed results (same server version), the rest are kept as they were.
    const earlier = only
      ? ((await readFile(join(ROOT, 'bench/results/mutate-db.json'), 'utf8')
          .then(
            (t) =>
              JSON.parse(t) as {
                date: string;
                database: string;
                baseline: { passed: number; seconds: number };
                rows: Row[];
                reruns?: { date: string; ids: string[]; baseline: { passed: number; seconds: number } }[];
              },
          )
          .catch(() => undefined)) ?? undefined)
      : undefined;
    const merged = earlier !== undefined && earlier.database === `PostgreSQL ${caps.version}`;
    if (only && !merged) say('--only: no earlier results on this server version to merge into; results not written');
    const reruns = merged
      ? [...(earlier.reruns ?? []), { date, ids: rows.map((r) => r.id), baseline: { passed: baseline.tests.length, seconds: baseline.seconds } }]
      : [];
    const base = merged ? earlier.baseline : { passed: baseline.tests.length, seconds: baseline.seconds };
    if (merged) {
      const fresh = new Map(rows.map((r) => [r.id, r]));
      rows.splice(0, rows.length, ...MUTATIONS.map((m) => fresh.get(m.id) ?? earlier.rows.find((r) => r.id === m.id)).filter((r): r is Row => r !== undefined));
    }
    const summary = `${rows.filter((r) => r.caught === 'yes' || r.caught === 'refused').length} of ${rows.filter((r) => r.caught !== 'skipped').length} mutations caught (${rows.filter((r) => r.caught === 'skipped').length} skipped on this server)`;
    const md = [
      '# Hand-written mutations of the database-backed core paths (npm run mutate:db)',
      '',
      `Date: ${merged ? earlier.date : date}  `,
      `Machine: ${machine()}  `,
      `Database: PostgreSQL ${caps.version}`,
      '',
      summary,
      '',
      `Baseline (the fixed code): the ${base.passed} named tests passed on the unmutated copy (${base.seconds} s).`,
      '',
      table(rows),
      '',
      '## Notes',
      '',
      '- Each mutation (bench/mutate/mutations.ts) is applied to a scratch copy of the sources and only the tests it names run against it (vitest -t); the named tests first passed on the unmutated copy.',
      '- caught **yes**: a named test failed; **refused**: the named test file refused to run at all, which is what a mutation of its configuration must cause (STRATA_SOAK=0); **no**: every named test passed with the path broken; **skipped**: the mutation breaks a path this server does not take.',
      '- "#29 test" marks the mutation issue #29 describes for its tests 1-5 (acceptance 1).',
      ...reruns.map(
        (r) =>
          `- Rerun on ${r.date} with \`--only ${r.ids.join(',')}\` (after a test was strengthened; its ${r.baseline.passed} named tests passed on the unmutated copy first); the other rows are from the date above.`,
      ),
      '',
    ].join('\n');
    process.stdout.write(`${md}\n`);
    if (only && !merged) say('--only: results not written to bench/results');
    else {
      const out = join(ROOT, 'bench/results');
      await writeFile(join(out, 'mutate-db.md'), md);
      await writeFile(
        join(out, 'mutate-db.json'),
        `${JSON.stringify({ date, machine: machine(), database: `PostgreSQL ${caps.version}`, summary, baseline: base, rows, ...(merged ? { date: earlier.date, reruns } : {}) }, null, 2)}\n`,
      );
      say('wrote bench/results/mutate-db.md and .json');
    }
    return rows.some((r) => r.caught === 'no') ? 1 : 0;
  } finally {
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
