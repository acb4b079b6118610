import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowCaused, statementCaused } from '../../src/bulk/plan.js';

const serverError = (code: string) => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code, severity: 'ERROR' });

describe("which errors are a row's fault", () => {
  it('data, constraint and trigger errors are; permissions, missing objects, read-only or aborted transactions, timeouts, locks, deadlocks, lost connections and socket errors are not', () => {
    for (const code of ['22P02', '23514', '23505', '23503', '23502', 'P0001', 'P0004', '22P04', '27000', '44000', 'SH001'])
      expect(rowCaused(serverError(code)), code).toBe(true);
    for (const code of [
      '42501',
      '42P01',
      '42703',
      '25006',
      '25P02',
      '57014',
      '55P03',
      '40P01',
      '40001',
      '08006',
      '53200',
      'XX000',
      '0A000',
      '2F005',
      'U0001',
    ]) {
      expect(rowCaused(serverError(code)), code).toBe(false);
    }
    expect(rowCaused(serverError('2350'))).toBe(false);
    expect(rowCaused(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(false);
    expect(rowCaused(Object.assign(new Error('no code'), { severity: 'ERROR' }))).toBe(false);
    expect(rowCaused(new Error('plain'))).toBe(false);
  });

  it("a statement's own fault (export --where): anything the server reports but connection, rollback, resource, lock, timeout and internal errors", () => {
    for (const code of ['42703', '42601', '42501', '22P02', '23505', 'P0001', '42P08']) expect(statementCaused(serverError(code)), code).toBe(true);
    for (const code of ['57014', '55P03', '40P01', '40001', '08006', '53200', '58030', 'XX000']) expect(statementCaused(serverError(code)), code).toBe(false);
    expect(statementCaused(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(false);
    expect(statementCaused(new Error('plain'))).toBe(false);
  });

  it('only a five-character SQLSTATE string with a severity is a server state', () => {
    const reported = (code: unknown) => Object.assign(new Error('x'), { code, severity: 'ERROR' });
    for (const code of [23505, 'ECONNRESET', 'X23505', '235050', '2350'])
      expect([rowCaused(reported(code)), statementCaused(reported(code))], String(code)).toEqual([false, false]);
    expect([rowCaused(reported('23505')), statementCaused(reported('23505'))]).toEqual([true, true]);
  });
});
