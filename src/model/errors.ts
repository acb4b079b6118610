import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    MODEL_INVALID: 'model';
    SCHEMA_DRIFT: 'model';
    CODEGEN_STALE: 'model';
  }
}

/** The model capability's error codes (operator and build errors: none reaches an HTTP client). */
export const MODEL_ERROR_CODES = defineErrorCodes('model', {
  MODEL_INVALID: { description: 'a table definition names a column, table or type that does not exist, or repeats a name' },
  SCHEMA_DRIFT: { description: 'the live database and the definitions differ; each difference is in details' },
  CODEGEN_STALE: { description: 'committed generated code differs from what the live database generates now' },
});
