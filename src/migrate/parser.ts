import { setFlagsFromString } from 'node:v8';
import { StrataError } from '../db/index.js';

type PgQuery = typeof import('libpg-query');

let loaded: Promise<PgQuery> | undefined;
let parser: PgQuery | undefined;

/**
 * PostgreSQL's own parser (libpg_query, compiled to WebAssembly), loaded once per process, on first
 * use: a process that has no migration to plan or lint (a service restarting on an up-to-date
 * schema) never compiles it.
 *
 * Its module is compiled by V8's baseline compiler only (Liftoff): with the default tier-up, the
 * functions a migration run makes hot were compiled again by the optimizing compiler in the
 * background, which kept about 30 MiB resident for the rest of the process (measured: `strata
 * serve` applying the service's migrations; docs/decisions.md). Parsing a migration takes
 * milliseconds either way. The flag is set while the module compiles (libpg-query starts compiling
 * when it is imported) and put back afterwards, so no other WebAssembly is affected.
 */
export async function loadParser(): Promise<void> {
  loaded ??= (async () => {
    setFlagsFromString('--liftoff-only');
    try {
      const lib = await import('libpg-query');
      await lib.loadModule();
      return lib;
    } finally {
      setFlagsFromString('--no-liftoff-only');
    }
  })();
  parser = await loaded;
}

function loadedParser(): PgQuery {
  if (!parser) throw new Error('the SQL parser is not loaded: await loadParser() first');
  return parser;
}

/** The statements of a SQL text as libpg_query's JSON parse trees; a syntax error is MIGRATION_INVALID. */
export function parseStatements(text: string): { stmt: Record<string, unknown>; location: number; length: number }[] {
  try {
    const result = loadedParser().parseSync(text) as unknown as { stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
    return (result.stmts ?? []).map((s) => ({ stmt: s.stmt, location: s.stmt_location ?? 0, length: s.stmt_len ?? text.length - (s.stmt_location ?? 0) }));
  } catch (err) {
    throw new StrataError('MIGRATION_INVALID', `SQL does not parse: ${(err as Error).message.split('\n')[0]}`, {}, { cause: err });
  }
}

/** Every node of a parse tree, depth first, with its type name (`ColumnRef`, `AlterTableCmd`, …). */
export function* walk(node: unknown): Generator<{ type: string; value: Record<string, unknown> }> {
  if (Array.isArray(node)) {
    for (const item of node) yield* walk(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (/^[A-Z]/.test(key) && value !== null && typeof value === 'object' && !Array.isArray(value))
      yield { type: key, value: value as Record<string, unknown> };
    yield* walk(value);
  }
}

interface ColumnUse {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The unqualified column references of a SQL expression, with their text spans. */
function columnUses(expression: string): ColumnUse[] {
  const prefix = 'SELECT ';
  const statements = parseStatements(`${prefix}${expression}`);
  if (statements.length !== 1) throw new StrataError('MIGRATION_INVALID', `not one expression: ${expression}`);
  const tokens = loadedParser().scanSync(`${prefix}${expression}`).tokens;
  const uses: ColumnUse[] = [];
  for (const node of walk(statements[0]?.stmt)) {
    if (node.type !== 'ColumnRef') continue;
    const fields = node.value.fields as { String?: { sval: string } }[];
    if (fields.length !== 1 || !fields[0]?.String) continue;
    const location = node.value.location as number;
    const token = tokens.find((t) => t.start === location);
    if (!token) continue;
    uses.push({ name: fields[0].String.sval, start: token.start - prefix.length, end: token.end - prefix.length });
  }
  return uses.sort((a, b) => a.start - b.start);
}

/** The column names an expression reads (unqualified references). */
export function columnsOf(expression: string): string[] {
  return [...new Set(columnUses(expression).map((u) => u.name))];
}

/** The expression with each column reference replaced by `render(name)` (names it does not know are left as they are). */
export function rewriteColumns(expression: string, render: (name: string) => string | undefined): string {
  let out = '';
  let at = 0;
  for (const use of columnUses(expression)) {
    const replacement = render(use.name);
    if (replacement === undefined) continue;
    out += expression.slice(at, use.start) + replacement;
    at = use.end;
  }
  return out + expression.slice(at);
}
