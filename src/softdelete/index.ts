export { type BaseTable, baseTableOf } from './base-table.js';
export { alterSoftDeleteTable, type EnableSoftDeleteOptions, type EnableSoftDeleteResult, enableSoftDelete } from './enable.js';
export { SOFT_DELETE_ERROR_CODES } from './errors.js';
export { LIVE_PREDICATE, liveOn, namesFor, onlyDeleted, SOFT_DELETE_COLUMNS, type SoftDeleteNames, withDeleted } from './names.js';
export { countPurgeCandidates, type PurgeOptions, type PurgeProgress, type PurgeResult, purgeDeleted } from './purge.js';
export type { ChildMode, ChildRelation } from './render.js';
export { type RestoreOptions, restore } from './restore.js';
