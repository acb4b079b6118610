import type { Kysely } from 'kysely';
import { type ColumnInfo, introspect, quoteIdent as q, StrataError } from '../db/index.js';
import { fitName, notNullCheck, SHADOW_PREFIX, shadowColumn, syncTrigger, versionSchema } from './names.js';
import type { Migration, Operation } from './operations.js';
import { columnsOf, loadParser, rewriteColumns } from './parser.js';
import type { Plan, Step } from './steps.js';
import { renderSyncFunction, renderSyncTrigger } from './sync.js';
import { columnOf, createdTable, livePredicate, loadTable, physicalOf, rel, type TableWork, tableView } from './table-work.js';

/** Steps gathered per phase and per kind, laid out in a fixed order once every operation is seen. */
interface Draft {
  readonly expand: Step[];
  /** NOT NULL checks (NOT VALID) on columns the sync trigger fills: added once the trigger runs, else an old version's write between the two is refused; and foreign keys (NOT VALID) on backfilled columns, after the backfill. */
  readonly guards: Step[];
  readonly validate: Step[];
  readonly indexes: Step[];
  readonly contract: Map<string, string[]>;
  readonly contractRenames: Map<string, { schema: string; table: string; from: string; to: string }[]>;
  readonly contractLate: Step[];
  readonly contractIndexes: Step[];
  readonly undo: Step[];
  readonly undoIndexes: Step[];
}

const ddl = (description: string, statements: string[], extra: Partial<Extract<Step, { kind: 'ddl' }>> = {}): Step => ({
  kind: 'ddl',
  description,
  statements,
  ...extra,
});

const createIndex = (work: TableWork, name: string, statement: string): Step => ({
  kind: 'concurrent',
  description: `create index ${name}`,
  statement,
  index: { schema: work.schema, table: work.base, name },
});

const dropIndex = (schema: string, table: string, name: string): Step => ({
  kind: 'concurrent',
  description: `drop index ${name}`,
  statement: `DROP INDEX CONCURRENTLY IF EXISTS ${rel(schema, name)}`,
  index: { schema, table, name },
  drop: true,
});

function columnSql(c: { name: string; type: string; nullable?: boolean; default?: string; primaryKey?: boolean; unique?: boolean; check?: string }): string {
  return [
    q(c.name),
    c.type,
    c.primaryKey ? 'PRIMARY KEY' : '',
    c.nullable === false && !c.primaryKey ? 'NOT NULL' : '',
    c.default !== undefined ? `DEFAULT ${c.default}` : '',
    c.unique ? 'UNIQUE' : '',
    c.check ? `CHECK (${c.check})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

class Planner<DB> {
  private readonly tables = new Map<string, TableWork>();
  readonly draft: Draft = {
    expand: [],
    guards: [],
    validate: [],
    indexes: [],
    contract: new Map(),
    contractRenames: new Map(),
    contractLate: [],
    contractIndexes: [],
    undo: [],
    undoIndexes: [],
  };

  constructor(
    private readonly db: Kysely<DB>,
    readonly schema: string,
    readonly name: string,
  ) {}

  async table(name: string): Promise<TableWork> {
    let work = this.tables.get(name);
    if (!work) {
      work = await loadTable(this.db, this.schema, name);
      this.tables.set(name, work);
    }
    if (work.hidden) throw new StrataError('MIGRATION_INVALID', `${name} is dropped by this migration`);
    return work;
  }

  get works(): TableWork[] {
    return [...this.tables.values()];
  }

  private contract(work: TableWork, statement: string): void {
    const list = this.draft.contract.get(work.table) ?? [];
    list.push(statement);
    this.draft.contract.set(work.table, list);
  }

  private base(work: TableWork): string {
    return rel(work.schema, work.base);
  }

  private notNullViaCheck(work: TableWork, column: string, finalName: string): void {
    const check = notNullCheck(work.base, finalName);
    const base = this.base(work);
    this.draft.guards.push(
      ddl(`NOT NULL on ${work.table}.${finalName}, not yet validated`, [
        `ALTER TABLE ${base} ADD CONSTRAINT ${q(check)} CHECK (${q(column)} IS NOT NULL) NOT VALID`,
      ]),
    );
    this.draft.validate.push(ddl(`validate NOT NULL on ${work.table}.${finalName}`, [`ALTER TABLE ${base} VALIDATE CONSTRAINT ${q(check)}`], { long: true }));
    this.contract(work, `ALTER TABLE ${base} ALTER COLUMN ${q(finalName)} SET NOT NULL`);
    this.contract(work, `ALTER TABLE ${base} DROP CONSTRAINT IF EXISTS ${q(check)}`);
    this.draft.undo.push(ddl(`drop the NOT NULL check on ${work.table}.${finalName}`, [`ALTER TABLE ${base} DROP CONSTRAINT IF EXISTS ${q(check)}`]));
  }

  async apply(op: Operation): Promise<void> {
    switch (op.op) {
      case 'create_table':
        return this.createTable(op);
      case 'drop_table': {
        const work = await this.table(op.table);
        work.hidden = true;
        if (work.softDelete)
          throw new StrataError('MIGRATION_INVALID', `${op.table} has soft deletes: drop_table of a soft-delete table is not supported; drop it with raw SQL`);
        this.draft.contractLate.push(ddl(`drop table ${op.table}`, [`DROP TABLE IF EXISTS ${this.base(work)}`]));
        return;
      }
      case 'rename_table': {
        const work = await this.table(op.from);
        if (work.softDelete) throw new StrataError('MIGRATION_INVALID', `${op.from} has soft deletes: renaming it is not supported`);
        work.viewName = op.to;
        this.draft.contractLate.push(ddl(`rename table ${op.from} to ${op.to}`, [`ALTER TABLE ${this.base(work)} RENAME TO ${q(op.to)}`]));
        return;
      }
      case 'add_column':
        return this.addColumn(op);
      case 'drop_column':
        return this.dropColumn(op);
      case 'rename_column': {
        const work = await this.table(op.table);
        if (op.from === work.key) throw new StrataError('MIGRATION_INVALID', `${op.table}.${op.from} is the primary key: a key is never renamed`);
        columnOf(work, op.from);
        if (physicalOf(work, op.to)) throw new StrataError('MIGRATION_INVALID', `${op.table} already has a column ${op.to}`);
        work.shownAs.set(op.from, op.to);
        this.contract(work, `ALTER TABLE ${this.base(work)} RENAME COLUMN ${q(op.from)} TO ${q(op.to)}`);
        const renames = this.draft.contractRenames.get(work.table) ?? [];
        renames.push({ schema: work.schema, table: work.table, from: op.from, to: op.to });
        this.draft.contractRenames.set(work.table, renames);
        return;
      }
      case 'alter_column':
        return this.alterColumn(op);
      case 'set_not_null': {
        const work = await this.table(op.table);
        const column = columnOf(work, op.column);
        if (!column.nullable) throw new StrataError('MIGRATION_INVALID', `${op.table}.${op.column} is already NOT NULL`);
        if (op.up) {
          work.sync.push({ direction: 'fill', target: op.column, expression: op.up, reads: columnsOf(op.up), newOnly: [] });
          work.backfill.push({ column: op.column, expression: `coalesce(${q(op.column)}, ${op.up})` });
        }
        this.notNullViaCheck(work, op.column, op.column);
        return;
      }
      case 'drop_not_null': {
        const work = await this.table(op.table);
        columnOf(work, op.column);
        this.draft.expand.push(ddl(`drop NOT NULL on ${op.table}.${op.column}`, [`ALTER TABLE ${this.base(work)} ALTER COLUMN ${q(op.column)} DROP NOT NULL`]));
        return;
      }
      case 'set_default': {
        const work = await this.table(op.table);
        const column = columnOf(work, op.column);
        const set = (d: string | null) => `ALTER TABLE ${this.base(work)} ALTER COLUMN ${q(op.column)} ${d === null ? 'DROP DEFAULT' : `SET DEFAULT ${d}`}`;
        this.draft.expand.push(ddl(`default of ${op.table}.${op.column}`, [set(op.default)]));
        this.draft.undo.push(ddl(`restore the default of ${op.table}.${op.column}`, [set(column.defaultExpression)]));
        return;
      }
      case 'add_check': {
        const work = await this.table(op.table);
        const base = this.base(work);
        this.draft.expand.push(
          ddl(`check ${op.name}, not yet validated`, [`ALTER TABLE ${base} ADD CONSTRAINT ${q(op.name)} CHECK (${op.expression}) NOT VALID`]),
        );
        this.draft.validate.push(ddl(`validate check ${op.name}`, [`ALTER TABLE ${base} VALIDATE CONSTRAINT ${q(op.name)}`], { long: true }));
        this.draft.undo.push(ddl(`drop check ${op.name}`, [`ALTER TABLE ${base} DROP CONSTRAINT IF EXISTS ${q(op.name)}`]));
        return;
      }
      case 'add_unique': {
        const work = await this.table(op.table);
        const where = livePredicate(work);
        const cols = op.columns.map((c) => q(c)).join(', ');
        this.draft.indexes.push(
          createIndex(work, op.name, `CREATE UNIQUE INDEX CONCURRENTLY ${q(op.name)} ON ${this.base(work)} (${cols})${where ? ` WHERE ${where}` : ''}`),
        );
        if (!work.softDelete) this.contract(work, `ALTER TABLE ${this.base(work)} ADD CONSTRAINT ${q(op.name)} UNIQUE USING INDEX ${q(op.name)}`);
        this.draft.undoIndexes.push(dropIndex(work.schema, work.base, op.name));
        return;
      }
      case 'add_foreign_key': {
        const work = await this.table(op.table);
        const target = await this.table(op.references.table);
        const base = this.base(work);
        const onDelete = op.onDelete ? ` ON DELETE ${op.onDelete.toUpperCase()}` : '';
        this.draft.expand.push(
          ddl(`foreign key ${op.name}, not yet validated`, [
            `ALTER TABLE ${base} ADD CONSTRAINT ${q(op.name)} FOREIGN KEY (${op.columns.map((c) => q(c)).join(', ')}) REFERENCES ${this.base(target)} (${op.references.columns.map((c) => q(c)).join(', ')})${onDelete} NOT VALID`,
          ]),
        );
        this.draft.validate.push(ddl(`validate foreign key ${op.name}`, [`ALTER TABLE ${base} VALIDATE CONSTRAINT ${q(op.name)}`], { long: true }));
        this.draft.undo.push(ddl(`drop foreign key ${op.name}`, [`ALTER TABLE ${base} DROP CONSTRAINT IF EXISTS ${q(op.name)}`]));
        return;
      }
      case 'drop_constraint': {
        const work = await this.table(op.table);
        this.contract(work, `ALTER TABLE ${this.base(work)} DROP CONSTRAINT IF EXISTS ${q(op.name)}`);
        return;
      }
      case 'create_index': {
        const work = await this.table(op.table);
        const where = livePredicate(work, op.where);
        const statement = `CREATE ${op.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${q(op.name)} ON ${this.base(work)}${op.method ? ` USING ${op.method}` : ''} (${op.columns.map((c) => q(c)).join(', ')})${where ? ` WHERE ${where}` : ''}`;
        this.draft.indexes.push(createIndex(work, op.name, statement));
        this.draft.undoIndexes.push(dropIndex(work.schema, work.base, op.name));
        return;
      }
      case 'drop_index': {
        const work = await this.table(op.table);
        this.draft.contractIndexes.push(dropIndex(work.schema, work.base, op.name));
        return;
      }
      case 'sql':
        this.draft.expand.push(ddl('raw SQL', [op.up]));
        if (op.down) this.draft.undo.push(ddl('raw SQL (down)', [op.down]));
        if (op.complete) this.draft.contractLate.push(ddl('raw SQL (complete)', [op.complete]));
        return;
    }
  }

  private createTable(op: Extract<Operation, { op: 'create_table' }>): void {
    if (this.tables.has(op.table)) throw new StrataError('MIGRATION_INVALID', `${op.table} is already used by this migration`);
    const columns: ColumnInfo[] = op.columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.nullable !== false && !c.primaryKey,
      hasDefault: c.default !== undefined,
      defaultExpression: c.default ?? null,
      identity: false,
      generated: false,
    }));
    const key = op.columns.filter((c) => c.primaryKey);
    this.tables.set(op.table, createdTable(this.schema, op.table, columns, key.length === 1 ? key[0]?.name : undefined));
    const fks = op.columns
      .filter((c) => c.references)
      .map(
        (c) =>
          `FOREIGN KEY (${q(c.name)}) REFERENCES ${q(c.references?.table ?? '')} (${q(c.references?.column ?? '')})${c.references?.onDelete ? ` ON DELETE ${c.references.onDelete.toUpperCase()}` : ''}`,
      );
    const body = [...op.columns.map((c) => columnSql(c)), ...fks].join(', ');
    this.draft.expand.push(ddl(`create table ${op.table}`, [`CREATE TABLE ${rel(this.schema, op.table)} (${body})`]));
    this.draft.undo.push(ddl(`drop table ${op.table}`, [`DROP TABLE IF EXISTS ${rel(this.schema, op.table)}`]));
  }

  private async addColumn(op: Extract<Operation, { op: 'add_column' }>): Promise<void> {
    const work = await this.table(op.table);
    const c = op.column;
    if (physicalOf(work, c.name) || work.columns.some((x) => x.name === c.name))
      throw new StrataError('MIGRATION_INVALID', `${op.table} already has a column ${c.name}`);
    if (c.primaryKey) throw new StrataError('MIGRATION_INVALID', `add_column ${c.name}: a primary key is not added to a live table`);
    const notNull = c.nullable === false;
    if (notNull && c.default === undefined && !op.up && !work.created) {
      throw new StrataError('MIGRATION_INVALID', `add_column ${op.table}.${c.name} is NOT NULL: give it a default or an up expression for existing rows`);
    }
    const base = this.base(work);
    // With `up`, the physical default waits for complete: a NULL then marks a row the previous version wrote.
    const physicalDefault = op.up ? undefined : c.default;
    this.draft.expand.push(
      ddl(`add column ${op.table}.${c.name}`, [
        `ALTER TABLE ${base} ADD COLUMN IF NOT EXISTS ${columnSql({ name: c.name, type: c.type, ...(physicalDefault !== undefined ? { default: physicalDefault } : {}) })}`,
      ]),
    );
    work.columns.push({
      name: c.name,
      type: c.type,
      nullable: true,
      hasDefault: physicalDefault !== undefined,
      defaultExpression: physicalDefault ?? null,
      identity: false,
      generated: false,
    });
    work.newOnly.add(c.name);
    if (op.up) {
      work.sync.push({ direction: 'up', target: c.name, expression: op.up, reads: columnsOf(op.up), newOnly: [] });
      work.backfill.push({ column: c.name, expression: op.up });
      if (c.default !== undefined) {
        work.viewDefaults.set(c.name, c.default);
        this.contract(work, `ALTER TABLE ${base} ALTER COLUMN ${q(c.name)} SET DEFAULT ${c.default}`);
      }
    }
    if (notNull) this.notNullViaCheck(work, c.name, c.name);
    if (c.check) {
      const name = fitName(`${work.base}_${c.name}_check`);
      this.draft.expand.push(
        ddl(`check on ${op.table}.${c.name}, not yet validated`, [`ALTER TABLE ${base} ADD CONSTRAINT ${q(name)} CHECK (${c.check}) NOT VALID`]),
      );
      this.draft.validate.push(ddl(`validate check on ${op.table}.${c.name}`, [`ALTER TABLE ${base} VALIDATE CONSTRAINT ${q(name)}`], { long: true }));
    }
    if (c.unique) {
      const name = fitName(`${work.base}_${c.name}_key`);
      const where = livePredicate(work);
      this.draft.indexes.push(
        createIndex(work, name, `CREATE UNIQUE INDEX CONCURRENTLY ${q(name)} ON ${base} (${q(c.name)})${where ? ` WHERE ${where}` : ''}`),
      );
    }
    if (c.references) {
      const target = await this.table(c.references.table);
      const name = fitName(`${work.base}_${c.name}_fkey`);
      const onDelete = c.references.onDelete ? ` ON DELETE ${c.references.onDelete.toUpperCase()}` : '';
      // A column the backfill fills gets its key after the backfill (with the NOT NULL checks): else every
      // backfilled row runs the key's check (a lookup and a row lock in the referenced table), which
      // measured 2.3x the UPDATE's cost. VALIDATE still checks every row written before the key.
      (op.up ? this.draft.guards : this.draft.expand).push(
        ddl(`foreign key on ${op.table}.${c.name}, not yet validated`, [
          `ALTER TABLE ${base} ADD CONSTRAINT ${q(name)} FOREIGN KEY (${q(c.name)}) REFERENCES ${this.base(target)} (${q(c.references.column)})${onDelete} NOT VALID`,
        ]),
      );
      this.draft.validate.push(ddl(`validate foreign key on ${op.table}.${c.name}`, [`ALTER TABLE ${base} VALIDATE CONSTRAINT ${q(name)}`], { long: true }));
    }
    this.draft.undo.push(ddl(`drop column ${op.table}.${c.name}`, [`ALTER TABLE ${base} DROP COLUMN IF EXISTS ${q(c.name)}`], this.softDeleteWrap(work)));
  }

  private softDeleteWrap(work: TableWork): Partial<Extract<Step, { kind: 'ddl' }>> {
    return work.softDelete ? { softDelete: { schema: work.schema, table: work.table } } : {};
  }

  private async dropColumn(op: Extract<Operation, { op: 'drop_column' }>): Promise<void> {
    const work = await this.table(op.table);
    const column = columnOf(work, op.column);
    if (op.column === work.key) throw new StrataError('MIGRATION_INVALID', `${op.table}.${op.column} is the primary key`);
    if (!column.nullable && !column.hasDefault && !op.down) {
      throw new StrataError(
        'MIGRATION_INVALID',
        `drop_column ${op.table}.${op.column} is NOT NULL without a default: give a down expression for rows the new version inserts`,
      );
    }
    work.hiddenColumns.add(op.column);
    if (op.down) this.pendingDown.push({ work, target: op.column, expression: op.down });
    this.contract(work, `ALTER TABLE ${this.base(work)} DROP COLUMN IF EXISTS ${q(op.column)}`);
  }

  /** `down` expressions name the new version's columns: resolved once every operation is seen. */
  private readonly pendingDown: { work: TableWork; target: string; expression: string }[] = [];

  private async alterColumn(op: Extract<Operation, { op: 'alter_column' }>): Promise<void> {
    const work = await this.table(op.table);
    const column = columnOf(work, op.column);
    if (op.column === work.key) throw new StrataError('MIGRATION_INVALID', `${op.table}.${op.column} is the primary key: its type is not changed online`);
    if (column.identity || column.generated) throw new StrataError('MIGRATION_INVALID', `${op.table}.${op.column} is an identity or generated column`);
    const catalog = introspect(this.db);
    const fks = (await catalog.foreignKeys(work.schema, work.base)).filter((f) => f.columns.includes(op.column));
    if (fks.length > 0) throw new StrataError('MIGRATION_INVALID', `${op.table}.${op.column} is in foreign key ${fks[0]?.name}: drop it, alter, add it again`);
    const shadow = shadowColumn(op.column);
    const finalName = op.rename ?? op.column;
    if (op.rename && physicalOf(work, op.rename)) throw new StrataError('MIGRATION_INVALID', `${op.table} already has a column ${op.rename}`);
    const base = this.base(work);
    const up = op.up ?? `CAST(${q(op.column)} AS ${op.type})`;
    this.draft.expand.push(
      ddl(`shadow column for ${op.table}.${op.column} (${op.type})`, [`ALTER TABLE ${base} ADD COLUMN IF NOT EXISTS ${q(shadow)} ${op.type}`]),
    );
    work.columns.push({ name: shadow, type: op.type, nullable: true, hasDefault: false, defaultExpression: null, identity: false, generated: false });
    work.hiddenColumns.add(op.column);
    work.shownAs.set(shadow, finalName);
    work.newOnly.add(shadow);
    work.sync.push({ direction: 'up', target: shadow, expression: up, reads: columnsOf(up), newOnly: [] });
    this.pendingDown.push({ work, target: op.column, expression: op.down ?? `CAST(${q(finalName)} AS ${column.type})` });
    work.backfill.push({ column: shadow, expression: up });
    if (column.defaultExpression !== null) {
      work.viewDefaults.set(finalName, column.defaultExpression);
      this.contract(work, `ALTER TABLE ${base} ALTER COLUMN ${q(finalName)} SET DEFAULT ${column.defaultExpression}`);
    }
    if (!column.nullable) this.notNullViaCheck(work, shadow, finalName);
    const toShadow = (expression: string) => rewriteColumns(expression, (n) => (n === op.column ? q(shadow) : undefined));
    for (const check of await catalog.checkConstraints(work.schema, work.base)) {
      if (!check.columns.includes(op.column) || check.name.startsWith(SHADOW_PREFIX)) continue;
      const name = fitName(`${SHADOW_PREFIX}${check.name}`);
      this.draft.expand.push(
        ddl(`check ${check.name} on the shadow column, not yet validated`, [
          `ALTER TABLE ${base} ADD CONSTRAINT ${q(name)} CHECK (${toShadow(check.expression)}) NOT VALID`,
        ]),
      );
      this.draft.validate.push(
        ddl(`validate check ${check.name} on the shadow column`, [`ALTER TABLE ${base} VALIDATE CONSTRAINT ${q(name)}`], { long: true }),
      );
      this.contract(work, `ALTER TABLE ${base} RENAME CONSTRAINT ${q(name)} TO ${q(check.name)}`);
    }
    for (const index of await catalog.indexes(work.schema, work.base)) {
      const uses = index.columns.includes(op.column) || (index.predicate !== null && columnsOf(index.predicate).includes(op.column));
      if (!uses) continue;
      if (index.expressions || !index.definition)
        throw new StrataError('MIGRATION_INVALID', `index ${index.name} uses ${op.column} in an expression: drop it first`);
      const name = fitName(`${SHADOW_PREFIX}${index.name}`);
      const method = /\sUSING\s+(\w+)\s/.exec(index.definition)?.[1] ?? 'btree';
      const cols = index.columns.map((c) => q(c === op.column ? shadow : c)).join(', ');
      const where = index.predicate ? ` WHERE ${toShadow(index.predicate)}` : '';
      this.draft.indexes.push(
        createIndex(work, name, `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${q(name)} ON ${base} USING ${method} (${cols})${where}`),
      );
      this.draft.undoIndexes.push(dropIndex(work.schema, work.base, name));
      if (index.constraintType === 'unique')
        this.contract(work, `ALTER TABLE ${base} ADD CONSTRAINT ${q(index.constraint ?? index.name)} UNIQUE USING INDEX ${q(name)}`);
      else this.contract(work, `ALTER INDEX ${rel(work.schema, name)} RENAME TO ${q(index.name)}`);
    }
    this.contractColumnSwap.push({ work, column: op.column, shadow, finalName });
    this.draft.undo.push(
      ddl(`drop the shadow column of ${op.table}.${op.column}`, [`ALTER TABLE ${base} DROP COLUMN IF EXISTS ${q(shadow)}`], this.softDeleteWrap(work)),
    );
  }

  /** Old column dropped and shadow renamed in place: first in a table's contract transaction. */
  private readonly contractColumnSwap: { work: TableWork; column: string; shadow: string; finalName: string }[] = [];

  /** Resolves `down` expressions, lays out sync triggers, backfills and every phase's steps. */
  finish(previous: string | undefined): Plan {
    for (const down of this.pendingDown) {
      const { work } = down;
      const reads = columnsOf(down.expression);
      const physical = reads.map((name) => {
        const found = physicalOf(work, name);
        if (!found)
          throw new StrataError('MIGRATION_INVALID', `down expression of ${work.table}.${down.target} reads ${name}, which the new version does not have`);
        return found;
      });
      const expression = rewriteColumns(down.expression, (name) => {
        const found = physicalOf(work, name);
        return found ? q(found) : undefined;
      });
      work.sync.push({ direction: 'down', target: down.target, expression, reads: physical, newOnly: physical.filter((p) => work.newOnly.has(p)) });
    }
    const version = versionSchema(this.schema, this.name);
    const start: Step[] = [...this.draft.expand];
    const complete: Step[] = [];
    const rollback: Step[] = [ddl(`drop version schema ${version}`, [`DROP SCHEMA IF EXISTS ${q(version)} CASCADE`])];
    if (previous) complete.push(ddl(`drop the previous version schema ${previous}`, [`DROP SCHEMA IF EXISTS ${q(previous)} CASCADE`]));
    for (const work of this.works) {
      const trigger = syncTrigger(this.name, work.base);
      const dropSync = [`DROP TRIGGER IF EXISTS ${q(trigger)} ON ${this.base(work)}`, `DROP FUNCTION IF EXISTS ${rel(work.schema, trigger)}()`];
      if (work.sync.length > 0 && !work.created) {
        start.push(
          ddl(`sync trigger on ${work.base}`, [renderSyncFunction(work.schema, trigger, work.sync), ...renderSyncTrigger(work.schema, work.base, trigger)]),
        );
        rollback.push(ddl(`drop the sync trigger on ${work.base}`, dropSync));
      }
      if (work.backfill.length > 0 && !work.created) {
        if (!work.key) throw new StrataError('MIGRATION_INVALID', `${work.table} needs a single-column primary key to be backfilled`);
        start.push({
          kind: 'backfill',
          description: `backfill ${work.base}`,
          schema: work.schema,
          table: work.base,
          key: work.key,
          assignments: work.backfill,
        });
      }
      const swap = this.contractColumnSwap
        .filter((s) => s.work === work)
        .flatMap((s) => [
          `ALTER TABLE ${this.base(work)} DROP COLUMN IF EXISTS ${q(s.column)}`,
          `ALTER TABLE ${this.base(work)} RENAME COLUMN ${q(s.shadow)} TO ${q(s.finalName)}`,
        ]);
      const statements = [...(work.sync.length > 0 && !work.created ? dropSync : []), ...swap, ...(this.draft.contract.get(work.table) ?? [])];
      const renames = [
        ...(this.draft.contractRenames.get(work.table) ?? []),
        ...this.contractColumnSwap
          .filter((s) => s.work === work && s.finalName !== s.column)
          .map((s) => ({ schema: work.schema, table: work.table, from: s.column, to: s.finalName })),
      ];
      if (statements.length > 0) {
        complete.push(
          ddl(`contract ${work.table}`, statements, {
            ...this.softDeleteWrap(work),
            ...(renames.length > 0 ? { renames } : {}),
            ...(!work.created ? { refreshHistory: [{ schema: work.schema, table: work.table }] } : {}),
          }),
        );
      }
    }
    start.push(...this.draft.guards, ...this.draft.validate, ...this.draft.indexes);
    start.push({ kind: 'views', description: `publish version schema ${version}`, schema: this.schema, version, tables: this.works.map(tableView) });
    complete.push(...this.draft.contractLate, ...this.draft.contractIndexes);
    complete.push({ kind: 'views', description: `refresh version schema ${version}`, schema: this.schema, version, tables: [] });
    rollback.push(...[...this.draft.undoIndexes].reverse(), ...[...this.draft.undo].reverse());
    return { schema: this.schema, version, start, complete, rollback };
  }
}

/**
 * Lays out a declarative migration's steps for each phase from the catalog as it is before the
 * migration starts. Pure apart from catalog reads; nothing is changed.
 *
 * @example
 * const plan = await planMigration(db, '0006_stock_bigint', migration, '0005_previous');
 */
export async function planMigration<DB>(db: Kysely<DB>, name: string, migration: Migration, previous?: string): Promise<Plan> {
  await loadParser();
  const schema = migration.schema ?? 'public';
  const planner = new Planner(db, schema, name);
  for (const op of migration.operations) await planner.apply(op);
  return planner.finish(previous ? versionSchema(schema, previous) : undefined);
}
