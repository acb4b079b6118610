const MAX_NAME = 200;

const isControl = (c: string) => {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
};

/**
 * A client's file name made harmless: the last path segment only (`../../etc/passwd` is `passwd`),
 * without control characters, quotes or leading dots, at most 200 characters; undefined when
 * nothing is left. It is only ever shown in Content-Disposition: no file is named after it.
 *
 * @example
 * safeFileName('..\\..\\boot.ini'); // 'boot.ini'
 */
export function safeFileName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const last = name.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const clean = [...last]
    .filter((c) => c !== '"' && !isControl(c))
    .join('')
    .replace(/^[.\s]+/, '')
    .trim();
  const cut = [...clean].slice(0, MAX_NAME).join('');
  return cut === '' ? undefined : cut;
}

const encodeExtended = (value: string) => encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A Content-Disposition header for a stored file name (RFC 6266): an ASCII fallback and the
 * UTF-8 name in `filename*`.
 *
 * @example
 * contentDisposition('inline', 'Äpfel.jpg'); // `inline; filename="_pfel.jpg"; filename*=UTF-8''%C3%84pfel.jpg`
 */
export function contentDisposition(disposition: 'inline' | 'attachment', fileName: string | undefined): string {
  const name = safeFileName(fileName);
  if (!name) return disposition;
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encodeExtended(name)}`;
}
