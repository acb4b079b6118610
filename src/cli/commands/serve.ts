import { Command } from 'commander';
import { lazy } from '../lazy.js';
import { parsePort } from '../options.js';

// Definitions only: the HTTP service is imported when `strata serve` runs.
const actions = () => import('../actions/serve.js');

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the reference HTTP service (embedded PostgreSQL unless DATABASE_URL is set)')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 3000)', parsePort)
    .option('--host <host>', 'address to bind (default: HOST or 127.0.0.1)')
    .addHelpText('after', '\nExamples:\n  $ strata serve --port 8080\n  $ DATABASE_URL=postgres://postgres@127.0.0.1:5432/app strata serve')
    .action(lazy(actions, (a, opts: { port?: number; host?: string }) => a.serve(opts)));
}
