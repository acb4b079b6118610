import { spawn } from 'node:child_process';

export interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion in its own session (so a terminal's Ctrl-C never reaches it). */
export function run(command: string, args: readonly string[], as: RunAs = {}, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...as,
      // Run as the postgres user, a working folder it cannot enter (a clone under /root) would be reported.
      ...(as.uid !== undefined ? { cwd: '/' } : {}),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
