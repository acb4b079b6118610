import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The import statements of every TypeScript/JavaScript code block, one virtual file per block. */
function exampleImports(): Map<string, string> {
  const files = new Map<string, string>();
  for (const page of PAGES) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    let n = 0;
    for (const block of text.matchAll(/^```(?:ts|typescript|js|javascript)\n([\s\S]*?)^```/gm)) {
      n++;
      const imports = [...(block[1] ?? '').matchAll(/^import\s[\s\S]*?\sfrom\s+'[^']+';?/gm)].map((m) => m[0]);
      if (imports.length > 0) files.set(join(ROOT, `${page.replace(/[/.]/g, '_')}_block${n}.ts`), `${imports.join('\n')}\nexport {};\n`);
    }
  }
  return files;
}

describe('docs examples (#20 point 20)', () => {
  it('docs code examples import only names the package exports (as a user resolves them: strata through package.json exports)', () => {
    const files = exampleImports();
    expect([...files.values()].join('\n')).toContain("from 'strata'");
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
    const host = ts.createCompilerHost(config.options);
    const { fileExists, readFile } = host;
    host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
    host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
    const program = ts.createProgram([...files.keys()], { ...config.options, noEmit: true }, host);
    const problems = [...files.keys()].flatMap((name) =>
      program
        .getSemanticDiagnostics(program.getSourceFile(name))
        .map((d) => `${name.slice(ROOT.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`),
    );
    expect(problems).toEqual([]);
  });
});
