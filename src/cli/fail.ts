/** One line a person can act on: the error's message, never a stack trace. */
export function reasonOf(err: unknown): string {
  // A StrataError's message is written for people (told apart by name: this module loads nothing of strata's).
  if (err instanceof Error && err.name === 'StrataError') return err.message;
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}

/** Prints `strata: <reason>` on stderr and exits non-zero. */
export function fail(err: unknown): never {
  process.stderr.write(`strata: ${reasonOf(err)}\n`);
  process.exit(1);
}
