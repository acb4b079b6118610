import { uuidv7 } from 'uuidv7';
import { checkLedger, fundAccount, type Metadata, type ViolationKind } from '../../ledger/index.js';
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

function parseAmount(value: string): bigint {
  if (!/^\d{1,19}$/.test(value) || BigInt(value) < 1n) throw new Error(`amount must be a whole number of minor units above 0, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

function parseMetadata(value: string | undefined): Metadata | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('--metadata must be a JSON object, e.g. {"reason":"welcome credit"}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('--metadata must be a JSON object, e.g. {"reason":"welcome credit"}');
  return parsed as Metadata;
}

/** `strata ledger fund`: a transfer from the currency's funding account to the account; the transfer as JSON on stdout. */
export function fund(accountId: string, amount: string, opts: { id?: string; metadata?: string }): Promise<void> {
  const value = parseAmount(amount);
  const metadata = parseMetadata(opts.metadata);
  return withDb(async (db) => {
    const id = opts.id ?? uuidv7();
    note(`funding account ${accountId} with ${value} (transfer ${id})`);
    const t = await fundAccount(db, { id, accountId, amount: value, ...(metadata ? { metadata } : {}) });
    say(
      JSON.stringify({
        id: t.id,
        debit_account_id: t.debitAccountId,
        credit_account_id: t.creditAccountId,
        amount: t.amount.toString(),
        currency: t.currency,
        replayed: t.replayed,
        created_at: t.createdAt.toISOString(),
      }),
    );
    note(t.replayed ? `transfer ${t.id} was already applied: nothing applied again` : `funded: ${t.amount} ${t.currency} into ${t.creditAccountId}`);
  });
}
