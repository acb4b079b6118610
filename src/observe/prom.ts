import { createRequire } from 'node:module';

type PromClient = typeof import('prom-client');

const require = createRequire(import.meta.url);
let loaded: PromClient | undefined;

/**
 * prom-client, loaded on first use: importing strata/observe for `explain`, `renderPlan` or
 * `topStatements` (as `strata explain` and `strata top` do) costs no metrics library.
 */
export function promClient(): PromClient {
  loaded ??= require('prom-client') as PromClient;
  return loaded;
}
