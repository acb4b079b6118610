import { describe, expect, it } from 'vitest';
import { startProgress } from '../../src/cli/progress.js';

function fakeStream(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (text: string) => lines.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

describe('progress without a terminal', () => {
  it('a short load prints its last state once, not twice', () => {
    const { stream, lines } = fakeStream();
    const progress = startProgress('loading items', 10, stream);
    progress.update(10, 2);
    progress.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^loading items: 2 rows, \d+ rows\/s, 100%\n$/);
  });

  it('a state reported twice (the loader reports its last chunk again when it finishes) is printed once (strata load printed its last line twice)', () => {
    const { stream, lines } = fakeStream();
    const progress = startProgress('loading items', 10, stream);
    progress.update(10, 2);
    progress.update(10, 2);
    progress.stop();
    expect(lines).toHaveLength(1);
  });

  it('stop prints the state reached since the last line', () => {
    const { stream, lines } = fakeStream();
    const progress = startProgress('exporting items', undefined, stream);
    progress.update(1);
    progress.update(5);
    progress.stop();
    expect(lines.map((l) => l.replace(/, \d+ rows\/s/, ''))).toEqual(['exporting items: 1 rows\n', 'exporting items: 5 rows\n']);
  });
});
