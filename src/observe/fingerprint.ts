/**
 * A statement's shape with every literal replaced: `'abc'`, `42`, `$3`, `IN (1, 2, 3)` all become
 * `?`, whitespace collapses and case folds. Two statements that differ only in values share it.
 *
 * @example
 * fingerprint("SELECT * FROM t WHERE id = 42 AND name = 'x'") // 'select * from t where id = ? and name = ?'
 */
export function fingerprint(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)*\s*\)/g, '(?)')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

const OPERATION = /^\s*\/\*\s*strata:op=([A-Za-z0-9_.:-]{1,64})\s*\*\//;

/**
 * Maps statements to a bounded set of metric label values: the caller's operation name
 * (`/* strata:op=name *\/` at the start of the SQL), else the fingerprint (at most 120 characters);
 * after `cap` distinct values every new one is `other`.
 */
export class OperationLabels {
  private readonly labels = new Set<string>();
  private readonly bySql = new Map<string, string>();

  constructor(readonly cap = 100) {}

  label(sql: string): string {
    const cached = this.bySql.get(sql);
    if (cached !== undefined) return cached;
    const named = OPERATION.exec(sql)?.[1];
    const candidate = named ?? fingerprint(sql).slice(0, 120);
    let label = candidate;
    if (!this.labels.has(candidate)) {
      if (this.labels.size >= this.cap) label = 'other';
      else this.labels.add(candidate);
    }
    if (this.bySql.size < 10_000) this.bySql.set(sql, label);
    return label;
  }

  /** Distinct label values handed out so far, at most `cap` (`other` is not counted). */
  get size(): number {
    return this.labels.size;
  }
}
