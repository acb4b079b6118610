/**
 * Merges the per-group StrykerJS JSON reports (reports/mutation/<group>.json, written by
 * `npm run mutate`) into bench/results/mutation.md and .json: the score per group, what each test
 * file kills, and every surviving mutant (survived, or no test covers it) with its reason from
 * bench/mutate/accepted.json. A group not run this time keeps its committed results. Run alone:
 * `npm run mutate -- --report`.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { machine } from '../lib/report.js';
import accepted from './accepted.json' with { type: 'json' };
import { GROUPS, type MutationGroup } from './groups.js';

/** A reason a surviving mutant may stay. Every field given must match; `original` and `replacement` as a part of the text. */
interface Accepted {
  readonly file: string;
  /** The top-level function, const or class the mutant is in. */
  readonly scope?: string;
  readonly mutator?: string;
  /** Only when the same mutation elsewhere in the scope is killed: a reason that must not cover it (moves with the code). */
  readonly line?: number;
  readonly original?: string;
  readonly replacement?: string;
  readonly reason: string;
}

interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly scope: string;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: 'Survived' | 'NoCoverage';
  readonly reason?: string;
}

interface Counts {
  mutants: number;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Static mutants, not run unless STRATA_MUTATE_STATIC=1 (stryker.config.mjs): not counted in the score. */
  ignored: number;
  /** Mutants that did not compile or crashed the runner: not counted in the score. */
  other: number;
}

interface GroupResult {
  readonly name: string;
  readonly what: string;
  readonly date: string;
  readonly seconds?: number;
  readonly concurrency?: number;
  readonly modules: readonly string[];
  readonly counts: Counts;
  /** Detected (killed or timed out) over detected plus undetected (survived or not covered), in percent. */
  readonly score: number | null;
  /** Mutants each test file killed (the first test to fail is the one credited). */
  readonly kills: Readonly<Record<string, number>>;
  readonly survivors: readonly Survivor[];
}

interface StrykerMutant {
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
  status: string;
  killedBy?: string[];
}

interface StrykerReport {
  files: Record<string, { source: string; mutants: StrykerMutant[] }>;
  testFiles?: Record<string, { tests: { id: string; name: string }[] }>;
}

const ACCEPTED: readonly Accepted[] = accepted.accepted;
const DECLARATION = /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?\s+([\w$]+)|(?:const|let|class|interface|type)\s+([\w$]+))/;

/** The top-level declaration a line is in: the nearest one starting at column 0 above it. */
function scopeOf(lines: readonly string[], line: number): string {
  for (let i = line - 1; i >= 0; i--) {
    const m = DECLARATION.exec(lines[i] ?? '');
    if (m) return m[1] ?? m[2] ?? '(module)';
  }
  return '(module)';
}

function originalText(lines: readonly string[], m: StrykerMutant): string {
  const { start, end } = m.location;
  if (start.line === end.line) return (lines[start.line - 1] ?? '').slice(start.column - 1, end.column - 1);
  return `${(lines[start.line - 1] ?? '').slice(start.column - 1)} …`;
}

const matches = (a: Accepted, s: Omit<Survivor, 'reason'>) =>
  a.file === s.file &&
  (a.scope === undefined || a.scope === s.scope) &&
  (a.mutator === undefined || a.mutator === s.mutator) &&
  (a.line === undefined || a.line === s.line) &&
  (a.original === undefined || s.original.includes(a.original)) &&
  (a.replacement === undefined || s.replacement.includes(a.replacement));

const reasonFor = (s: Omit<Survivor, 'reason'>): string | undefined => ACCEPTED.find((a) => matches(a, s))?.reason;

async function fromStryker(root: string, group: MutationGroup): Promise<GroupResult | undefined> {
  const path = join(root, `reports/mutation/${group.name}.json`);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const report = JSON.parse(text) as StrykerReport;
  const run = (await readFile(join(root, `reports/mutation/${group.name}.run.json`), 'utf8')
    .then((t) => JSON.parse(t) as { date: string; seconds: number; concurrency: number })
    .catch(() => undefined)) ?? { date: (await stat(path)).mtime.toISOString() };
  const testFile = new Map<string, string>();
  for (const [file, { tests }] of Object.entries(report.testFiles ?? {})) for (const t of tests) testFile.set(t.id, file);
  const counts: Counts = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, other: 0 };
  const kills: Record<string, number> = Object.fromEntries(group.tests.map((t) => [t, 0]));
  const survivors: Survivor[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
    const lines = source.split('\n');
    for (const m of mutants) {
      counts.mutants++;
      if (m.status === 'Killed') {
        counts.killed++;
        const by = testFile.get(m.killedBy?.[0] ?? '');
        if (by) kills[by] = (kills[by] ?? 0) + 1;
      } else if (m.status === 'Timeout') counts.timeout++;
      else if (m.status === 'Survived' || m.status === 'NoCoverage') {
        if (m.status === 'Survived') counts.survived++;
        else counts.noCoverage++;
        const s = {
          file,
          line: m.location.start.line,
          scope: scopeOf(lines, m.location.start.line),
          mutator: m.mutatorName,
          original: originalText(lines, m),
          replacement: m.replacement ?? '',
          status: m.status as Survivor['status'],
        };
        const reason = reasonFor(s);
        survivors.push(reason ? { ...s, reason } : s);
      } else if (m.status === 'Ignored') counts.ignored++;
      else counts.other++;
    }
  }
  const detected = counts.killed + counts.timeout;
  const scored = detected + counts.survived + counts.noCoverage;
  return {
    name: group.name,
    what: group.what,
    date: run.date,
    ...('seconds' in run ? { seconds: run.seconds, concurrency: run.concurrency } : {}),
    modules: Object.keys(report.files).sort(),
    counts,
    score: scored === 0 ? null : Math.round((1000 * detected) / scored) / 10,
    kills,
    survivors: survivors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
  };
}

/** A committed group result, its reasons looked up again in today's accepted.json. */
function reasoned(g: GroupResult): GroupResult {
  return {
    ...g,
    survivors: g.survivors.map(({ reason: _, ...s }) => {
      const reason = reasonFor(s);
      return reason ? { ...s, reason } : s;
    }),
  };
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/`/g, "'");
const code = (text: string) => (text === '' ? '(empty)' : `\`${cell(text.length > 70 ? `${text.slice(0, 67)}...` : text)}\``);

function markdown(groups: readonly GroupResult[], date: string, notRun: readonly MutationGroup[]): string {
  const total = groups.reduce<Counts>(
    (t, g) => {
      for (const k of Object.keys(t) as (keyof Counts)[]) t[k] += g.counts[k];
      return t;
    },
    { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, other: 0 },
  );
  const detected = total.killed + total.timeout;
  const score = Math.round((1000 * detected) / Math.max(1, detected + total.survived + total.noCoverage)) / 10;
  const unexplained = groups.flatMap((g) => g.survivors).filter((s) => !s.reason).length;
  const reported = new Set(groups.flatMap((g) => g.modules));
  const unusedReasons = ACCEPTED.filter((a) => reported.has(a.file) && !groups.some((g) => g.survivors.some((s) => matches(a, s))));
  const out = [
    '# Mutation testing of the modules whose tests need no database (npm run mutate)',
    '',
    `Report written: ${date}  `,
    `Machine: ${machine()}`,
    '',
    'StrykerJS 9.6.1 with the vitest runner, coverage per test, one group at a time (bench/mutate/groups.json): each group',
    'mutates its modules and runs only its own test files, none of which needs a database. The database-backed paths',
    'are broken by hand instead: `npm run mutate:db` ([mutate-db.md](mutate-db.md)).',
    '',
    `**Score ${score}%** over ${total.mutants} mutants: ${total.killed} killed, ${total.timeout} timed out, ${total.survived} survived, ${total.noCoverage} not covered by any test; not scored: ${total.ignored} static mutants not run (module-level tables and constants: each needs the group's modules reloaded and every test rerun; \`STRATA_MUTATE_STATIC=1\` runs them), ${total.other} not compiling. ${unexplained === 0 ? 'Every surviving mutant has a reason below.' : `**${unexplained} surviving mutants have neither a test nor a reason.**`}`,
    '',
    '| group | modules | mutants | killed | timeout | survived | no coverage | static, not run | score | run |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...groups.map(
      (g) =>
        `| ${g.name} | ${g.modules.join(', ')} | ${g.counts.mutants} | ${g.counts.killed} | ${g.counts.timeout} | ${g.counts.survived} | ${g.counts.noCoverage} | ${g.counts.ignored ?? 0} | ${g.score ?? '-'}% | ${g.date.slice(0, 16).replace('T', ' ')}${g.seconds !== undefined ? `, ${g.seconds} s, concurrency ${g.concurrency}` : ''} |`,
    ),
    '',
    'Score: killed or timed out, over killed, timed out, survived and not covered. Run: when the group last ran and how long it took;',
    "a run after a group's first tests only the mutants whose code or tests changed (Stryker's incremental mode, reports/ is not",
    "committed) and carries the others' results over, so its time is not the time of a full run (`npm run mutate -- --force` reruns all).",
    '',
    ...(notRun.length > 0
      ? [
          `**Not run yet** (no results, so not in the score): ${notRun.map((g) => `${g.name} (${g.mutate.join(', ')})`).join('; ')}. Run \`npm run mutate -- ${notRun.map((g) => g.name).join(' ')}\`.`,
          '',
        ]
      : []),
    '## What each test file kills',
    '',
    '| group | test file | mutants it killed first |',
    '| --- | --- | --- |',
    ...groups.flatMap((g) => Object.entries(g.kills).map(([file, n]) => `| ${g.name} | ${file} | ${n} |`)),
    '',
    '## Surviving mutants and why they may stay',
    '',
    'Each mutant a test does not catch, with the reason it stays (bench/mutate/accepted.json). A mutant a test was added for',
    'is no longer here: it is counted as killed above.',
    '',
  ];
  for (const g of groups) {
    out.push(`### ${g.name} (${g.what})`, '');
    if (g.survivors.length === 0) {
      out.push('None.', '');
      continue;
    }
    out.push('| where | in | mutator | original | replacement | status | reason |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const s of g.survivors)
      out.push(
        `| ${s.file}:${s.line} | ${s.scope} | ${s.mutator} | ${code(s.original)} | ${code(s.replacement)} | ${s.status === 'NoCoverage' ? 'no coverage' : 'survived'} | ${s.reason ? cell(s.reason) : '**none: needs a test**'} |`,
      );
    out.push('');
  }
  if (unusedReasons.length > 0) {
    out.push(
      '## Reasons in accepted.json that match no surviving mutant',
      '',
      ...unusedReasons.map((a) => `- ${a.file}${a.scope ? ` (${a.scope})` : ''}: ${cell(a.reason)}`),
      '',
    );
  }
  return out.join('\n');
}

/** Writes bench/results/mutation.md and .json; returns how many surviving mutants have no reason. */
export async function writeReport(root: string): Promise<number> {
  const committed = await readFile(join(root, 'bench/results/mutation.json'), 'utf8')
    .then((t) => (JSON.parse(t) as { groups: GroupResult[] }).groups)
    .catch(() => [] as GroupResult[]);
  const groups: GroupResult[] = [];
  const notRun: MutationGroup[] = [];
  for (const group of GROUPS) {
    const fresh = await fromStryker(root, group);
    const earlier = committed.find((g) => g.name === group.name);
    if (fresh) groups.push(fresh);
    else if (earlier) groups.push(reasoned({ ...earlier, what: group.what }));
    else {
      notRun.push(group);
      process.stderr.write(`[mutate] ${group.name}: never run (npm run mutate -- ${group.name}); listed as not run\n`);
    }
  }
  const date = new Date().toISOString();
  const md = markdown(groups, date, notRun);
  await writeFile(join(root, 'bench/results/mutation.md'), md);
  await writeFile(join(root, 'bench/results/mutation.json'), `${JSON.stringify({ date, machine: machine(), groups }, null, 2)}\n`);
  process.stderr.write(`[mutate] wrote bench/results/mutation.md and .json\n`);
  return groups.flatMap((g) => g.survivors).filter((s) => !s.reason).length;
}
