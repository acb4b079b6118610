import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output(): { stdout: string; stderr: string };
  /** Resolves when stdout or stderr contains a match (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<CliResult>;
}

/** Starts `strata <args>` as a real child process, the way a user would run it. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  return startNode(BIN, args, env);
}

/** Starts `node <script> <args>` (TypeScript through tsx) with the test's environment minus DATABASE_URL, plus `env`. */
export function startNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const { DATABASE_URL: _omit, ...base } = process.env;
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], { env: { ...base, LOG_LEVEL: 'warn', ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const l of listeners) l();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern) ?? stderr.match(pattern);
          if (m) resolve(m);
        };
        listeners.push(check);
        check();
        exited.then((r) => reject(new Error(`strata exited (${r.code}) before printing ${pattern}: ${r.stderr}${r.stdout}`)));
      }),
  };
}

/** Runs `strata <args>` to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).exited;
}
