import { Command } from 'commander';
import { lazy } from '../lazy.js';

// Definitions only: the embedded server's code and the database driver are imported when a command runs.
const actions = () => import('../actions/db.js');

export function dbCommand(): Command {
  const db = new Command('db')
    .description('manage the embedded PostgreSQL server')
    .addHelpText('after', '\nExamples:\n  $ strata db start\n  $ psql "$(strata db psql-url)"\n  $ strata db stop');
  db.command('start')
    .description('start the embedded server in the background (it keeps running until `strata db stop`); other strata commands share it')
    .addHelpText('after', '\nExample:\n  $ strata db start && export DATABASE_URL="$(strata db url)"')
    .action(lazy(actions, (a) => a.start()));
  db.command('stop')
    .description('stop the embedded server; refuses while a strata process (strata serve, a load) uses it')
    .option('--force', 'stop it even while strata processes use it (their connections fail)')
    .addHelpText('after', '\nExamples:\n  $ strata db stop\n  $ strata db stop --force')
    .action(lazy(actions, (a, opts: { force?: boolean }) => a.stop(opts)));
  db.command('status')
    .description('show whether the database is up, who started it and which strata processes use it (exit code 3 when stopped)')
    .addHelpText('after', '\nExample:\n  $ strata db status || strata db start')
    .action(lazy(actions, (a) => a.status()));
  db.command('url')
    .description('print the connection URL for DATABASE_URL or node-postgres')
    .addHelpText('after', '\nExample:\n  $ export DATABASE_URL="$(strata db url)"')
    .action(lazy(actions, (a) => a.url()));
  db.command('psql-url')
    .description('print a libpq connection URI for psql and other libpq tools')
    .addHelpText('after', '\nExample:\n  $ psql "$(strata db psql-url)"')
    .action(lazy(actions, (a) => a.url({ psql: true })));
  return db;
}
