// Preloaded with `node --import`: any import of a package named in STRATA_FORBID fails loudly,
// so a test can prove which third-party modules an entry point loads.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  const forbidden = (process.env.STRATA_FORBID ?? '').split(',').filter(Boolean);
  if (forbidden.some((name) => specifier === name || specifier.startsWith(name + '/'))) throw new Error('forbidden import: ' + specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
