import { checkLedger, type ViolationKind } from '../../ledger/index.js';
import { withDb } from '../database.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

/** `strata ledger check`: each violation on stdout, then a failure (exit 1) naming how many there are. */
export function check(opts: { limit: number }): Promise<void> {
  return withDb(async (db) => {
    const report = await checkLedger(db, { limit: opts.limit, onProgress: (p) => note(`checking ${p.kind} (${p.done + 1}/${p.total})`) });
    for (const v of report.violations) say(`${v.kind}: ${v.message}`);
    const listed = new Map<ViolationKind, number>();
    for (const v of report.violations) listed.set(v.kind, (listed.get(v.kind) ?? 0) + 1);
    for (const [kind, n] of Object.entries(report.counts) as [ViolationKind, number][]) {
      const more = n - (listed.get(kind) ?? 0);
      if (more > 0) say(`${kind}: ${more} more not listed (--limit ${opts.limit})`);
    }
    const sizes = `${report.accounts} accounts, ${report.transfers} transfers, ${report.entries} entries`;
    if (report.ok) {
      note(`ledger ok: ${sizes}`);
      return;
    }
    const total = Object.values(report.counts).reduce((a, b) => a + b, 0);
    const byKind = (Object.entries(report.counts) as [ViolationKind, number][])
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ');
    throw new Error(`ledger check found ${total} violation${total === 1 ? '' : 's'} (${byKind}) in ${sizes}`);
  });
}
