import type { FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import { type Authorizer, accessDeferred, decideDeferred, HttpProblem, type RouteScope, settleAccess } from '../boundary/index.js';
import {
  AUTH_OUTCOMES,
  type Authentication,
  createRateLimiter,
  hasScope,
  type PresentedToken,
  type Principal,
  presentedToken,
  type RateLimitOptions,
  type TokenCache,
} from '../principals/index.js';

/** `WWW-Authenticate` of every 401: the same for a missing, malformed, unknown, expired or revoked token. */
export const CHALLENGE = 'Bearer realm="strata"';

/** The OpenAPI security scheme the service declares (see docs.ts). */
export const BEARER_SCHEME = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API token: `Authorization: Bearer strata_…`. `npm start` prints the first (admin) token once; `strata token issue --scopes catalog:read` or `POST /admin/tokens` makes more.',
  },
} as const;

const unauthenticated = () =>
  new HttpProblem(401, 'AUTHENTICATION_REQUIRED', 'send Authorization: Bearer <token> with a valid token', undefined, { 'www-authenticate': CHALLENGE });

/** The service's access check: `authorize` reads the token, `decide` takes a token's check made elsewhere (a read that carried it). */
export interface BearerAccess {
  readonly authorize: Authorizer;
  /** The same decision as `authorize`'s from a token already checked (rate, scope, metrics, log): the principal, or the problem to answer. */
  decide(request: FastifyRequest, scope: Exclude<RouteScope, 'public'>, auth: Authentication): Principal;
}

/**
 * The service's authorizer: the bearer token is checked through `tokens` (the database, or for a
 * valid token read less than `STRATA_TOKEN_CACHE_MS` ago, memory: see `createTokenCache`), then the
 * principal's rate, then the route's scope. The problem bodies never contain the token.
 */
export function bearerAccess(tokens: TokenCache, rateLimit: RateLimitOptions | false): BearerAccess {
  const limiter = rateLimit === false ? undefined : createRateLimiter(rateLimit);
  const decide = (request: FastifyRequest, scope: Exclude<RouteScope, 'public'>, auth: Authentication): Principal => {
    if (!auth.ok) {
      AUTH_OUTCOMES.record({ outcome: 'unauthenticated' }, 1);
      request.log.info({ auth: auth.reason }, 'authentication refused');
      throw unauthenticated();
    }
    const { principal } = auth;
    const decision = limiter?.take(principal.id);
    if (decision && !decision.ok) {
      AUTH_OUTCOMES.record({ outcome: 'rate_limited' }, 1);
      throw new HttpProblem(429, 'RATE_LIMITED', `too many requests from this principal; retry after ${decision.retryAfterSeconds} s`, undefined, {
        'retry-after': String(decision.retryAfterSeconds),
      });
    }
    if (scope !== 'authenticated' && !hasScope(principal, scope)) {
      AUTH_OUTCOMES.record({ outcome: 'forbidden' }, 1);
      throw new HttpProblem(403, 'SCOPE_REQUIRED', `this route needs the scope ${scope}; the token has ${principal.scopes.join(', ')}`, undefined, {
        'www-authenticate': `Bearer realm="strata", error="insufficient_scope", scope="${scope}"`,
      });
    }
    AUTH_OUTCOMES.record({ outcome: 'ok' }, 1);
    return principal;
  };
  return { authorize: async (request, scope) => decide(request, scope, await tokens.authenticate(request.headers.authorization)), decide };
}

/** A read a route runs for a request: with the caller's token check in the same statement when the check was deferred to it. */
export type CheckedRead = <DB, TB extends keyof DB, O>(request: FastifyRequest, read: SelectQueryBuilder<DB, TB, O>) => Promise<O[]>;

/**
 * Whether a request's token check can travel with its route's read: the cache is off (every
 * request reads its token's row anyway) and the header holds a token in strata's form (a missing
 * or malformed one is refused at once, before the route).
 */
export function deferrable(tokens: TokenCache): (request: FastifyRequest) => boolean {
  return (request) => {
    if (!tokens.fusedReads) return false;
    const presented = presentedToken(request.headers.authorization);
    if (typeof presented === 'string') return false;
    deferredTokens.set(request, presented);
    return true;
  };
}

/** The token a deferred request presented, parsed (and its secret hashed) once. */
const deferredTokens = new WeakMap<FastifyRequest, PresentedToken>();

/**
 * The routes' reads (`deferAccess` routes): when the request's check was deferred, the read and the
 * token's row go to PostgreSQL as one statement (`readWithToken`, one round trip instead of two),
 * and the same decision as the authorizer's is made from that row (`access.decide`) before any row
 * is returned; a refused caller gets its 401/403/429 and never the rows. Otherwise the read alone.
 */
export function checkedRead(tokens: TokenCache, access: BearerAccess): CheckedRead {
  return async (request, read) => {
    if (!accessDeferred(request)) return read.execute();
    const presented = deferredTokens.get(request);
    if (!presented) {
      await settleAccess(request);
      return read.execute();
    }
    const { auth, rows } = await tokens.readWithToken(presented, read);
    decideDeferred(request, (scope) => access.decide(request, scope, auth));
    return rows;
  };
}
