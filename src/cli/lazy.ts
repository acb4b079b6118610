import { fail } from './fail.js';

/**
 * A command's action whose code is imported only when the command runs, so `strata --help`, a
 * command's `--help` and every other command start without it (and without the database driver,
 * the HTTP service or the loader it imports). A failure prints its one-line reason and exits 1.
 *
 * @example
 * const actions = () => import('../actions/db.js');
 * db.command('stop').action(lazy(actions, (a, opts: { force?: boolean }) => a.stop(opts)));
 */
export function lazy<M, A extends unknown[]>(load: () => Promise<M>, run: (module: M, ...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return (...args) =>
    load()
      .then((module) => run(module, ...args))
      .catch(fail);
}
