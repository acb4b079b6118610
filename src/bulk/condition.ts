import { StrataError } from '../db/index.js';

const refuse = (why: string) => new StrataError('BULK_WHERE_INVALID', `the where condition must be one SQL expression, e.g. "price > 1000": ${why}`);

/** Index just past a quoted run starting at `from` (on its opening quote); doubled quotes stay inside. */
function pastQuoted(text: string, from: number, quote: string, backslashEscapes: boolean): number {
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (backslashEscapes && c === '\\') i++;
    else if (c === quote) {
      if (text[i + 1] === quote) i++;
      else return i + 1;
    }
  }
  throw refuse(`the quote at character ${from + 1} is never closed`);
}

/**
 * Checks that a SQL condition (`strata export --where`) is one expression that cannot change the
 * statement it is put in: no `;`, no comments, and parentheses that never close more than they
 * opened (outside quotes, quoted identifiers and dollar quotes). Put inside `WHERE (...)`, it then
 * stays a condition. Returns the condition.
 *
 * @example
 * checkCondition("price > 0) TO STDOUT; --"); // throws BULK_WHERE_INVALID
 */
export function checkCondition(text: string): string {
  if (text.trim() === '') throw refuse('it is empty');
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === "'") i = pastQuoted(text, i, "'", /[eE]$/.test(text.slice(0, i)) && !/[A-Za-z0-9_$][eE]$/.test(text.slice(0, i)));
    else if (c === '"') i = pastQuoted(text, i, '"', false);
    else if (c === '$' && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))?.[0];
      if (!tag) i++;
      else {
        const end = text.indexOf(tag, i + tag.length);
        if (end < 0) throw refuse(`the dollar quote ${tag} at character ${i + 1} is never closed`);
        i = end + tag.length;
      }
    } else if ((c === '-' && next === '-') || (c === '/' && next === '*')) throw refuse(`comments are not allowed (character ${i + 1})`);
    else if (c === ';') throw refuse(`";" at character ${i + 1} would end the statement`);
    else {
      if (c === '(') depth++;
      if (c === ')' && --depth < 0) throw refuse(`")" at character ${i + 1} closes a parenthesis it did not open`);
      i++;
    }
  }
  if (depth > 0) throw refuse(`${depth} "(" never closed`);
  return text;
}
