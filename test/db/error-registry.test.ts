import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installProblemHandlers } from '../../src/boundary/index.js';
import { BULK_ERROR_CODES } from '../../src/bulk/index.js';
import { defineErrorCodes, errorKind, errorKinds, StrataError, type StrataErrorCode } from '../../src/db/index.js';
import { SOFT_DELETE_ERROR_CODES } from '../../src/softdelete/index.js';
import { UPSERT_ERROR_CODES } from '../../src/upsert/index.js';

describe('error codes declared by their capabilities', () => {
  it('every capability registers its own codes, each owned by exactly one capability', () => {
    const owners = new Map(errorKinds().map((k) => [k.code, k.capability]));
    for (const code of BULK_ERROR_CODES) expect(owners.get(code)).toBe('bulk');
    for (const code of UPSERT_ERROR_CODES) expect(owners.get(code)).toBe('upsert');
    for (const code of SOFT_DELETE_ERROR_CODES) expect(owners.get(code)).toBe('softdelete');
    expect(owners.get('UNIQUE_VIOLATION')).toBe('db');
    expect(errorKinds().length).toBe(owners.size);
  });

  it('refuses a second capability claiming a code', () => {
    expect(() => defineErrorCodes('bulk' as 'db', { NOT_FOUND: { status: 404, description: 'again' } } as never)).toThrow(/registered by db and bulk/);
    expect(errorKind('NOT_FOUND')?.capability).toBe('db');
  });

  it.each<[StrataErrorCode, number]>([
    ['BULK_BAD_ROW', 422],
    ['UPSERT_NULL_KEY', 422],
    ['RESTORE_CONFLICT', 409],
    ['UNIQUE_VIOLATION', 409],
    ['DEADLOCK', 503],
    ['TOO_MANY_CONNECTIONS', 503],
    ['CONFIG_INVALID', 500],
  ])('a %s thrown by a handler answers %i problem+json (status from the registry)', async (code, status) => {
    const app = Fastify({ logger: false });
    installProblemHandlers(app);
    app.get('/boom', async () => {
      throw new StrataError(code, 'it broke');
    });
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe(status === 500 ? 'INTERNAL_ERROR' : code);
    await app.close();
  });
});
