import type { StrataError } from './errors.js';

/** One executed statement, as observers see it. Parameters are for EXPLAIN only: never log them. */
export interface QueryEvent {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly durationMs: number;
  readonly error?: StrataError;
}

/** Called after every statement (keep it cheap: it sits on the hot path). */
export type QueryObserver = (event: QueryEvent) => void;
