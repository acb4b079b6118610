import type { Kysely } from 'kysely';
import { defineRoute, type Route, reply } from '../../boundary/index.js';
import { createPrincipal, issueToken, listPrincipals, listTokens, revokePrincipal, revokeToken } from '../../principals/index.js';
import {
  IssuedTokenOut,
  MeOut,
  PrincipalCreate,
  PrincipalListOut,
  PrincipalOut,
  PrincipalParams,
  TokenIssue,
  TokenListOut,
  TokenListQuery,
  TokenOut,
  TokenParams,
} from '../dto/admin.js';

const tags = ['admin'];

/**
 * GET /me (any token), and the operator's routes for principals and tokens (scope admin).
 * `revoked` runs after each revocation (the service clears its token cache, so the revocation holds
 * in this process from the next request on).
 */
export function adminRoutes<DB>(db: Kysely<DB>, revoked: () => void = () => undefined): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/me',
      scope: 'authenticated',
      summary: 'Who this token belongs to, and its scopes',
      tags: ['auth'],
      responses: { 200: MeOut },
      handler: async ({ principal }) => reply(200, MeOut.from(principal)),
    }),
    defineRoute({
      method: 'POST',
      url: '/admin/principals',
      scope: 'admin',
      summary: 'Create a principal (a person, script or service that will hold tokens); names are never reused',
      tags,
      body: PrincipalCreate,
      responses: { 201: PrincipalOut },
      problems: [409],
      handler: async ({ body }) => {
        const created = await createPrincipal(db, body.name);
        return reply(201, PrincipalOut.from(created), { location: `/admin/principals/${created.name}` });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/admin/principals',
      scope: 'admin',
      summary: 'List principals, oldest first (revoked ones too)',
      tags,
      responses: { 200: PrincipalListOut },
      handler: async () => reply(200, PrincipalListOut.from(await listPrincipals(db, { includeRevoked: true }))),
    }),
    defineRoute({
      method: 'POST',
      url: '/admin/principals/:name/revoke',
      scope: 'admin',
      summary:
        'Revoke a principal and every token it holds (refused from the next request on by this process, by other service processes within STRATA_TOKEN_CACHE_MS)',
      tags,
      params: PrincipalParams,
      responses: { 200: PrincipalOut },
      problems: [404],
      handler: async ({ params }) => {
        const principal = await revokePrincipal(db, params.name);
        revoked();
        return reply(200, PrincipalOut.from(principal));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/admin/tokens',
      scope: 'admin',
      summary: 'Issue a token for a principal: the answer holds the token, shown this once (strata stores only its hash)',
      tags,
      body: TokenIssue,
      responses: { 201: IssuedTokenOut },
      problems: [404, 409],
      // A stored idempotent response would keep the token's secret in the database: no replays here.
      idempotency: 'none',
      handler: async ({ body }) => {
        const issued = await issueToken(db, {
          principal: body.principal,
          scopes: body.scopes,
          ...(body.expires_at !== undefined ? { expiresAt: new Date(body.expires_at) } : {}),
        });
        return reply(201, IssuedTokenOut.from(issued), { 'cache-control': 'no-store' });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/admin/tokens',
      scope: 'admin',
      summary: 'List tokens (never their secrets), oldest first; active ones unless include_inactive=true',
      tags,
      query: TokenListQuery,
      responses: { 200: TokenListOut },
      problems: [404],
      handler: async ({ query }) =>
        reply(
          200,
          TokenListOut.from(
            await listTokens(db, {
              ...(query.principal !== undefined ? { principal: query.principal } : {}),
              includeInactive: query.include_inactive === 'true',
            }),
          ),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/admin/tokens/:id/revoke',
      scope: 'admin',
      summary: 'Revoke a token: refused from the next request on by this process, by other service processes within STRATA_TOKEN_CACHE_MS',
      tags,
      params: TokenParams,
      responses: { 200: TokenOut },
      problems: [404],
      handler: async ({ params }) => {
        const token = await revokeToken(db, params.id);
        revoked();
        return reply(200, TokenOut.from(token));
      },
    }),
  ];
}
