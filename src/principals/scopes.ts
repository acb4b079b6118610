import { StrataError } from '../db/index.js';

/**
 * What a token may do. `catalog:read` and `catalog:write` cover the catalog; `wallet` a principal's
 * own accounts; `admin` the operator's routes (deleted lists, restore, principals, metrics) and
 * reading every row of an owned table. Scopes do not imply one another.
 */
export const SCOPES = ['catalog:read', 'catalog:write', 'wallet', 'admin'] as const;

export type Scope = (typeof SCOPES)[number];

/** Every scope: what the first (bootstrap) admin token gets. */
export const ALL_SCOPES: readonly Scope[] = SCOPES;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Parses scopes given as a list or as `a,b` text; refuses unknown ones and an empty list.
 *
 * @example
 * parseScopes('catalog:read,catalog:write'); // ['catalog:read', 'catalog:write']
 */
export function parseScopes(input: string | readonly string[]): Scope[] {
  const list = (typeof input === 'string' ? input.split(',') : [...input]).map((s) => s.trim()).filter((s) => s !== '');
  const unknown = list.filter((s) => !isScope(s));
  if (unknown.length > 0) throw new StrataError('SCOPE_UNKNOWN', `unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; scopes are ${SCOPES.join(', ')}`);
  if (list.length === 0) throw new StrataError('SCOPE_UNKNOWN', `name at least one scope: ${SCOPES.join(', ')}`);
  return SCOPES.filter((s) => list.includes(s));
}
