import { loadParser, parseStatements, walk } from './parser.js';

/** One finding: the rule, the statement, why it hurts a live table and what to write instead. */
export interface LintFinding {
  readonly rule: string;
  /** The statement's text as written. */
  readonly statement: string;
  readonly problem: string;
  readonly safe: string;
}

type Node = Record<string, unknown>;

/** Functions whose DEFAULT makes ADD COLUMN rewrite the table (PostgreSQL 11+ stores a non-volatile default without a rewrite). */
const VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v4',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'uuidv7',
  'uuidv4',
]);

const relName = (relation: unknown) => (relation as { relname?: string } | undefined)?.relname ?? '';

function funcNames(node: unknown): string[] {
  const out: string[] = [];
  for (const n of walk(node)) {
    if (n.type !== 'FuncCall') continue;
    const parts = (n.value.funcname as { String?: { sval: string } }[]).map((p) => p.String?.sval ?? '');
    out.push(parts.at(-1) ?? '');
  }
  return out;
}

/** The column a `CHECK (col IS NOT NULL)` constraint stands for, if it is one. */
function notNullCheckColumn(constraint: Node): string | undefined {
  const test = (constraint.raw_expr as { NullTest?: { arg?: { ColumnRef?: { fields: { String?: { sval: string } }[] } }; nulltesttype?: string } } | undefined)
    ?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = test.arg?.ColumnRef?.fields;
  return fields?.length === 1 ? fields[0]?.String?.sval : undefined;
}

/**
 * Lints SQL for statements that lock or rewrite a live table, with PostgreSQL's own parser
 * (libpg_query): rules in the spirit of squawk and strong_migrations, for PostgreSQL 15+. Tables
 * created in the same text are exempt (nobody uses them yet).
 *
 * @example
 * const findings = await lintSql('CREATE INDEX products_name ON products (name)');
 * // [{ rule: 'require-concurrent-index', … safe: 'CREATE INDEX CONCURRENTLY …' }]
 */
export async function lintSql(text: string): Promise<LintFinding[]> {
  await loadParser();
  const statements = parseStatements(text);
  const created = new Set<string>();
  /** Validated CHECK (col IS NOT NULL) constraints, table → columns. */
  const notNullChecks = new Map<string, Map<string, string>>();
  const validatedColumns = new Set<string>();
  const findings: LintFinding[] = [];
  for (const { stmt, location, length } of statements) {
    const statement = text.slice(location, location + length).trim();
    const flag = (rule: string, problem: string, safe: string) => findings.push({ rule, statement, problem, safe });
    if (stmt.CreateStmt) {
      created.add(relName((stmt.CreateStmt as Node).relation));
      continue;
    }
    if (stmt.IndexStmt) {
      const index = stmt.IndexStmt as Node;
      if (!index.concurrent && !created.has(relName(index.relation))) {
        flag(
          'require-concurrent-index',
          'CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits',
          'CREATE INDEX CONCURRENTLY (outside a transaction block; strata migrate: create_index)',
        );
      }
      continue;
    }
    if (stmt.RenameStmt) {
      // A validated CHECK (col IS NOT NULL) follows its column through a rename (alter_column's shadow swap).
      const rename = stmt.RenameStmt as Node;
      const table = relName(rename.relation);
      if (rename.renameType === 'OBJECT_COLUMN' && validatedColumns.delete(`${table}.${String(rename.subname)}`))
        validatedColumns.add(`${table}.${String(rename.newname)}`);
      continue;
    }
    if (!stmt.AlterTableStmt) continue;
    const alter = stmt.AlterTableStmt as Node;
    const table = relName(alter.relation);
    if (created.has(table)) continue;
    for (const wrapped of alter.cmds as { AlterTableCmd: Node }[]) {
      const cmd = wrapped.AlterTableCmd;
      const def = cmd.def as { Constraint?: Node; ColumnDef?: Node } | undefined;
      switch (cmd.subtype) {
        case 'AT_AlterColumnType':
          flag(
            'alter-column-type',
            'ALTER COLUMN ... TYPE rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock: reads and writes stop until it ends',
            'strata migrate alter_column: a shadow column of the new type, kept in sync by a trigger, backfilled in batches, swapped in at complete',
          );
          break;
        case 'AT_AddConstraint': {
          const c = def?.Constraint;
          if (!c) break;
          if ((c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation) {
            flag(
              'constraint-missing-not-valid',
              `ADD CONSTRAINT ${c.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK'} scans every row while holding a lock that blocks writes`,
              'ADD CONSTRAINT ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in its own transaction (writes continue)',
            );
          }
          if ((c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY') && !c.indexname) {
            flag(
              'unique-constraint-without-index',
              'ADD CONSTRAINT UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock',
              'CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX (strata migrate: add_unique)',
            );
          }
          const column = c.contype === 'CONSTR_CHECK' ? notNullCheckColumn(c) : undefined;
          if (column && typeof c.conname === 'string') {
            const checks = notNullChecks.get(table) ?? new Map<string, string>();
            checks.set(c.conname, column);
            notNullChecks.set(table, checks);
          }
          break;
        }
        case 'AT_ValidateConstraint': {
          const column = notNullChecks.get(table)?.get(String(cmd.name));
          if (column) validatedColumns.add(`${table}.${column}`);
          break;
        }
        case 'AT_SetNotNull':
          if (!validatedColumns.has(`${table}.${String(cmd.name)}`)) {
            flag(
              'set-not-null-without-check',
              'SET NOT NULL scans every row under an ACCESS EXCLUSIVE lock unless a validated CHECK (column IS NOT NULL) proves it',
              'ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (strata migrate: set_not_null)',
            );
          }
          break;
        case 'AT_AddColumn': {
          const column = def?.ColumnDef;
          const defaults = ((column?.constraints as { Constraint: Node }[] | undefined) ?? []).filter((x) => x.Constraint.contype === 'CONSTR_DEFAULT');
          if (defaults.some((d) => funcNames(d.Constraint.raw_expr).some((f) => VOLATILE.has(f.toLowerCase())))) {
            flag(
              'add-column-volatile-default',
              'ADD COLUMN with a volatile DEFAULT rewrites every row under an ACCESS EXCLUSIVE lock',
              'ADD COLUMN without the default, SET DEFAULT for new rows, then backfill existing rows in batches (strata migrate: add_column with up)',
            );
          }
          break;
        }
      }
    }
  }
  return findings;
}

/** The lock a statement takes on its table, in words (for `strata migrate plan`). */
export async function lockOf(statement: string): Promise<string> {
  await loadParser();
  const parsed = parseStatements(statement)[0]?.stmt ?? {};
  const [type] = Object.keys(parsed);
  const node = (type ? parsed[type] : {}) as Node;
  switch (type) {
    case 'IndexStmt':
      return node.concurrent ? 'SHARE UPDATE EXCLUSIVE (writes continue)' : 'SHARE (blocks writes)';
    case 'DropStmt':
      return node.concurrent ? 'SHARE UPDATE EXCLUSIVE (writes continue)' : 'ACCESS EXCLUSIVE on the dropped object';
    case 'AlterTableStmt': {
      const kinds = (node.cmds as { AlterTableCmd: Node }[]).map((c) => c.AlterTableCmd.subtype);
      if (kinds.every((k) => k === 'AT_ValidateConstraint')) return 'SHARE UPDATE EXCLUSIVE (writes continue while it scans)';
      const constraint = (node.cmds as { AlterTableCmd: Node }[])[0]?.AlterTableCmd.def as { Constraint?: Node } | undefined;
      if (kinds.length === 1 && kinds[0] === 'AT_AddConstraint' && constraint?.Constraint?.contype === 'CONSTR_FOREIGN') {
        return 'SHARE ROW EXCLUSIVE on both tables, briefly (NOT VALID: no scan)';
      }
      return 'ACCESS EXCLUSIVE, briefly (catalog only, no rewrite)';
    }
    case 'CreateTrigStmt':
      return 'SHARE ROW EXCLUSIVE, briefly';
    case 'CreateFunctionStmt':
    case 'CreateSchemaStmt':
      return 'none on tables';
    case 'ViewStmt':
      return 'ACCESS SHARE on the tables it reads';
    case 'CreateStmt':
      return 'none on existing tables';
    case 'RenameStmt':
      return 'ACCESS EXCLUSIVE, briefly (catalog only)';
    default:
      return 'see the statement';
  }
}
