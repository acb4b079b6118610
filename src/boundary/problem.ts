import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorKind, isStrataError } from '../db/index.js';

/** An RFC 9457 problem document, as every strata error response carries it. */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `price` or `tags.2`. */
  readonly field: string;
  /** Where the field was: the body, the query string, the path or a header. */
  readonly in: 'body' | 'query' | 'path' | 'header';
  readonly message: string;
}

/**
 * Throw from a handler to answer with a problem document (4xx or 503); anything else thrown is a 500.
 *
 * @example
 * throw new HttpProblem(412, 'VERSION_MISMATCH', 'the product changed since version 3');
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors?: readonly FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail);
  }
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly request_id?: string;
  readonly errors?: readonly FieldError[];
}

const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY_PROTO: 'MALFORMED_JSON',
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  428: 'Precondition Required',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Builds a problem document; `type` is a stable relative URI derived from the code. */
export function problem(status: number, code: string, detail?: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    code,
    ...(detail ? { detail } : {}),
    ...extra,
  };
}

/** Sends a problem+json response with the request's id and path. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, body: Problem): FastifyReply {
  if (body.status === 503) reply.header('retry-after', '1');
  return reply
    .code(body.status)
    .type('application/problem+json')
    .send({ ...body, instance: request.url, request_id: request.id });
}

function fromError(error: FastifyError | Error): Problem {
  if (error instanceof HttpProblem) return problem(error.status, error.code, error.message, error.errors ? { errors: error.errors } : {});
  if (isStrataError(error)) {
    const status = errorKind(error.code)?.status;
    if (status) {
      const cols = error.details.columns?.join(', ');
      return problem(status, error.code, status < 500 ? `${error.message}${cols ? ` [${cols}]` : ''}` : 'the database is busy or unavailable; retry shortly');
    }
  }
  const fe = error as FastifyError;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = (fe.code && FASTIFY_CODES[fe.code]) ?? (fe.code?.startsWith('FST_') ? 'BAD_REQUEST' : (fe.code ?? 'BAD_REQUEST'));
    return problem(status, code, fe.message);
  }
  return problem(500, 'INTERNAL_ERROR', 'an unexpected error occurred; it has been logged with this request id');
}

/** Makes every error and every unknown route answer with problem+json. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = fromError(error);
    if (error instanceof HttpProblem && error.headers) reply.headers(error.headers);
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, problem(404, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
