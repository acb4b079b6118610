import { Readable } from 'node:stream';
import type { JsonSchema } from './json-schema.js';
import type { HeaderDoc } from './openapi.js';

/** A declared response whose body is bytes (a file, an image), streamed as the handler returns it. */
export interface BinaryResponse {
  readonly kind: 'binary';
  readonly description: string;
  /** The media type documented (the handler sets the real one in its headers), e.g. `image/*`. */
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, HeaderDoc>>;
}

/**
 * Declares a streamed binary response: the handler answers `reply(status, stream, headers)` with a
 * Readable and sets Content-Type itself.
 *
 * @example
 * responses: { 200: binary('the image', 'image/*'), 304: null }
 */
export function binary(description: string, contentType: string, headers?: Readonly<Record<string, HeaderDoc>>): BinaryResponse {
  return { kind: 'binary', description, contentType, ...(headers ? { headers } : {}) };
}

export function isBinaryResponse(value: unknown): value is BinaryResponse {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'binary';
}

export function isStream(value: unknown): value is Readable {
  return value instanceof Readable;
}

/** A request body documented by its schema (bytes, a form) rather than an example string. */
export interface RawBodyDoc {
  readonly schema: JsonSchema;
  readonly example?: string;
}

/** The schema of a body of bytes in OpenAPI 3.1. */
export const BINARY_SCHEMA: JsonSchema = { type: 'string', format: 'binary' };
