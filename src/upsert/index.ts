export type { UpdateSpec, UpdateValue } from './render.js';
export type { Dedupe, Row } from './rows.js';
export type { Action } from './strategies.js';
export { type Strategy, type UpsertOptions, type UpsertResult, upsert } from './upsert.js';
