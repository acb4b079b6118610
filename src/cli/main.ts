import { Command } from 'commander';
import { strataVersion } from '../db/index.js';
import { blobsCommand } from './commands/blobs.js';
import { exportCommand, loadCommand } from './commands/bulk.js';
import { dbCommand } from './commands/db.js';
import { migrateCommand } from './commands/migrate.js';
import { explainCommand, topCommand } from './commands/observe.js';
import { principalCommand, tokenCommand } from './commands/principals.js';
import { serveCommand } from './commands/serve.js';
import { softDeleteCommand } from './commands/softdelete.js';
import { fail } from './fail.js';

const program = new Command('strata')
  .description('production-grade persistence defaults for PostgreSQL and MariaDB')
  .version(strataVersion(), '-V, --version', 'print the version')
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
program.parseAsync(process.argv).catch(fail);
