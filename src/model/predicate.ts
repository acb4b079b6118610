/** The top-level AND terms of an expression as PostgreSQL renders it (quotes and parentheses respected). */
export function conjuncts(expression: string): string[] {
  let text = expression.trim();
  if (text.startsWith('(') && closingParen(text, 0) === text.length - 1) text = text.slice(1, -1).trim();
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"') i = skipQuoted(text, i);
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && text.startsWith(' AND ', i)) {
      terms.push(text.slice(start, i).trim());
      start = i + 5;
      i += 4;
    }
  }
  terms.push(text.slice(start).trim());
  return terms.length === 1 ? [expression.trim()] : terms;
}

const bare = (term: string) => {
  const t = term.trim();
  return t.startsWith('(') && closingParen(t, 0) === t.length - 1 ? t.slice(1, -1).trim() : t;
};

function skipQuoted(text: string, open: number): number {
  const quote = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] !== quote) continue;
    if (text[i + 1] === quote) i++;
    else return i;
  }
  return text.length;
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"') i = skipQuoted(text, i);
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * An index predicate without one top-level term, rendered as PostgreSQL renders the rest: null when
 * nothing is left, the single term as it is, several terms parenthesised and joined by AND.
 *
 * @example
 * withoutTerm('((price > 0) AND (deleted_at IS NULL))', '(deleted_at IS NULL)') // '(price > 0)'
 */
export function withoutTerm(predicate: string | null, term: string): string | null {
  if (predicate === null) return null;
  const rest = conjuncts(predicate).filter((t) => bare(t) !== bare(term));
  if (rest.length === 0) return null;
  if (rest.length === 1) return rest[0] ?? null;
  return `(${rest.join(' AND ')})`;
}
