export { type EnableHistoryOptions, type EnableHistoryResult, enableHistory } from './enable.js';
export { HISTORY_ERROR_CODES } from './errors.js';
export { diffVersions, type FieldChange, listVersions, type Operation, type Version, type VersionPage, versionAt } from './read.js';
export { type ColumnRename, recordColumnRename } from './renames.js';
export { BACKFILL_SETTING } from './render.js';
export { eraseHistory, type PruneOptions, type PruneResult, pruneHistory, type RevertResult, revertToVersion } from './write.js';
