export {
  type AccessOptions,
  type Authorizer,
  accessDeferred,
  decideDeferred,
  installAccess,
  isRouteScope,
  type PrincipalFor,
  principalOf,
  ROUTE_SCOPE,
  type RouteScope,
  routeScopeOf,
  settleAccess,
} from './access.js';
export { type ApiReferenceOptions, registerApiReference } from './api-reference.js';
export { BINARY_SCHEMA, type BinaryResponse, binary, type RawBodyDoc } from './binary.js';
export { type Dto, defineOutput, isDto, type OutputDto } from './dto.js';
export { acceptEmptyBodies } from './empty-body.js';
export { count, currency, MAX_JSON_INTEGER, money, text, uuid } from './fields.js';
export { type JsonSchema, toJsonSchema } from './json-schema.js';
export {
  type ExtraOperation,
  type HeaderDoc,
  type OpenApiDocument,
  type OpenApiInfo,
  type OpenApiOptions,
  openApiDocument,
  type WrapperDoc,
} from './openapi.js';
export { type FieldError, HttpProblem, installProblemHandlers, type Problem, problem, sendProblem } from './problem.js';
export { noneMatch, parseRange } from './range.js';
export {
  defineRoute,
  type ReplyOf,
  type Responses,
  type Route,
  type RouteContext,
  type RouteResult,
  type RouteSpec,
  type RouteWrapper,
  registerRoutes,
  reply,
} from './route.js';
export { fieldErrors, parseInput, parseParts } from './validate.js';
