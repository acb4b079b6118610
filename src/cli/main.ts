// First, before any other module loads: strata serve's young-generation setting (see the module).
import './young-generation.js';
import { Command } from 'commander';
import { blobsCommand } from './commands/blobs.js';
import { exportCommand, loadCommand } from './commands/bulk.js';
import { dbCommand } from './commands/db.js';
import { ledgerCommand } from './commands/ledger.js';
import { migrateCommand } from './commands/migrate.js';
import { codegenCommand, schemaCommand } from './commands/model.js';
import { explainCommand, topCommand } from './commands/observe.js';
import { principalCommand, tokenCommand } from './commands/principals.js';
import { serveCommand } from './commands/serve.js';
import { softDeleteCommand } from './commands/softdelete.js';
import { fail } from './fail.js';

// Every command's definition, none of its code: a command imports what it needs when it runs (see
// lazy.ts), so `strata --help`, `strata load --help` and each command start without the rest.
const program = new Command('strata')
  .description('production-grade persistence defaults for PostgreSQL and MariaDB')
  .option('-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    '\nEnvironment:\n  DATABASE_URL   external PostgreSQL (unset: embedded server under .strata/pg)\n  STRATA_HOME    folder for local state (default .strata)\n\nExample:\n  $ strata serve --port 8080',
  );
program.addCommand(serveCommand());
program.addCommand(dbCommand());
program.addCommand(softDeleteCommand());
program.addCommand(migrateCommand());
program.addCommand(loadCommand());
program.addCommand(exportCommand());
program.addCommand(explainCommand());
program.addCommand(topCommand());
program.addCommand(principalCommand());
program.addCommand(tokenCommand());
program.addCommand(blobsCommand());
program.addCommand(codegenCommand());
program.addCommand(schemaCommand());
program.addCommand(ledgerCommand());

const first = process.argv[2];
if (first === '-V' || first === '--version') {
  // The version is read where strata's package.json is found, by the core: imported for this alone.
  import('../db/index.js').then(({ strataVersion }) => process.stdout.write(`${strataVersion()}\n`), fail);
} else program.parseAsync(process.argv).catch(fail);
