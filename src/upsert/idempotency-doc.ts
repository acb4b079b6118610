import { problem, type WrapperDoc } from '../boundary/index.js';

const example = (status: number, code: string, detail: string, instance = '/products') => ({
  ...problem(status, code, detail),
  instance,
  request_id: '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70',
});

/**
 * The OpenAPI description of `idempotencyWrapper`: the `Idempotency-Key` header on every route it
 * handles (`route.idempotency` other than `none`), its 400, 409 and 422 answers and the
 * `Idempotent-Replayed` header of a replay.
 *
 * @example
 * openApiDocument(routes, { title: 'shop', version: '1.0.0' }, { wrappers: [IDEMPOTENCY_DOC] });
 */
export const IDEMPOTENCY_DOC: WrapperDoc = {
  header: {
    name: 'Idempotency-Key',
    description:
      'Makes a retry safe. The first request with a key runs, and its effect and its response are stored together; ' +
      'a repeat (same method, path and body) gets the stored response again with `Idempotent-Replayed: true` and changes nothing. ' +
      '1-255 printable ASCII characters, e.g. a UUID the client generates once per operation (`Idempotency-Key: 0193a0c2-8b4e-7d21-a3c5-2f9e6b1d7a40`).',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]{1,255}$' },
  },
  appliesTo: (route) => route.idempotency,
  problems: {
    400: {
      description: '`IDEMPOTENCY_KEY_INVALID` when Idempotency-Key is not 1-255 printable ASCII characters',
      examples: [example(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be one header of 1-255 printable ASCII characters')],
    },
    409: {
      description: '`IDEMPOTENCY_KEY_IN_FLIGHT` while the first request with this key still runs (retry after `Retry-After` seconds)',
      examples: [example(409, 'IDEMPOTENCY_KEY_IN_FLIGHT', 'a request with this Idempotency-Key is still running; retry later')],
      headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 }, example: '1' } },
    },
    422: {
      description: '`IDEMPOTENCY_KEY_MISMATCH` when the key was already used for another method, path or body',
      examples: [example(422, 'IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was already used for a different request (method, path or body)')],
    },
  },
  successHeaders: {
    'Idempotent-Replayed': {
      description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key (nothing ran again)',
      schema: { type: 'string', enum: ['true'] },
    },
  },
};
