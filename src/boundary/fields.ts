import { z } from 'zod';

/** The largest integer a JSON number carries exactly in every client (2^53 - 1). */
export const MAX_JSON_INTEGER = Number.MAX_SAFE_INTEGER;

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** The `.int()` check's messages: a fraction, or (zod's safe-integer range) a number too large. */
function whole(fraction: string, max: number) {
  return { error: (issue: { readonly code: string }) => (issue.code === 'too_big' ? `must be at most ${max}` : fraction) };
}

/**
 * Money in integer minor units (cents), as a JSON integer from 0 to 2^53 - 1; parsed to bigint.
 * Floats, numeric strings and larger values are rejected rather than rounded.
 *
 * @example
 * z.strictObject({ price: money() }).parse({ price: 1999 }) // { price: 1999n }
 */
export function money() {
  return z
    .number({ error: 'must be an integer amount in minor units (e.g. cents)' })
    .int(whole('must be a whole number of minor units, not a fraction', MAX_JSON_INTEGER))
    .min(0, { error: 'must not be negative' })
    .max(MAX_JSON_INTEGER, { error: `must be at most ${MAX_JSON_INTEGER}` })
    .transform((v) => BigInt(v));
}

/** ISO 4217 currency code, upper case, known to the runtime's ICU data. */
export function currency() {
  return z
    .string()
    .regex(/^[A-Z]{3}$/, { error: 'must be a three-letter ISO 4217 code in upper case' })
    .refine((code) => CURRENCIES.has(code), { error: 'is not an ISO 4217 currency code' });
}

/** C0 controls other than tab, line feed and carriage return, and DEL. */
function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;
}

/** Non-empty text without control characters or lone surrogates (which would be stored as U+FFFD), at most `max` characters. */
export function text(max: number, min = 1) {
  return z
    .string()
    .min(min, { error: min === 1 ? 'must not be empty' : `must have at least ${min} characters` })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => s.isWellFormed(), { error: 'must be valid Unicode text (it holds a lone surrogate)' })
    .refine((s) => ![...s].some(isControl), { error: 'must not contain control characters' });
}

/** A UUID in canonical form (path ids). */
export function uuid() {
  return z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { error: 'must be a UUID' });
}

/** A non-negative 32-bit integer count (stock, quantities). */
export function count() {
  return z
    .number({ error: 'must be an integer' })
    .int(whole('must be a whole number', 2_147_483_647))
    .min(0, { error: 'must not be negative' })
    .max(2_147_483_647, { error: 'must be at most 2147483647' });
}
