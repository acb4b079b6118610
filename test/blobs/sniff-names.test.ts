import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentDisposition, safeFileName, sniffContentType } from '../../src/blobs/index.js';

describe('content type sniffing', () => {
  it.each([
    ['image/jpeg', [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]],
    ['image/png', [...Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR', 'latin1')]],
    ['image/gif', [...Buffer.from('GIF89a\x01\0\x01\0', 'latin1')]],
    ['image/webp', [...Buffer.from('RIFF\x24\0\0\0WEBPVP8 ', 'latin1')]],
    ['image/avif', [...Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1')]],
    ['application/pdf', [...Buffer.from('%PDF-1.7\n', 'latin1')]],
  ])('recognises %s from its first bytes', (type, bytes) => {
    expect(sniffContentType(Buffer.from(bytes))).toBe(type);
  });

  it.each([
    '<!doctype html><html><body>hi</body></html>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    '<script>alert(1)</script>',
    '\ufeff<html>',
    'GIF8', // too short to be a GIF
  ])('never takes markup or scripts for an image: %s', (text) => {
    expect(sniffContentType(Buffer.from(text))).toBe('application/octet-stream');
  });
});

describe('file names', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\win.ini', 'win.ini'],
    ['/abs/path/x.jpg', 'x.jpg'],
    ['..', undefined],
    ['.htaccess', 'htaccess'],
    ['a\u0000b\r\nc".png', 'abc.png'],
    ['', undefined],
  ])('%j is kept as %j', (given, kept) => {
    expect(safeFileName(given)).toBe(kept);
  });

  it('never keeps a path separator, a control character, a quote or a leading dot (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        const kept = safeFileName(name);
        if (kept === undefined) return;
        expect(kept).not.toMatch(/[/\\"]|^[.\s]/);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none
        expect(kept).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        expect([...kept].length).toBeLessThanOrEqual(200);
      }),
    );
  });

  it('writes Content-Disposition with an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('inline', 'Äpfel "rot".jpg')).toBe(`inline; filename="_pfel rot.jpg"; filename*=UTF-8''%C3%84pfel%20rot.jpg`);
    expect(contentDisposition('attachment', '../../etc/passwd')).toBe('attachment; filename="passwd"; filename*=UTF-8\'\'passwd');
    expect(contentDisposition('inline', undefined)).toBe('inline');
    // Header injection is impossible: no CR, LF or quote survives.
    expect(contentDisposition('inline', 'a\r\nSet-Cookie: x=1".png')).not.toMatch(/[\r\n]|"[^;]*"[^;]*"/);
  });
});
