import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

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

/**
 * Behind the run's PgBouncer (STRATA_TEST_PGBOUNCER=1), a process given a test database through the
 * pooler also gets the server's own address as STRATA_DIRECT_URL, as a deployment behind a
 * transaction-mode pooler would (unless the test sets STRATA_DIRECT_URL itself, even to '').
 */
function withDirectUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const pooler = inject('postgresPoolerUrl');
  if (!pooler || !env.DATABASE_URL || 'STRATA_DIRECT_URL' in env) return env;
  const given = new URL(env.DATABASE_URL);
  const through = new URL(pooler);
  if (given.host !== through.host) return env;
  const direct = new URL(inject('postgresAdminUrl'));
  given.host = direct.host;
  return { ...env, STRATA_DIRECT_URL: given.toString() };
}

/** Starts `node <script> <args>` (TypeScript through tsx) with the test's environment minus DATABASE_URL, plus `env`. */
export function startNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const { DATABASE_URL: _omit, STRATA_DIRECT_URL: _omitDirect, ...base } = process.env;
  const extra = withDirectUrl(env);
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], { env: { ...base, LOG_LEVEL: 'warn', ...extra }, stdio: 'pipe' });
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
