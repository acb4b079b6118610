import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUICK } from './measure.js';

export type Cell = number | string;

export interface BenchReport {
  /** File name under bench/results/ (without extension). */
  readonly name: string;
  readonly title: string;
  /** Column keys in display order; the first is the row label. */
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, Cell>>[];
  /** Acceptance checks: a sentence and whether it held. */
  readonly checks: readonly { readonly claim: string; readonly holds: boolean }[];
  readonly notes: readonly string[];
  readonly database: string;
  /** More tables, each under its own heading after the first. */
  readonly tables?: readonly ReportTable[];
}

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, Cell>>[];
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}-${process.arch}`;
}

function format(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (Number.isInteger(cell)) return cell.toLocaleString('en-US');
  return cell.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function table(report: Pick<ReportTable, 'columns' | 'rows'>): string {
  const head = `| ${report.columns.join(' | ')} |`;
  const rule = `| ${report.columns.map(() => '---').join(' | ')} |`;
  const body = report.rows.map((row) => `| ${report.columns.map((c) => format(row[c] ?? '')).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

/** Prints the table and writes bench/results/<name>.md and .json with machine and date. */
export async function publish(report: BenchReport): Promise<void> {
  const date = new Date().toISOString();
  const md = [
    `# ${report.title}`,
    '',
    `Date: ${date}  `,
    `Machine: ${machine()}  `,
    `Database: ${report.database}`,
    '',
    table(report),
    '',
    ...(report.tables ?? []).flatMap((t) => [`## ${t.title}`, '', table(t), '']),
    ...(report.checks.length ? ['## Checks', '', ...report.checks.map((c) => `- [${c.holds ? 'x' : ' '}] ${c.claim}`), ''] : []),
    ...(report.notes.length ? ['## Notes', '', ...report.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
  // A quick run checks that the benchmark works; its figures never replace the committed results.
  const dir = QUICK ? join(tmpdir(), 'strata-bench-quick') : fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${report.name}.md`), md);
  await writeFile(join(dir, `${report.name}.json`), `${JSON.stringify({ ...report, date, machine: machine() }, null, 2)}\n`);
  process.stdout.write(`${md}\nwrote ${join(dir, report.name)}.md and .json${QUICK ? ' (STRATA_BENCH_QUICK: not bench/results/)' : ''}\n`);
}
