import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/** What strata remembers about its embedded server between runs (kept beside the data directory, mode 0600). */
export interface EmbeddedState {
  readonly password: string;
  readonly port?: number;
}

export async function readState(path: string): Promise<EmbeddedState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<EmbeddedState>;
    if (typeof parsed.password !== 'string') return undefined;
    return { password: parsed.password, ...(typeof parsed.port === 'number' ? { port: parsed.port } : {}) };
  } catch {
    return undefined;
  }
}

export async function writeState(path: string, state: EmbeddedState): Promise<void> {
  await writeFile(path, JSON.stringify(state, null, 2), { mode: 0o600 });
}

export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}
