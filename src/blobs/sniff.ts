/** Bytes read before the content type is decided. */
export const SNIFF_BYTES = 16;

/** What product images may be by default: raster formats browsers show, never HTML, SVG or scripts. */
export const IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif'];

/** The type of content nothing more specific was recognised in. */
export const UNKNOWN_TYPE = 'application/octet-stream';

const ascii = (head: Buffer, at: number, text: string) => head.length >= at + text.length && head.toString('latin1', at, at + text.length) === text;

const SIGNATURES: readonly (readonly [string, (head: Buffer) => boolean])[] = [
  ['image/jpeg', (h) => h.length >= 3 && h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff],
  ['image/png', (h) => ascii(h, 0, '\x89PNG\r\n\x1a\n')],
  ['image/gif', (h) => ascii(h, 0, 'GIF87a') || ascii(h, 0, 'GIF89a')],
  ['image/webp', (h) => ascii(h, 0, 'RIFF') && ascii(h, 8, 'WEBP')],
  ['image/avif', (h) => ascii(h, 4, 'ftyp') && (ascii(h, 8, 'avif') || ascii(h, 8, 'avis'))],
  ['video/mp4', (h) => ascii(h, 4, 'ftyp') && ['isom', 'iso2', 'mp41', 'mp42', 'avc1', 'M4V '].some((b) => ascii(h, 8, b))],
  ['application/pdf', (h) => ascii(h, 0, '%PDF-')],
  ['application/zip', (h) => ascii(h, 0, 'PK\x03\x04')],
  ['application/gzip', (h) => h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b],
];

/** Every type `sniffContentType` recognises, and `application/octet-stream` for anything else. */
export const SNIFFED_TYPES: readonly string[] = [...SIGNATURES.map(([type]) => type), UNKNOWN_TYPE];

/**
 * The content type of a file from its first bytes (at least `SNIFF_BYTES` of them when there are
 * that many), never from what a client declared: `application/octet-stream` when nothing is
 * recognised, which HTML, SVG and scripts never are.
 *
 * @example
 * sniffContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])); // 'image/jpeg'
 */
export function sniffContentType(head: Buffer): string {
  for (const [type, matches] of SIGNATURES) if (matches(head)) return type;
  return UNKNOWN_TYPE;
}
