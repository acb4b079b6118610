import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { uuidv7 } from 'uuidv7';

/** Every token starts with this, so secret scanners and people recognise one. */
export const TOKEN_PREFIX = 'strata_';

const SECRET_BYTES = 32;
const TOKEN = /^strata_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** A freshly made token: the text to hand out once, and what is stored (its id and the secret's hash). */
export interface NewToken {
  readonly id: string;
  readonly token: string;
  readonly secretHash: Buffer;
}

/** The parts of a presented token, before anything is looked up. */
export interface PresentedToken {
  readonly id: string;
  readonly secretHash: Buffer;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * `strata_<token id, 32 hex>_<secret: 256 random bits, base64url>`. The id lets the service find
 * the row; only the SHA-256 of the secret is stored (the secret is 256 random bits, so a fast hash
 * is enough: there is nothing to guess from a dictionary).
 */
export function newToken(): NewToken {
  const id = uuidv7();
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id.replaceAll('-', '')}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and hashed secret of a token in strata's form, or undefined for anything else. */
export function parseToken(text: string): PresentedToken | undefined {
  const match = TOKEN.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const hex = match[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secretHash: hashSecret(match[2]) };
}

const DECOY = Buffer.alloc(32);

/** Compares a stored hash with a presented one in constant time; a missing row compares against a decoy (and fails). */
export function secretMatches(stored: Buffer | undefined, presented: Buffer): boolean {
  const equal = timingSafeEqual(stored?.length === presented.length ? stored : DECOY, presented);
  return equal && stored !== undefined;
}
