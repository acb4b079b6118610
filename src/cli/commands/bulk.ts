import { Command, InvalidArgumentError } from 'commander';
import type { ExportFormat } from '../../bulk/index.js';
import { lazy } from '../lazy.js';
import { parsePositive } from '../options.js';

export type Format = 'csv' | 'ndjson';

export interface LoadOptions {
  upsertKey?: string;
  format?: Format;
  rejectFile?: string;
  loadId?: string;
  restart?: boolean;
  chunkRows: number;
  parallel: number;
}

export interface ExportOptions {
  where?: string;
  format: ExportFormat;
  output?: string;
}

function parseFormat(value: string): Format {
  if (value !== 'csv' && value !== 'ndjson') throw new InvalidArgumentError('must be csv or ndjson');
  return value;
}

// Definitions only: the loader, the database driver and COPY are imported when the command runs.
const actions = () => import('../actions/bulk.js');

export function loadCommand(): Command {
  return new Command('load')
    .description('bulk-load a CSV (header row, columns matched by name) or NDJSON file into any table through COPY; rerun after a crash to resume')
    .argument('<table>')
    .argument('<file>')
    .option('--upsert-key <columns>', 'update rows whose key exists (comma-separated key columns with a unique index)')
    .option('--format <format>', 'csv or ndjson (default: by file extension)', parseFormat)
    .option(
      '--reject-file <file>',
      'append bad rows to this file (after the CSV header) and their reasons to <file>.reasons, and go on (default: stop at the first bad row); exits non-zero when every row was rejected',
    )
    .option('--load-id <id>', 'names the load for resuming (default: derived from the table, the file path, size, mtime and ctime)')
    .option('--restart', 'load every row, forgetting what an interrupted earlier run committed (does not empty the table)')
    .option('--chunk-rows <n>', 'most rows per transaction (fewer when the server falls behind)', parsePositive, 50_000)
    .option('--parallel <n>', 'connections writing chunks at once (1: one chunk after another)', parsePositive, 2)
    .addHelpText(
      'after',
      '\nAn interrupted load resumes when the same command runs again; a finished load, or one into a table\ntruncated or recreated since, loads every row again.\n\nExamples:\n  $ strata load products products.csv --upsert-key sku\n  $ strata load events events.ndjson --reject-file bad.ndjson',
    )
    .action(lazy(actions, (a, table: string, file: string, opts: LoadOptions) => a.load(table, file, opts)));
}

export function exportCommand(): Command {
  return new Command('export')
    .description('stream a table (live rows) out as CSV with a header or NDJSON, through COPY')
    .argument('<table>')
    .option('--where <condition>', 'a SQL condition, run as SQL with your connection\'s rights, e.g. "price > 1000" (one expression: no ";" or comments)')
    .option('--format <format>', 'csv or ndjson', parseFormat, 'csv')
    .option('--output <file>', 'write here instead of stdout')
    .addHelpText('after', '\nExample:\n  $ strata export products --where "stock = 0" --format ndjson --output empty.ndjson')
    .action(lazy(actions, (a, table: string, opts: ExportOptions) => a.exportTable(table, opts)));
}
