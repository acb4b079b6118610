export { type CsvFile, csvFile } from './csv-raw.js';
export { copyLine, copyValue } from './encode.js';
export { BULK_ERROR_CODES } from './errors.js';
export { type ExportFormat, type ExportOptions, exportRows } from './export.js';
export { type BulkOptions, type BulkProgress, type BulkResult, type BulkUpsertOptions, bulkInsert, bulkUpsert } from './load.js';
export { fileReads, ReadPool } from './read-pool.js';
export { csvSource, ndjsonSource, objectSource, type Source, type SourceRecord } from './sources.js';
