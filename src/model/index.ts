import './errors.js';

export { type ApplyResult, applyModel } from './apply.js';
export { type CodegenOptions, generateModelSource } from './codegen.js';
export { Column, type ColumnSpec, column, type NamedType, type Write } from './column.js';
export { compareWithDatabase, renderedByDatabase } from './compare.js';
export { renderModel } from './ddl.js';
export {
  type AnyColumn,
  type Definition,
  type DomainDefinition,
  type DomainSpec,
  defineDomain,
  defineEnum,
  defineTable,
  defineView,
  type EnumDefinition,
  type ForeignKeySpec,
  type IndexKey,
  type IndexSpec,
  type ReferentialAction,
  type TableDefinition,
  type TableOptions,
  type TableSpec,
  type ViewDefinition,
} from './define.js';
export { type Difference, type DiffOptions, diffModels, type ModelDiff } from './diff.js';
export { MODEL_ERROR_CODES } from './errors.js';
export type { ColumnKysely, HistoryTable, ModelDatabase, SoftDeleteColumns, TableType } from './kysely.js';
export { introspectModel } from './read.js';
export { type EnumSpec, type ModelSnapshot, snapshotOf, type ViewSpec } from './snapshot.js';
export { type Json, type SqlValue, type TsKind, valueKind } from './sql-types.js';
export { type ZodOptions, zodSchemas } from './zod.js';
