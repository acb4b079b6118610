import { type Authorizer, HttpProblem } from '../boundary/index.js';
import { AUTH_OUTCOMES, createRateLimiter, hasScope, type RateLimitOptions, type TokenCache } from '../principals/index.js';

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

/**
 * The service's authorizer: the bearer token is checked through `tokens` (the database, or for a
 * valid token read less than `STRATA_TOKEN_CACHE_MS` ago, memory: see `createTokenCache`), then the
 * principal's rate, then the route's scope. The problem bodies never contain the token.
 */
export function bearerAuthorizer(tokens: TokenCache, rateLimit: RateLimitOptions | false): Authorizer {
  const limiter = rateLimit === false ? undefined : createRateLimiter(rateLimit);
  return async (request, scope) => {
    const auth = await tokens.authenticate(request.headers.authorization);
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
}
