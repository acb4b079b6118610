import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    AUTHENTICATION_REQUIRED: 'principals';
    SCOPE_REQUIRED: 'principals';
    RATE_LIMITED: 'principals';
    PRINCIPAL_NOT_FOUND: 'principals';
    PRINCIPAL_EXISTS: 'principals';
    PRINCIPAL_REVOKED: 'principals';
    PRINCIPAL_NAME_INVALID: 'principals';
    TOKEN_NOT_FOUND: 'principals';
    SCOPE_UNKNOWN: 'principals';
    OWNERSHIP_SETUP: 'principals';
  }
}

/** The principals capability's error codes. */
export const PRINCIPAL_ERROR_CODES = defineErrorCodes('principals', {
  AUTHENTICATION_REQUIRED: { status: 401, description: 'no valid bearer token (missing, malformed, unknown, expired or revoked: one answer for all)' },
  SCOPE_REQUIRED: { status: 403, description: "the token's scopes do not include the one the route needs" },
  RATE_LIMITED: { status: 429, description: 'the principal sent more requests than its rate allows; retry after Retry-After seconds' },
  PRINCIPAL_NOT_FOUND: { status: 404, description: 'no principal with that name or id' },
  PRINCIPAL_EXISTS: { status: 409, description: 'a principal with that name exists (names are never reused, also after revocation)' },
  PRINCIPAL_REVOKED: { status: 409, description: 'the principal is revoked: it gets no new tokens' },
  PRINCIPAL_NAME_INVALID: {
    status: 400,
    description: 'a principal name is 1-63 characters: lower-case letters, digits, ".", "_", "@" and "-", starting with a letter or digit',
  },
  TOKEN_NOT_FOUND: { status: 404, description: 'no token with that id' },
  SCOPE_UNKNOWN: { status: 400, description: 'a scope is not one of catalog:read, catalog:write, wallet, admin' },
  OWNERSHIP_SETUP: { description: 'ownership (row-level security) cannot be enabled on the table as asked' },
});
