import { z } from 'zod';
import { defineOutput, uuid } from '../../boundary/index.js';
import { type Principal, type PrincipalInfo, SCOPES, type TokenInfo } from '../../principals/index.js';

const PRINCIPAL_ID = '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70';
const TOKEN_ID = '0193a0c4-2b3c-7d4e-8f50-6a7b8c9d0e1f';
const CREATED = '2026-12-01T09:00:00.000Z';

const EXAMPLE_PRINCIPAL = { id: PRINCIPAL_ID, name: 'checkout-service', created_at: CREATED, revoked_at: null };
const EXAMPLE_TOKEN = {
  id: TOKEN_ID,
  principal_id: PRINCIPAL_ID,
  principal_name: 'checkout-service',
  scopes: ['catalog:read'],
  created_at: CREATED,
  expires_at: null,
  revoked_at: null,
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const principalSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable().describe('when it was revoked (it and its tokens are refused since); null while active'),
  })
  .meta({ examples: [EXAMPLE_PRINCIPAL] });

const principal = (p: PrincipalInfo) => ({ id: p.id, name: p.name, created_at: p.createdAt.toISOString(), revoked_at: iso(p.revokedAt) });

export const PrincipalOut = defineOutput('Principal', principalSchema, principal);

export const PrincipalListOut = defineOutput(
  'PrincipalList',
  z.object({ items: z.array(principalSchema) }).meta({ examples: [{ items: [EXAMPLE_PRINCIPAL] }] }),
  (rows: readonly PrincipalInfo[]) => ({ items: rows.map(principal) }),
);

const tokenFields = {
  id: z.string().describe('the token id (not secret): what POST /admin/tokens/{id}/revoke takes'),
  principal_id: z.string(),
  principal_name: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
};

const token = (t: TokenInfo) => ({
  id: t.id,
  principal_id: t.principalId,
  principal_name: t.principalName,
  scopes: [...t.scopes],
  created_at: t.createdAt.toISOString(),
  expires_at: iso(t.expiresAt),
  revoked_at: iso(t.revokedAt),
});

const tokenSchema = z.object(tokenFields).meta({ examples: [EXAMPLE_TOKEN] });

export const TokenOut = defineOutput('Token', tokenSchema, token);

export const TokenListOut = defineOutput(
  'TokenList',
  z.object({ items: z.array(tokenSchema) }).meta({ examples: [{ items: [EXAMPLE_TOKEN] }] }),
  (rows: readonly TokenInfo[]) => ({ items: rows.map(token) }),
);

export const IssuedTokenOut = defineOutput(
  'IssuedToken',
  z
    .object({ ...tokenFields, token: z.string().describe('the token itself: shown this once, stored nowhere (strata keeps its SHA-256)') })
    .meta({ examples: [{ ...EXAMPLE_TOKEN, token: 'strata_0193a0c42b3c7d4e8f506a7b8c9d0e1f_3q2-7wJ0gk1s2nXr4Kq9x1oQwWb8a2Y7mZ5eVf0hLpE' }] }),
  (t: TokenInfo & { readonly token: string }) => ({ ...token(t), token: t.token }),
);

export const MeOut = defineOutput(
  'Me',
  z
    .object({ principal_id: z.string(), name: z.string(), scopes: z.array(z.string()), token_id: z.string() })
    .meta({ examples: [{ principal_id: PRINCIPAL_ID, name: 'checkout-service', scopes: ['catalog:read'], token_id: TOKEN_ID }] }),
  (p: Principal) => ({ principal_id: p.id, name: p.name, scopes: [...p.scopes], token_id: p.tokenId }),
);

/** POST /admin/principals body. */
export const PrincipalCreate = z.strictObject({ name: z.string().describe('1-63 characters: a-z, 0-9, ".", "_", "@", "-"') }).meta({
  examples: [{ name: 'checkout-service' }],
});

/** A principal by name or id. */
export const PrincipalParams = z.object({
  name: z
    .string()
    .min(1)
    .max(63)
    .meta({ examples: ['checkout-service'] }),
});

/** POST /admin/tokens body. */
export const TokenIssue = z
  .strictObject({
    principal: z.string().min(1).describe("the principal's name or id"),
    scopes: z.array(z.enum(SCOPES)).min(1, { error: 'must name at least one scope' }),
    expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z' }).optional(),
  })
  .meta({ examples: [{ principal: 'checkout-service', scopes: ['catalog:read'] }] });

export const TokenParams = z.object({ id: uuid().meta({ examples: [TOKEN_ID] }) });

export const TokenListQuery = z.strictObject({
  principal: z.string().min(1).optional().describe("only this principal's tokens (name or id)"),
  include_inactive: z.enum(['true', 'false']).optional().describe('also revoked and expired tokens'),
});
