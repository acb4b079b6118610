export { type Authentication, authenticate, hasScope, type Principal, presentedToken, type RefusalReason, readWithToken } from './authenticate.js';
export { BOOTSTRAP_PRINCIPAL, bootstrapAdmin } from './bootstrap.js';
export { currentPrincipalId, type PrincipalContext, type PrincipalContextOptions, setPrincipalContext, withPrincipal } from './context.js';
export { PRINCIPAL_ERROR_CODES } from './errors.js';
export { AUTH_OUTCOMES } from './metrics.js';
export { type EnableOwnershipOptions, type EnableOwnershipResult, enableOwnership } from './ownership.js';
export { checkPrincipalName, createPrincipal, findPrincipal, getPrincipal, listPrincipals, type PrincipalInfo, revokePrincipal } from './principals.js';
export { createRateLimiter, type RateDecision, type RateLimiter, type RateLimitOptions } from './rate-limit.js';
export {
  CURRENT_PRINCIPAL_SQL,
  HISTORY_POLICIES,
  historyOwnershipStatements,
  OWNERSHIP_POLICIES,
  ownershipStatements,
  PRINCIPAL_IS_ADMIN_SQL,
} from './render.js';
export { ALL_SCOPES, isScope, parseScopes, SCOPES, type Scope } from './scopes.js';
export { PRINCIPAL_ROLE } from './tables.js';
export { type PresentedToken, TOKEN_PREFIX } from './token.js';
export { createTokenCache, type TokenCache, type TokenCacheOptions } from './token-cache.js';
export { type IssuedToken, type IssueTokenOptions, issueToken, listTokens, revokeToken, type TokenInfo } from './tokens.js';
