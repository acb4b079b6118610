import type { ColumnSpec } from './column.js';
import { sqlName } from './column.js';
import type { DomainSpec, ForeignKeySpec, IndexSpec, TableSpec } from './define.js';
import type { EnumSpec, ModelSnapshot, ViewSpec } from './snapshot.js';
import { valueKind } from './sql-types.js';

export interface CodegenOptions {
  /** Where `column`, `defineTable`, … are imported from; default `strata/model`. */
  readonly importFrom?: string;
  /** Named in the header (where the code came from). */
  readonly schema?: string;
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await model DB HistoryTable SoftDeleteColumns Json ColumnType Generated column defineTable defineEnum defineDomain defineView Buffer Date'.split(
    ' ',
  ),
);

const str = (text: string) => JSON.stringify(text);
const key = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : str(name));
const camel = (name: string) => {
  const words = name
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const id = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('') || 'relation';
  return /^[0-9]/.test(id) ? `_${id}` : id;
};
const pascal = (name: string) => {
  const c = camel(name).replace(/^_/, '');
  return c.charAt(0).toUpperCase() + c.slice(1);
};

/** Gives every generated declaration a distinct, valid name. */
class Names {
  private readonly taken = new Set<string>(RESERVED);
  take(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.taken.has(name); n++) name = `${wanted}${n}`;
    this.taken.add(name);
    return name;
  }
}

interface Types {
  readonly enums: Map<string, { variable: string; alias: string; spec: EnumSpec }>;
  readonly domains: Map<string, { variable: string; spec: DomainSpec }>;
}

const KIND_TS: Readonly<Record<string, string>> = {
  string: 'string',
  number: 'number',
  bigint: 'bigint',
  boolean: 'boolean',
  Date: 'Date',
  Json: 'Json',
  Buffer: 'Buffer',
  unknown: 'unknown',
};

/** The value type node-postgres returns for a column of this SQL type (see sql-types.ts). */
function tsValue(type: string, types: Types): string {
  const e = types.enums.get(type);
  if (e) return e.alias;
  const d = types.domains.get(type);
  if (d) return tsValue(d.spec.type, types);
  const custom = new Set([...types.enums.keys(), ...types.domains.keys()]);
  const { kind, array } = valueKind(type, custom);
  const ts = KIND_TS[kind] ?? 'unknown';
  return array ? `${ts}[]` : ts;
}

/** The column's builder call. */
function columnCall(c: ColumnSpec, types: Types): string {
  const named = types.enums.get(c.type)?.variable ?? types.domains.get(c.type)?.variable;
  let out = named ? `column(${named})` : `column(${str(c.type)})`;
  const element = c.type.endsWith('[]') ? c.type.slice(0, -2) : undefined;
  if (element && (types.enums.has(element) || types.domains.has(element))) out += '.as<string>()';
  if (c.nullable) out += '.nullable()';
  if (c.default !== null) out += `.default(${str(c.default)})`;
  if (c.generated !== null) out += `.generatedAs(${str(c.generated)})`;
  if (c.identity !== null) out += `.identity(${str(c.identity)})`;
  if (!c.expose) out += '.internal()';
  if (c.comment !== null) out += `.comment(${str(c.comment)})`;
  return out;
}

/** The column in the Kysely interface. */
function columnType(c: ColumnSpec, types: Types): string {
  const element = c.type.endsWith('[]') ? c.type.slice(0, -2) : undefined;
  const raw = element && (types.enums.has(element) || types.domains.has(element)) ? 'string' : tsValue(c.type, types);
  const value = c.nullable ? `${raw} | null` : raw;
  if (c.generated !== null || c.identity === 'always') return `ColumnType<${value}, never, never>`;
  if (c.default !== null || c.identity !== null) return `Generated<${value}>`;
  return value;
}

const list = (items: readonly string[]) => `[${items.map(str).join(', ')}]`;
const record = (entries: Readonly<Record<string, string>>, indent: string) =>
  `{\n${Object.entries(entries)
    .map(([k, v]) => `${indent}  ${key(k)}: ${str(v)},`)
    .join('\n')}\n${indent}}`;

function indexLiteral(i: IndexSpec): string {
  const keys = i.keys.map((k) => (typeof k === 'string' ? str(k) : `{ expression: ${str(k.expression)} }`)).join(', ');
  const parts = [`name: ${str(i.name)}`, `keys: [${keys}]`];
  if (i.unique) parts.push('unique: true');
  if (i.where) parts.push(`where: ${str(i.where)}`);
  if (i.using && i.using !== 'btree') parts.push(`using: ${str(i.using)}`);
  return `{ ${parts.join(', ')} }`;
}

function foreignKeyLiteral(fk: ForeignKeySpec): string {
  const target = [`table: ${str(fk.references.table)}`, `columns: ${list(fk.references.columns)}`];
  if (fk.references.schema) target.push(`schema: ${str(fk.references.schema)}`);
  const parts = [`name: ${str(fk.name)}`, `columns: ${list(fk.columns)}`, `references: { ${target.join(', ')} }`];
  if (fk.onDelete && fk.onDelete !== 'no action') parts.push(`onDelete: ${str(fk.onDelete)}`);
  if (fk.onUpdate && fk.onUpdate !== 'no action') parts.push(`onUpdate: ${str(fk.onUpdate)}`);
  return `{ ${parts.join(', ')} }`;
}

function tableSource(variable: string, t: TableSpec, types: Types): string {
  const lines = [`export const ${variable} = defineTable(${str(t.name)}, {`, '  columns: {'];
  for (const [name, c] of Object.entries(t.columns)) lines.push(`    ${key(name)}: ${columnCall(c, types)},`);
  lines.push('  },');
  if (t.primaryKey.length > 0) lines.push(`  primaryKey: ${list(t.primaryKey)},`);
  if (t.indexes.length > 0) lines.push(`  indexes: [\n${t.indexes.map((i) => `    ${indexLiteral(i)},`).join('\n')}\n  ],`);
  if (Object.keys(t.checks).length > 0) lines.push(`  checks: ${record(t.checks, '  ')},`);
  if (t.foreignKeys.length > 0) lines.push(`  foreignKeys: [\n${t.foreignKeys.map((fk) => `    ${foreignKeyLiteral(fk)},`).join('\n')}\n  ],`);
  if (t.softDelete) lines.push('  softDelete: true,');
  if (t.history) lines.push('  history: true,');
  if (t.comment !== null) lines.push(`  comment: ${str(t.comment)},`);
  lines.push('});');
  return lines.join('\n');
}

function domainSource(variable: string, d: DomainSpec): string {
  const options: string[] = [];
  if (!d.nullable) options.push('nullable: false');
  if (d.default !== null) options.push(`default: ${str(d.default)}`);
  if (Object.keys(d.checks).length > 0) options.push(`checks: ${record(d.checks, '')}`);
  if (d.comment !== null) options.push(`comment: ${str(d.comment)}`);
  return `export const ${variable} = defineDomain(${str(d.name)}, ${str(d.type)}${options.length ? `, { ${options.join(', ')} }` : ''});`;
}

function viewSource(variable: string, v: ViewSpec, types: Types): string {
  const columns = Object.entries(v.columns).map(([name, c]) => `    ${key(name)}: ${columnCall({ ...c, default: null, comment: null }, types)},`);
  const comment = v.comment !== null ? `\n  comment: ${str(v.comment)},` : '';
  return `export const ${variable} = defineView(${str(v.name)}, ${str(v.definition)}, {\n  columns: {\n${columns.join('\n')}\n  },${comment}\n});`;
}

function interfaceSource(name: string, columns: Readonly<Record<string, ColumnSpec>>, types: Types, extra: string[] = []): string {
  const body = Object.entries(columns).map(([n, c]) => `  ${key(n)}: ${columnType(c, types)};`);
  return `export interface ${name} {\n${[...body, ...extra].join('\n')}\n}`;
}

/**
 * TypeScript for a model: one `defineEnum` / `defineDomain` / `defineTable` / `defineView` per
 * object, `model` (the list, for applyModel and the diff), and the Kysely `DB` interface written
 * out, with each column typed as the driver returns it. Deterministic: the same snapshot gives the
 * same text (what `strata codegen --check` compares).
 *
 * @example
 * await writeFile('src/db/model.ts', generateModelSource(await introspectModel(db)));
 */
export function generateModelSource(model: ModelSnapshot, options: CodegenOptions = {}): string {
  const names = new Names();
  const types: Types = { enums: new Map(), domains: new Map() };
  const out: string[] = [];
  const declarations: string[] = [];
  for (const e of model.enums) {
    const variable = names.take(camel(e.name));
    const alias = names.take(pascal(e.name));
    types.enums.set(sqlName(e.name), { variable, alias, spec: e });
    declarations.push(variable);
    const comment = e.comment !== null ? `, { comment: ${str(e.comment)} }` : '';
    out.push(`export const ${variable} = defineEnum(${str(e.name)}, ${list(e.values)}${comment});`);
    out.push(`export type ${alias} = ${e.values.map(str).join(' | ')};`);
  }
  for (const d of model.domains) {
    const variable = names.take(camel(d.name));
    types.domains.set(sqlName(d.name), { variable, spec: d });
    declarations.push(variable);
    out.push(domainSource(variable, d));
  }
  const db: string[] = [];
  for (const t of model.tables) {
    const variable = names.take(camel(t.name));
    const iface = names.take(`${pascal(t.name)}Table`);
    declarations.push(variable);
    out.push(tableSource(variable, t, types));
    out.push(interfaceSource(iface, t.columns, types, t.history ? ['  version: ColumnType<number, never, number>;'] : []));
    db.push(`  ${key(t.name)}: ${iface};`);
    if (t.softDelete) db.push(`  ${key(`${t.name}_all`)}: ${iface} & SoftDeleteColumns;`, `  ${key(`${t.name}_deleted`)}: ${iface} & SoftDeleteColumns;`);
    if (t.history) db.push(`  ${key(`${t.name}_history`)}: HistoryTable<unknown>;`);
  }
  for (const v of model.views) {
    const variable = names.take(camel(v.name));
    const iface = names.take(`${pascal(v.name)}View`);
    declarations.push(variable);
    out.push(viewSource(variable, v, types));
    out.push(
      interfaceSource(
        iface,
        Object.fromEntries(Object.entries(v.columns).map(([n, c]) => [n, { ...c, default: null, generated: null, identity: null }])),
        types,
      ),
    );
    db.push(`  ${key(v.name)}: ${iface};`);
  }
  const used = ['column', 'defineDomain', 'defineEnum', 'defineTable', 'defineView'].filter((f) => out.some((s) => s.includes(`${f}(`)));
  const mentions = (name: string) => [...out, ...db].some((s) => new RegExp(`\\b${name}\\b`).test(s));
  const typeImports = ['HistoryTable', 'Json', 'SoftDeleteColumns'].filter(mentions);
  const kyselyImports = ['ColumnType', 'Generated'].filter((f) => out.some((s) => s.includes(`${f}<`)));
  const from = str(options.importFrom ?? 'strata/model');
  const header = [
    `// Generated by \`strata codegen\`${options.schema ? ` from the schema ${options.schema}` : ''}. Do not edit: run it again instead.`,
    ...(kyselyImports.length ? [`import type { ${kyselyImports.join(', ')} } from 'kysely';`] : []),
    ...(typeImports.length ? [`import type { ${typeImports.join(', ')} } from ${from};`] : []),
    ...(used.length ? [`import { ${used.join(', ')} } from ${from};`] : []),
  ];
  const tail = [
    `/** Every definition, in dependency order (for applyModel, the diff and drift checks). */\nexport const model = [${declarations.join(', ')}] as const;`,
  ];
  tail.push(`/** The database as Kysely sees it. */\nexport interface DB {\n${db.join('\n')}\n}`);
  return `${header.join('\n')}\n\n${[...out, ...tail].join('\n\n')}\n`;
}
