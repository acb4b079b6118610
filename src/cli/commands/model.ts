import { Command } from 'commander';
import { lazy } from '../lazy.js';

// Definitions only: the model capability and the database driver are imported when a command runs.
const actions = () => import('../actions/model.js');

export interface CodegenFlags {
  schema: string;
  out?: string;
  check?: boolean;
  importFrom: string;
}

export function codegenCommand(): Command {
  return new Command('codegen')
    .description('write TypeScript for a live schema: defineTable(...) per table, enums, domains, views, and the Kysely DB interface')
    .option('--schema <name>', 'the schema to read', 'public')
    .option('--out <file>', 'write here (default: stdout)')
    .option('--check', 'exit non-zero when --out differs from what the database generates now (for CI)')
    .option('--import-from <module>', 'where the generated code imports strata/model from', 'strata/model')
    .addHelpText('after', '\nExamples:\n  $ strata codegen --out src/db/model.ts\n  $ strata codegen --schema billing --out src/db/billing.ts --check')
    .action(lazy(actions, (a, flags: CodegenFlags) => a.codegen(flags)));
}

export function schemaCommand(): Command {
  const cmd = new Command('schema')
    .description('compare the live database with code-first definitions')
    .addHelpText('after', '\nExample:\n  $ strata schema drift --model src/service/catalog/model.ts');
  cmd
    .command('drift')
    .description('list every difference between the database and the definitions; exit 1 when there is one')
    .requiredOption('--model <file>', 'module exporting `model` (the list of definitions)')
    .option('--schema <name>', 'the live schema', 'public')
    .addHelpText('after', '\nExample:\n  $ strata schema drift --model src/db/model.ts')
    .action(lazy(actions, (a, flags: { model: string; schema: string }) => a.drift(flags)));
  return cmd;
}
