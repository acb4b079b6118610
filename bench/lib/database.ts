import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedServer, redactUrl } from '../../src/db/index.js';

export interface BenchDatabase {
  readonly url: string;
  readonly label: string;
  close(): Promise<void>;
}

/** DATABASE_URL when set, else a throwaway embedded PostgreSQL (durable settings, as in production). */
export async function benchDatabase(): Promise<BenchDatabase> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, label: `external ${redactUrl(process.env.DATABASE_URL)}`, close: async () => undefined };
  }
  const home = await mkdtemp(join(tmpdir(), 'strata-bench-'));
  await chmod(home, 0o755);
  const server = new EmbeddedServer({ home, notice: (line) => process.stderr.write(`bench: note: ${line}\n`) });
  const started = await server.start('process');
  return {
    url: started.url,
    label: 'embedded PostgreSQL (throwaway, default durability settings)',
    close: async () => {
      await server.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
