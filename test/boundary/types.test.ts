import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('handlers cannot return raw rows (type level)', () => {
  let program: ts.Program;
  beforeAll(() => {
    const configPath = `${root}tsconfig.json`;
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
    program = ts.createProgram([fixture('returns-raw-row.ts'), fixture('returns-dto.ts'), fixture('no-scope.ts')], config.options);
  }, 60_000);

  const errorsIn = (name: string) => {
    const source = program.getSourceFile(fixture(name));
    return ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  };

  it('a route returning a database row fails to compile', () => {
    const errors = errorsIn('returns-raw-row.ts');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/Dto|not assignable/);
  });

  it('the same route returning the output DTO compiles', () => {
    expect(errorsIn('returns-dto.ts')).toEqual([]);
  });

  it('a route that declares no scope fails to compile, and a public route has no principal', () => {
    const errors = errorsIn('no-scope.ts');
    expect(errors.join('\n')).toMatch(/scope/);
    expect(errors.join('\n')).toMatch(/undefined/);
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });
});
