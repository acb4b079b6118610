import { expect } from 'vitest';
import { StrataError } from '../../src/db/index.js';

/** Runs `run`, expects it to reject with a StrataError, and returns that error. */
export async function caught(run: () => Promise<unknown>): Promise<StrataError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(StrataError);
    return err as StrataError;
  }
  throw new Error('expected an error');
}
