export { alterSoftDeleteTable, type EnableSoftDeleteOptions, type EnableSoftDeleteResult, enableSoftDelete } from './enable.js';
export { onlyDeleted, withDeleted } from './names.js';
export { type PurgeOptions, type PurgeProgress, type PurgeResult, purgeDeleted } from './purge.js';
export type { ChildMode, ChildRelation } from './render.js';
export { type RestoreOptions, restore } from './restore.js';
