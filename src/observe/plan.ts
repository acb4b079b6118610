/** One node of a PostgreSQL EXPLAIN (FORMAT JSON) plan, as far as strata reads it. */
export interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Total Cost'?: number;
  readonly 'Plan Rows'?: number;
  readonly 'Actual Total Time'?: number;
  readonly 'Actual Rows'?: number;
  readonly 'Actual Loops'?: number;
  readonly Plans?: readonly PlanNode[];
  readonly [field: string]: unknown;
}

const DETAIL_KEYS = ['Index Cond', 'Filter', 'Hash Cond', 'Join Filter', 'Recheck Cond', 'Sort Key'];

function exclusive(node: PlanNode, analyzed: boolean): number {
  const own = analyzed ? (node['Actual Total Time'] ?? 0) * (node['Actual Loops'] ?? 1) : (node['Total Cost'] ?? 0);
  const children = (node.Plans ?? []).reduce(
    (sum, child) => sum + (analyzed ? (child['Actual Total Time'] ?? 0) * (child['Actual Loops'] ?? 1) : (child['Total Cost'] ?? 0)),
    0,
  );
  return Math.max(0, own - children);
}

/**
 * Renders a JSON plan as an indented tree; nodes that account for at least `threshold` of the
 * total (time when analyzed, else cost) are marked `!!`. Pure: strings in, strings out.
 *
 * @example
 * renderPlan(rows[0]['QUERY PLAN'][0].Plan, true)
 */
export function renderPlan(root: PlanNode, analyzed: boolean, threshold = 0.2): string {
  const total = analyzed ? (root['Actual Total Time'] ?? 0) * (root['Actual Loops'] ?? 1) : (root['Total Cost'] ?? 0);
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    const share = total > 0 ? exclusive(node, analyzed) / total : 0;
    const mark = share >= threshold ? '!! ' : '   ';
    const target = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
    const index = node['Index Name'] ? ` using ${node['Index Name']}` : '';
    const numbers = analyzed
      ? `time=${(node['Actual Total Time'] ?? 0).toFixed(3)} ms rows=${node['Actual Rows'] ?? 0} loops=${node['Actual Loops'] ?? 1}`
      : `cost=${(node['Total Cost'] ?? 0).toFixed(2)} rows=${node['Plan Rows'] ?? 0}`;
    lines.push(
      `${mark}${'  '.repeat(depth)}${node['Node Type']}${target}${index} (${numbers}${share >= threshold ? `, ${Math.round(share * 100)}% of total` : ''})`,
    );
    for (const key of DETAIL_KEYS) {
      const value = node[key];
      if (value !== undefined) lines.push(`   ${'  '.repeat(depth)}  ${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
    }
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(root, 0);
  return lines.join('\n');
}

/**
 * Replaces every parameter value that a plan spells out (PostgreSQL substitutes them in custom
 * plans) by its placeholder, so plans can be logged without the values.
 */
export function scrubPlan<T>(plan: T, parameters: readonly unknown[]): T {
  const needles = parameters
    .map((p, i) => ({
      text: p instanceof Date ? p.toISOString() : typeof p === 'object' && p !== null ? JSON.stringify(p) : String(p),
      placeholder: `$${i + 1}`,
    }))
    .filter((n) => n.text.length > 0)
    .sort((a, b) => b.text.length - a.text.length);
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') {
      let out = value;
      for (const n of needles) {
        out = out.split(`'${n.text.replace(/'/g, "''")}'`).join(n.placeholder);
        if (/^-?\d+(\.\d+)?$/.test(n.text)) out = out.replace(new RegExp(`(?<![\\w.$])${n.text.replace('.', '\\.')}(?![\\w.])`, 'g'), n.placeholder);
      }
      return out;
    }
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k.includes('Cost') || k.includes('Time') || k.includes('Rows') ? v : scrub(v)]));
    return value;
  };
  return scrub(plan) as T;
}
