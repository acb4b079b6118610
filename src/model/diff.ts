import type { Operation } from '../migrate/index.js';
import type { ColumnSpec } from './column.js';
import { renderEnum, renderView } from './ddl.js';
import type { ForeignKeySpec, IndexSpec, TableSpec } from './define.js';
import type { ModelSnapshot } from './snapshot.js';

/** One way the live schema differs from the definitions. */
export interface Difference {
  /** `table`, `table.column`, `table.index`, `enum`, … */
  readonly object: string;
  /** `missing`: defined, not in the database; `extra`: in the database, not defined; `changed`: both, differently. */
  readonly change: 'missing' | 'extra' | 'changed';
  readonly detail: string;
  /** No operation covers it (or it is destructive and was not allowed): a person writes that part. */
  readonly manual: boolean;
}

export interface ModelDiff {
  readonly differences: readonly Difference[];
  /** The migration operations that bring the database to the definitions (online ones only). */
  readonly operations: readonly Operation[];
}

export interface DiffOptions {
  /** Drop tables and columns the definitions no longer have (never guessed: off by default). */
  readonly allowDrop?: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const columnDefinition = (name: string, c: ColumnSpec) => ({
  name,
  type: c.type,
  nullable: c.nullable,
  ...(c.default !== null ? { default: c.default } : {}),
});

const plainKeys = (i: IndexSpec): string[] | undefined => (i.keys.every((k) => typeof k === 'string') ? (i.keys as string[]) : undefined);

class Differ {
  readonly differences: Difference[] = [];
  readonly operations: Operation[] = [];
  constructor(private readonly options: DiffOptions) {}

  note(object: string, change: Difference['change'], detail: string, manual = false): void {
    this.differences.push({ object, change, detail, manual });
  }

  table(want: TableSpec | undefined, have: TableSpec | undefined): void {
    if (want && !have) {
      this.createTable(want);
      return;
    }
    if (!want && have) {
      const drop = this.options.allowDrop === true && !have.softDelete;
      this.note(have.name, 'extra', drop ? 'table dropped (allowed)' : 'table not in the definitions', !drop);
      if (drop) this.operations.push({ op: 'drop_table', table: have.name });
      return;
    }
    if (!want || !have) return;
    const t = want.name;
    if (!same(want.primaryKey, have.primaryKey))
      this.note(t, 'changed', `primary key (${have.primaryKey.join(', ')}) -> (${want.primaryKey.join(', ')})`, true);
    if (want.softDelete !== have.softDelete)
      this.note(t, 'changed', `soft deletes ${want.softDelete ? 'on' : 'off'} in the definitions (strata softdelete enable)`, true);
    if (want.history !== have.history) this.note(t, 'changed', `history ${want.history ? 'on' : 'off'} in the definitions (enableHistory)`, true);
    if (want.comment !== have.comment) {
      this.note(t, 'changed', 'table comment');
      this.comment(`TABLE ${quoted(t)}`, want.comment);
    }
    this.columns(want, have);
    this.indexes(want, have);
    this.checks(want, have);
    this.foreignKeys(want, have);
  }

  private comment(target: string, text: string | null): void {
    this.operations.push({ op: 'sql', up: `COMMENT ON ${target} IS ${text === null ? 'NULL' : `'${text.split("'").join("''")}'`}` });
  }

  private createTable(t: TableSpec): void {
    const manual =
      t.softDelete || t.history || Object.values(t.columns).some((c) => c.generated !== null || c.identity !== null) || t.indexes.some((i) => !plainKeys(i));
    this.note(
      t.name,
      'missing',
      `table not in the database${manual ? ' (soft deletes, history, generated or identity columns and expression indexes need a hand-written step)' : ''}`,
      manual,
    );
    this.operations.push({
      op: 'create_table',
      table: t.name,
      columns: Object.entries(t.columns).map(([name, c]) => ({
        ...columnDefinition(name, c),
        ...(t.primaryKey.length === 1 && t.primaryKey[0] === name ? { primaryKey: true } : {}),
      })),
    });
    for (const [name, expression] of Object.entries(t.checks)) this.operations.push({ op: 'add_check', table: t.name, name, expression });
    for (const i of t.indexes) this.addIndex(t.name, i);
    for (const fk of t.foreignKeys) this.addForeignKey(t.name, fk);
  }

  private columns(want: TableSpec, have: TableSpec): void {
    const t = want.name;
    for (const [name, w] of Object.entries(want.columns)) {
      const h = have.columns[name];
      const object = `${t}.${name}`;
      if (!h) {
        this.note(object, 'missing', `column ${w.type}${w.nullable ? '' : ' NOT NULL'}`, w.generated !== null || w.identity !== null);
        this.operations.push({ op: 'add_column', table: t, column: columnDefinition(name, w) });
        continue;
      }
      if (w.type !== h.type) {
        this.note(object, 'changed', `type ${h.type} -> ${w.type}`);
        this.operations.push({ op: 'alter_column', table: t, column: name, type: w.type });
      }
      if (w.nullable !== h.nullable) {
        this.note(object, 'changed', w.nullable ? 'NOT NULL dropped' : 'NOT NULL added');
        this.operations.push(w.nullable ? { op: 'drop_not_null', table: t, column: name } : { op: 'set_not_null', table: t, column: name });
      }
      if (w.default !== h.default) {
        this.note(object, 'changed', `default ${h.default ?? 'none'} -> ${w.default ?? 'none'}`);
        this.operations.push({ op: 'set_default', table: t, column: name, default: w.default });
      }
      if (w.generated !== h.generated || w.identity !== h.identity) this.note(object, 'changed', 'generation or identity', true);
      if (w.comment !== h.comment) {
        this.note(object, 'changed', 'column comment');
        this.comment(`COLUMN ${quoted(t)}.${quoted(name)}`, w.comment);
      }
    }
    for (const name of Object.keys(have.columns)) {
      if (name in want.columns) continue;
      const drop = this.options.allowDrop === true;
      this.note(`${t}.${name}`, 'extra', drop ? 'column dropped (allowed)' : 'column not in the definitions', !drop);
      if (drop) this.operations.push({ op: 'drop_column', table: t, column: name });
    }
  }

  private addIndex(table: string, i: IndexSpec): void {
    const columns = plainKeys(i);
    if (!columns) return;
    this.operations.push({
      op: 'create_index',
      table,
      name: i.name,
      columns,
      ...(i.unique ? { unique: true } : {}),
      ...(i.where ? { where: i.where } : {}),
      ...(i.using && i.using !== 'btree' ? { method: i.using } : {}),
    });
  }

  private indexes(want: TableSpec, have: TableSpec): void {
    const t = want.name;
    for (const w of want.indexes) {
      const h = have.indexes.find((i) => i.name === w.name);
      if (h && same(w, h)) continue;
      this.note(`${t}.${w.name}`, h ? 'changed' : 'missing', h ? 'index definition' : 'index', !plainKeys(w));
      if (h) this.operations.push({ op: 'drop_index', table: t, name: w.name });
      this.addIndex(t, w);
    }
    for (const h of have.indexes) {
      if (want.indexes.some((i) => i.name === h.name)) continue;
      this.note(`${t}.${h.name}`, 'extra', 'index not in the definitions');
      this.operations.push({ op: 'drop_index', table: t, name: h.name });
    }
  }

  private checks(want: TableSpec, have: TableSpec): void {
    const t = want.name;
    for (const [name, expression] of Object.entries(want.checks)) {
      const h = have.checks[name];
      if (h === expression) continue;
      this.note(`${t}.${name}`, h === undefined ? 'missing' : 'changed', `check ${expression}`);
      if (h !== undefined) this.operations.push({ op: 'drop_constraint', table: t, name });
      this.operations.push({ op: 'add_check', table: t, name, expression });
    }
    for (const name of Object.keys(have.checks)) {
      if (name in want.checks) continue;
      this.note(`${t}.${name}`, 'extra', 'check not in the definitions');
      this.operations.push({ op: 'drop_constraint', table: t, name });
    }
  }

  private addForeignKey(table: string, fk: ForeignKeySpec): void {
    this.operations.push({
      op: 'add_foreign_key',
      table,
      name: fk.name,
      columns: fk.columns,
      references: { table: fk.references.table, columns: fk.references.columns },
      ...(fk.onDelete && fk.onDelete !== 'set default' && fk.onDelete !== 'no action' ? { onDelete: fk.onDelete } : {}),
    });
  }

  private foreignKeys(want: TableSpec, have: TableSpec): void {
    const t = want.name;
    for (const w of want.foreignKeys) {
      const h = have.foreignKeys.find((f) => f.name === w.name);
      if (h && same(w, h)) continue;
      this.note(`${t}.${w.name}`, h ? 'changed' : 'missing', 'foreign key', w.references.schema !== undefined || w.onUpdate !== undefined);
      if (h) this.operations.push({ op: 'drop_constraint', table: t, name: w.name });
      this.addForeignKey(t, w);
    }
    for (const h of have.foreignKeys) {
      if (want.foreignKeys.some((f) => f.name === h.name)) continue;
      this.note(`${t}.${h.name}`, 'extra', 'foreign key not in the definitions');
      this.operations.push({ op: 'drop_constraint', table: t, name: h.name });
    }
  }
}

const quoted = (name: string) => `"${name.split('"').join('""')}"`;

/**
 * The differences between two snapshots (both as PostgreSQL renders them: see `compareWithDatabase`)
 * and the online migration operations that turn `live` into `desired`. Never guesses a rename (a
 * renamed column is one missing and one extra); drops only with `allowDrop`.
 *
 * @example
 * const { differences, operations } = diffModels(desired, live);
 */
export function diffModels(desired: ModelSnapshot, live: ModelSnapshot, options: DiffOptions = {}): ModelDiff {
  const d = new Differ(options);
  for (const e of desired.enums) {
    const h = live.enums.find((x) => x.name === e.name);
    if (!h) {
      d.note(e.name, 'missing', 'enum');
      d.operations.push(...renderEnum(e).map((up) => ({ op: 'sql' as const, up })));
      continue;
    }
    const added = e.values.filter((v) => !h.values.includes(v));
    const kept = h.values.filter((v) => e.values.includes(v));
    const appendOnly = same(e.values.slice(0, h.values.length), h.values);
    if (added.length > 0 || kept.length !== h.values.length)
      d.note(e.name, 'changed', `enum values ${h.values.join(', ')} -> ${e.values.join(', ')}`, !appendOnly);
    if (appendOnly)
      for (const v of added) d.operations.push({ op: 'sql', up: `ALTER TYPE ${quoted(e.name)} ADD VALUE IF NOT EXISTS '${v.split("'").join("''")}'` });
  }
  for (const e of live.enums) if (!desired.enums.some((x) => x.name === e.name)) d.note(e.name, 'extra', 'enum not in the definitions', true);
  for (const dom of desired.domains) {
    const h = live.domains.find((x) => x.name === dom.name);
    if (!same(dom, h)) d.note(dom.name, h ? 'changed' : 'missing', 'domain', true);
  }
  for (const dom of live.domains) if (!desired.domains.some((x) => x.name === dom.name)) d.note(dom.name, 'extra', 'domain not in the definitions', true);
  for (const t of desired.tables)
    d.table(
      t,
      live.tables.find((x) => x.name === t.name),
    );
  for (const t of live.tables) if (!desired.tables.some((x) => x.name === t.name)) d.table(undefined, t);
  for (const v of desired.views) {
    const h = live.views.find((x) => x.name === v.name);
    if (h && h.definition === v.definition) continue;
    d.note(v.name, h ? 'changed' : 'missing', 'view');
    const [create] = renderView(v);
    if (create) d.operations.push({ op: 'sql', up: create.replace(/^CREATE VIEW/, 'CREATE OR REPLACE VIEW') });
  }
  for (const v of live.views) if (!desired.views.some((x) => x.name === v.name)) d.note(v.name, 'extra', 'view not in the definitions', true);
  return { differences: d.differences, operations: d.operations };
}
