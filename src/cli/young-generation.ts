import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its starting size (1 MiB per semi-space) instead of letting it grow
 * to 16 MiB per semi-space (32 MiB resident), which it did while the service loaded its modules and
 * again under a large transfer: memory that bought nothing to a service that streams (measured with
 * `npm run bench -- blobs`; docs/decisions.md). The growth factor is the one young-generation
 * setting V8 reads after start-up, and it only stops growth to come, so it is set before any other
 * module loads (main.ts imports this module first; set later, when `strata serve` ran, the space
 * had already grown to 8-16 MiB per semi-space while the database modules loaded).
 * A `--max-semi-space-size` or `--semi-space-growth-factor` given to node (NODE_OPTIONS, or node's
 * own arguments) wins.
 */
export function keepYoungGenerationSmall(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  if (given.some((a) => /^--(max-semi-space-size|semi-space-growth-factor)\b/.test(a.replaceAll('_', '-')))) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

// Only the command that serves: other commands are short-lived and keep V8's defaults.
if (process.argv[2] === 'serve') keepYoungGenerationSmall();
