import type { z } from 'zod';
import { type FieldError, HttpProblem } from './problem.js';

export type Location = FieldError['in'];

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  date: 'a date',
};

/** The value a client sent, named without echoing text (which may be long or private). */
function received(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (typeof input === 'string') return 'a string';
  return typeof input === 'object' ? 'an object' : typeof input;
}

/** The message of a type error whose schema says nothing itself (schema messages take precedence). */
const typeMessage: z.core.$ZodErrorMap = (issue) => (issue.code === 'invalid_type' ? `must be ${EXPECTED[issue.expected] ?? issue.expected}` : undefined);

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type') return issue.message;
  return issue.input === undefined ? 'is required' : `${issue.message}; received ${received(issue.input)}`;
}

/**
 * Parses client input so that its type errors can say what was sent (`must be a string; received null`).
 *
 * @example
 * const result = parseInput(ProductCreate, record);
 * if (!result.success) throw new HttpProblem(400, 'VALIDATION_FAILED', 'invalid product', fieldErrors(result.error, 'body'));
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(value, { reportInput: true, error: typeMessage });
}

/** Field errors for every zod issue (each field and message once), with unknown keys reported one per field. */
export function fieldErrors(error: z.ZodError, where: Location): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const add = (field: string, message: string) => {
    const key = JSON.stringify([field, message]);
    if (seen.has(key)) return;
    seen.add(key);
    errors.push({ field, in: where, message });
  };
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(base ? `${base}.${key}` : key, 'is not a known field');
    } else {
      add(base || `(${where})`, describe(issue));
    }
  }
  return errors;
}

/**
 * Parses each part of a request with its schema, collecting every field error before rejecting
 * with one 400 VALIDATION_FAILED problem.
 *
 * @example
 * const { body } = parseParts({ body: [ProductCreate, request.body] });
 */
export function parseParts<T extends Partial<Record<Location, [z.ZodType, unknown]>>>(
  parts: T,
): { [K in keyof T]: T[K] extends [infer S extends z.ZodType, unknown] ? z.output<S> : never } {
  const errors: FieldError[] = [];
  const out: Record<string, unknown> = {};
  for (const [where, part] of Object.entries(parts) as [Location, [z.ZodType, unknown]][]) {
    const result = parseInput(part[0], part[1]);
    if (result.success) out[where] = result.data;
    else errors.push(...fieldErrors(result.error, where));
  }
  if (errors.length > 0) {
    const names = [...new Set(errors.map((e) => e.field))].join(', ');
    throw new HttpProblem(400, 'VALIDATION_FAILED', `invalid request: ${names}`, errors);
  }
  return out as never;
}
