import type { Kysely, SelectQueryBuilder } from 'kysely';
import { type Authentication, lookupToken, presentedToken, readWithToken, type TokenState } from './authenticate.js';
import type { PresentedToken } from './token.js';
import { secretMatches } from './token.js';

export interface TokenCacheOptions {
  /**
   * How long a valid token's answer is reused, in ms: the longest a revocation made elsewhere (another
   * process, the CLI, SQL) takes to be refused here. 0 turns the cache off (every request reads the row).
   */
  readonly ttlMs: number;
  /** Most tokens remembered at once; the oldest is forgotten first. Default 10,000. */
  readonly maxEntries?: number;
  /** Milliseconds now (tests). Default Date.now. */
  readonly now?: () => number;
}

export interface TokenCache {
  /** `authenticate`, answering a valid token from memory for up to `ttlMs` after its row was read. */
  authenticate(authorization: string | undefined): Promise<Authentication>;
  /**
   * Whether a read should carry its caller's token check (`readWithToken`): true when every request
   * reads its token's row anyway (no cache), so the check costs no round trip of its own.
   */
  readonly fusedReads: boolean;
  /** `readWithToken`: the read and the token's check in one statement; a valid token is remembered as by `authenticate`. */
  readWithToken<D, TB extends keyof D, O>(
    presented: PresentedToken,
    read: SelectQueryBuilder<D, TB, O>,
  ): Promise<{ readonly auth: Authentication; readonly rows: O[] }>;
  /** Forgets every remembered token: call after a revocation made through this process, so it holds at once here. */
  clear(): void;
}

interface Entry {
  readonly state: TokenState;
  readonly until: number;
}

/**
 * Valid tokens remembered for a short, bounded time, so a request does not pay a database round trip
 * for its token: a revocation (of the token or its principal) made through `clear()`'s process holds
 * on the next request, one made anywhere else within `ttlMs`. Expiry is checked on every answer (a
 * token is never accepted after its `expires_at`); a presented secret is compared in constant time
 * with the remembered hash, and a mismatch reads the row again. Only valid tokens are remembered
 * (an unknown, revoked or expired token reads the row every time).
 *
 * @example
 * const tokens = createTokenCache(db, { ttlMs: 1000 });
 * const auth = await tokens.authenticate(request.headers.authorization);
 */
export function createTokenCache<DB>(db: Kysely<DB>, options: TokenCacheOptions): TokenCache {
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let generation = 0;
  const remember = (presented: PresentedToken, at: number) => {
    // A clear() while the row was being read wins: the answer is used, not remembered.
    const started = generation;
    return (state: TokenState) => {
      if (options.ttlMs <= 0 || generation !== started) return;
      if (entries.size >= max) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(presented.id, { state, until: at + options.ttlMs });
    };
  };
  return {
    fusedReads: options.ttlMs <= 0,
    readWithToken<D, TB extends keyof D, O>(presented: PresentedToken, read: SelectQueryBuilder<D, TB, O>) {
      return readWithToken(db as unknown as Kysely<D>, presented, read, remember(presented, now()));
    },
    async authenticate(authorization) {
      const presented = presentedToken(authorization);
      if (typeof presented === 'string') return { ok: false, reason: presented };
      if (options.ttlMs <= 0) return lookupToken(db, presented);
      const at = now();
      const entry = entries.get(presented.id);
      if (entry && entry.until > at && secretMatches(entry.state.secretHash, presented.secretHash)) {
        if (entry.state.expiresAt === null || entry.state.expiresAt.getTime() > at) return { ok: true, principal: entry.state.principal };
      }
      if (entry) entries.delete(presented.id);
      return lookupToken(db, presented, remember(presented, at));
    },
    clear() {
      generation++;
      entries.clear();
    },
  };
}
