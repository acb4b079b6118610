import { isStrataError } from '../db/index.js';

/** One line a person can act on: the error's message, never a stack trace. */
export function reasonOf(err: unknown): string {
  if (isStrataError(err)) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}

/** Prints `strata: <reason>` on stderr and exits non-zero. */
export function fail(err: unknown): never {
  process.stderr.write(`strata: ${reasonOf(err)}\n`);
  process.exit(1);
}
