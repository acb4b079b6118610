import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { isScope, type Principal, type Scope } from '../principals/index.js';

/**
 * Who may call a route, declared by every route:
 * - a scope (`catalog:read`, `catalog:write`, `wallet`, `admin`): a bearer token holding it;
 * - `authenticated`: any valid bearer token, whatever its scopes (e.g. `GET /me`);
 * - `public`: anyone, no token read (health, readiness, the API reference).
 */
export type RouteScope = Scope | 'authenticated' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see `installAccess`); every route of an app with access control declares it. */
    scope?: RouteScope;
    /** The route checks its caller in its own statement when `AccessOptions.defer` allows (see `decideDeferred`). */
    deferAccess?: boolean;
  }
}

/** The principal a route handler gets: none on a public route, always one on any other. */
export type PrincipalFor<S extends RouteScope> = [S] extends ['public'] ? undefined : Principal;

/** Route config key holding a route's `RouteScope` (set by `registerRoutes`, or by hand for `app.get(...)`). */
export const ROUTE_SCOPE = 'scope';

/**
 * Decides a request to a non-public route: resolves to its principal, or throws the problem to
 * answer (401, 403, 429). `scope` is the route's scope, or `authenticated` for any valid token.
 */
export type Authorizer = (request: FastifyRequest, scope: Exclude<RouteScope, 'public'>) => Promise<Principal>;

export interface AccessOptions {
  readonly authorize: Authorizer;
  /** Routes that may be registered without declaring a scope and are then public (e.g. a plugin's static assets). */
  readonly publicRoutes?: (url: string) => boolean;
  /**
   * For a request to a route registered with `config.deferAccess` (a read that checks its caller's
   * token in its own statement): true leaves the check to the route (`decideDeferred`), false
   * authorizes it here as any other. Default: never deferred.
   */
  readonly defer?: (request: FastifyRequest) => boolean;
}

interface Pending {
  readonly scope: Exclude<RouteScope, 'public'>;
  readonly authorize: Authorizer;
}

const principals = new WeakMap<FastifyRequest, Principal>();
const pending = new WeakMap<FastifyRequest, Pending>();

/**
 * Whether the request's check was left to its route (see `AccessOptions.defer`) and is still to be
 * made. Until it is, the route must not answer with anything it read: `registerRoutes` makes the
 * check the usual way before any answer or problem leaves (`settleAccess`).
 */
export function accessDeferred(request: FastifyRequest): boolean {
  return pending.has(request);
}

/**
 * Makes a deferred check with what the route read: `decide` gets the route's scope and returns the
 * principal or throws the problem to answer (401, 403, 429), exactly as the authorizer would.
 */
export function decideDeferred(request: FastifyRequest, decide: (scope: Exclude<RouteScope, 'public'>) => Principal): Principal {
  const waiting = pending.get(request);
  if (!waiting) throw new Error('decideDeferred: no check of this request was deferred');
  pending.delete(request);
  const principal = decide(waiting.scope);
  principals.set(request, principal);
  return principal;
}

/** Makes a deferred check that is still to be made, the usual way (the authorizer); throws its refusal. At once when none is. */
export async function settleAccess(request: FastifyRequest): Promise<void> {
  const waiting = pending.get(request);
  if (!waiting) return;
  pending.delete(request);
  principals.set(request, await waiting.authorize(request, waiting.scope));
}

export function isRouteScope(value: unknown): value is RouteScope {
  return value === 'public' || value === 'authenticated' || (typeof value === 'string' && isScope(value));
}

/** The principal `installAccess` authorized for this request; undefined on public routes. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** The scope a registered route declared (its `config.scope`). */
export function routeScopeOf(config: unknown): RouteScope | undefined {
  const value = (config as Record<string, unknown> | undefined)?.[ROUTE_SCOPE];
  return isRouteScope(value) ? value : undefined;
}

/** Whether `installAccess` ran on this app (or the app it belongs to). */
export function accessInstalled(app: FastifyInstance): boolean {
  return app.hasDecorator('strataAccess');
}

/**
 * Makes every route of `app` declare who may call it, and enforces it. Call before registering
 * any route. A route registered afterwards without a scope in `config.scope` (`registerRoutes`
 * sets it from `defineRoute({ scope })`), or with an unknown one, fails the app's start-up. Each
 * request to a non-public route is authorized before its body is read (an `onRequest` hook): the
 * principal is then available to the handler (`principalOf`, or `principal` in a route's context).
 *
 * @example
 * installAccess(app, { authorize: async (request, scope) => checkBearer(request, scope) });
 * app.get('/healthz', { config: { scope: 'public' } }, async () => ({ status: 'ok' }));
 */
export function installAccess(app: FastifyInstance, options: AccessOptions): void {
  app.decorate('strataAccess', true);
  app.addHook('onRoute', (route: RouteOptions) => {
    const declared = (route.config as Record<string, unknown> | undefined)?.[ROUTE_SCOPE];
    if (declared === undefined && options.publicRoutes?.(route.url)) {
      route.config = { ...route.config, scope: 'public' };
      return;
    }
    if (!isRouteScope(declared)) {
      const method = [route.method].flat().join(',');
      throw new Error(
        declared === undefined
          ? `${method} ${route.url} declares no scope: every route says who may call it (scope: 'public', 'authenticated' or a scope such as 'catalog:read')`
          : `${method} ${route.url} declares the unknown scope ${JSON.stringify(declared)}`,
      );
    }
  });
  app.addHook('onRequest', async (request) => {
    const scope = routeScopeOf(request.routeOptions.config);
    // Unknown URLs (the not-found handler) have no scope: they answer 404 to anyone.
    if (scope === undefined || scope === 'public') return;
    if (request.routeOptions.config.deferAccess === true && options.defer?.(request)) {
      pending.set(request, { scope, authorize: options.authorize });
      return;
    }
    principals.set(request, await options.authorize(request, scope));
  });
}
