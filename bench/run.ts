import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = (await readdir(dir)).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];

if (!name || name === '--help' || !available.includes(name)) {
  const stream = name && name !== '--help' ? process.stderr : process.stdout;
  if (name && name !== '--help') stream.write(`bench: unknown benchmark "${name}"\n`);
  stream.write(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}\nexample: npm run bench -- db\n`);
  process.exit(name && name !== '--help' ? 1 : 0);
}

const mod = (await import(`./${name}.ts`)) as { default: () => Promise<void> };
await mod.default();
