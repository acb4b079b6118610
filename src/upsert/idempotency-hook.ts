import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { HttpProblem, type RouteResult, type RouteWrapper } from '../boundary/index.js';
import { runInTransaction, withTransaction } from '../db/index.js';
import {
  bodyHash,
  type Claim,
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotencyOptions,
  isValidIdempotencyKey,
  releaseIdempotencyKey,
  renewIdempotencyKey,
  STREAMED_BODY,
  type StoredResponse,
} from './idempotency.js';
import { IDEMPOTENCY_REPLAYS } from './metrics.js';

export interface IdempotencyHookOptions extends IdempotencyOptions {
  /** Who sent the request. Keys are scoped per principal: one client never gets another's response. */
  readonly principalOf: (request: FastifyRequest) => string;
}

const KEPT_HEADERS = ['location', 'etag'];

function stored(result: RouteResult): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = result.headers?.[name];
    if (value !== undefined) headers[name] = value;
  }
  const body = result.body === undefined ? null : JSON.stringify(result.body, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
  return { status: result.status, headers, body };
}

function keyOf(request: FastifyRequest, required: boolean): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) {
    if (required) {
      throw new HttpProblem(400, 'IDEMPOTENCY_KEY_REQUIRED', 'this route needs an Idempotency-Key header', [
        { field: 'idempotency-key', in: 'header', message: 'is required' },
      ]);
    }
    return undefined;
  }
  if (typeof header !== 'string' || !isValidIdempotencyKey(header)) {
    throw new HttpProblem(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be one header of 1-255 printable ASCII characters', [
      { field: 'idempotency-key', in: 'header', message: 'must be 1-255 printable ASCII characters' },
    ]);
  }
  return header;
}

/**
 * A streamed body (an upload) hashed as the handler reads it: nothing of it is held. `digest`
 * reads what the handler left (all of it for a replay, where no handler runs) and gives the sha256.
 */
function hashWhileRead(request: FastifyRequest): () => Promise<string> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  request.body = pipeline(request.body as Readable, tap, () => undefined);
  let digest: Promise<string> | undefined;
  return () => {
    digest ??= finished(tap.resume()).then(() => hash.digest('hex'));
    return digest;
  };
}

/** Keeps renewing the claim's lock while its request runs, so a live holder never loses its key to a retry. */
function holdClaim<DB>(db: Kysely<DB>, claim: Extract<Claim, { kind: 'acquired' }>, lockTtlMs: number): () => void {
  const timer = setInterval(() => void renewIdempotencyKey(db, claim, lockTtlMs).catch(() => undefined), Math.max(10, lockTtlMs / 3));
  timer.unref();
  return () => clearInterval(timer);
}

const mismatch = () => new HttpProblem(422, 'IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was already used for a different request (method, path or body)');

/**
 * The Idempotency-Key hook, as a route wrapper for `registerRoutes`. The first request with a key
 * runs, and its effect and its stored response commit in one transaction; a repeat gets the stored
 * response with `Idempotent-Replayed: true`; a repeat with another body 422; a repeat while the
 * first runs 409 with Retry-After. The key is bound to principal, method, path and body hash; a
 * streamed body (an upload) is hashed as it is read, never held. A running request keeps renewing
 * its lock, so only a holder that died loses its key.
 *
 * @example
 * registerRoutes(app, routes, { wrap: idempotencyWrapper(db, { principalOf: (req) => req.user.id }) });
 */
export function idempotencyWrapper<DB>(db: Kysely<DB>, options: IdempotencyHookOptions): RouteWrapper {
  return async (route, request, execute) => {
    if (route.idempotency === 'none') return execute();
    const key = keyOf(request, route.idempotency === 'required');
    if (key === undefined) return execute();
    const path = request.url.split('?')[0] ?? request.url;
    const streamed = request.body instanceof Readable ? hashWhileRead(request) : undefined;
    const claim = await claimIdempotencyKey(
      db,
      { principal: options.principalOf(request), key, method: request.method, path, bodyHash: streamed ? STREAMED_BODY : bodyHash(request.body) },
      options,
    );
    if (claim.kind === 'replay') {
      if (streamed && (await streamed()) !== claim.bodyHash) throw mismatch();
      IDEMPOTENCY_REPLAYS.record({}, 1);
      return {
        status: claim.response.status,
        body: undefined,
        headers: { ...claim.response.headers, 'idempotent-replayed': 'true' },
        raw: claim.response.body,
      };
    }
    if (claim.kind === 'mismatch') throw mismatch();
    if (claim.kind === 'in_flight') {
      throw new HttpProblem(409, 'IDEMPOTENCY_KEY_IN_FLIGHT', 'a request with this Idempotency-Key is still running; retry later', undefined, {
        'retry-after': String(claim.retryAfterSeconds),
      });
    }
    const stopHolding = holdClaim(db, claim, options.lockTtlMs ?? 30_000);
    try {
      return await withTransaction(db, (trx) =>
        runInTransaction(db, trx, async () => {
          const result = await execute();
          await completeIdempotencyKey(trx, claim, stored(result), streamed ? await streamed() : undefined);
          return result;
        }),
      );
    } catch (err) {
      await releaseIdempotencyKey(db, claim).catch(() => undefined);
      throw err;
    } finally {
      stopHolding();
    }
  };
}
