import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowCaused } from '../../src/bulk/plan.js';

const serverError = (code: string) => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code, severity: 'ERROR' });

describe("which errors are a row's fault", () => {
  it('data, constraint and trigger errors are; timeouts, locks, deadlocks, lost connections and socket errors are not', () => {
    for (const code of ['22P02', '23514', '23505', '23503', 'P0001', '22P04']) expect(rowCaused(serverError(code))).toBe(true);
    for (const code of ['57014', '55P03', '40P01', '40001', '08006', '53200', 'XX000']) expect(rowCaused(serverError(code))).toBe(false);
    expect(rowCaused(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(false);
    expect(rowCaused(new Error('plain'))).toBe(false);
  });
});
