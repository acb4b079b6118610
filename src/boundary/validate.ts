import type { z } from 'zod';
import { type FieldError, HttpProblem } from './problem.js';

export type Location = FieldError['in'];

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

/** Field errors for every zod issue, with unknown keys reported one per field. */
export function fieldErrors(error: z.ZodError, where: Location): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: base ? `${base}.${key}` : key, in: where, message: 'is not a known field' });
    } else {
      errors.push({ field: base || `(${where})`, in: where, message: describe(issue) });
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
    const result = part[0].safeParse(part[1]);
    if (result.success) out[where] = result.data;
    else errors.push(...fieldErrors(result.error, where));
  }
  if (errors.length > 0) {
    const names = [...new Set(errors.map((e) => e.field))].join(', ');
    throw new HttpProblem(400, 'VALIDATION_FAILED', `invalid request: ${names}`, errors);
  }
  return out as never;
}
