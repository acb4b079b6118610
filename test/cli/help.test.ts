import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/** The sub-command names listed under "Commands:" in a --help text (without `help`). */
function subcommands(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1]?.split(/\n\n/)[0] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] as string).filter((name) => name !== 'help');
}

describe('strata --help', () => {
  it('regression #20.21: every command and sub-command shows an example in --help (db start, stop and status had none)', async () => {
    const missing: string[] = [];
    const visited: string[] = [];
    const walk = async (path: string[]): Promise<void> => {
      const help = await runCli([...path, '--help']);
      expect(help.code, path.join(' ')).toBe(0);
      visited.push(path.join(' ') || 'strata');
      if (!/^Examples?:\n {2}\$ \S/m.test(help.stdout)) missing.push(path.join(' ') || 'strata');
      await Promise.all(subcommands(help.stdout).map((name) => walk([...path, name])));
    };
    await walk([]);
    expect(visited).toEqual(expect.arrayContaining(['strata', 'serve', 'db', 'db start', 'db stop', 'db status', 'db url', 'softdelete purge', 'load', 'top']));
    expect(missing).toEqual([]);
  });
});
