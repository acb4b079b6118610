/**
 * `npm run mutate`: StrykerJS over the modules whose tests need no database, one group of
 * bench/mutate/groups.json at a time (each group mutates its modules and runs only its own test
 * files), then bench/mutate/report.ts merges the groups into bench/results/mutation.md and .json.
 *
 *   npm run mutate                      # every group, one after another, then the report
 *   npm run mutate -- render cursor     # some groups (the report keeps the other groups' committed results)
 *   npm run mutate -- --force render    # every mutant again (default: only mutants whose code or tests changed)
 *   npm run mutate -- --list            # the groups, their modules and tests
 *   npm run mutate -- --report          # only rebuild the report from reports/mutation/*.json
 *
 * STRATA_MUTATE_CONCURRENCY (default 1) sets Stryker's test runner processes per group.
 * Exits 1 when a group's run fails or a surviving mutant has neither a test nor a reason.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GROUPS, groupNamed } from './groups.js';
import { writeReport } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STRYKER = join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js');

const say = (line: string) => process.stderr.write(`[mutate] ${line}\n`);

function stryker(group: string, force: boolean): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STRYKER, 'run', 'stryker.config.mjs', ...(force ? ['--force'] : [])], {
      cwd: ROOT,
      env: { ...process.env, STRATA_MUTATE_GROUP: group },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'npm run mutate [-- [--force] [group ...]] | --list | --report\n  e.g. npm run mutate -- translate   (groups: ' +
        `${GROUPS.map((g) => g.name).join(', ')})\n`,
    );
    return 0;
  }
  if (args.includes('--list')) {
    for (const g of GROUPS) process.stdout.write(`${g.name}: ${g.what}\n  mutates ${g.mutate.join(', ')}\n  tests   ${g.tests.join(', ')}\n`);
    return 0;
  }
  const force = args.includes('--force');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`mutate: no group named ${unknown.join(', ')} (npm run mutate -- --list)\n`);
    return 1;
  }
  const chosen = args.includes('--report') ? [] : names.length > 0 ? names.map(groupNamed) : GROUPS;

  let failed = false;
  await mkdir(join(ROOT, 'reports/mutation'), { recursive: true });
  for (const [i, group] of chosen.entries()) {
    say(`group ${i + 1}/${chosen.length}: ${group.name} (${group.mutate.length} modules, ${group.tests.length} test files)`);
    const started = Date.now();
    const code = await stryker(group.name, force);
    const seconds = Math.round((Date.now() - started) / 1000);
    if (code !== 0) {
      say(`${group.name}: stryker exited ${code} after ${seconds} s`);
      failed = true;
      continue;
    }
    await writeFile(
      join(ROOT, `reports/mutation/${group.name}.run.json`),
      `${JSON.stringify({ date: new Date().toISOString(), seconds, concurrency: Number(process.env.STRATA_MUTATE_CONCURRENCY ?? 1), force })}\n`,
    );
    say(`${group.name}: done in ${seconds} s`);
  }
  const unexplained = await writeReport(ROOT);
  if (unexplained > 0) say(`${unexplained} surviving mutants have neither a test that kills them nor a reason in bench/mutate/accepted.json`);
  return failed || unexplained > 0 ? 1 : 0;
}

process.exitCode = await main();
