/**
 * The control API's guarded routes, mounted by name: each mount takes its method and path from the
 * route table (paths.ts) and its access check from the matrix (access.ts, keyed by the same names),
 * so a path is written once. The codec's two routes are mounted by the codec server itself
 * (@vcdc/workflows codec-server.ts), guarded by their names here.
 */
import { CODEC_ROUTES } from '@vcdc/workflows/codec/codec-server';
import type { Express, RequestHandler } from 'express';
import { CONTROL_API_PATHS } from './paths';

/** Every route that needs a person: the table's and the codec's, by name. */
export const GUARDED_ROUTES = { ...CONTROL_API_PATHS, ...CODEC_ROUTES } as const;
export type GuardedRoute = keyof typeof GUARDED_ROUTES;
export type ControlApiRoute = keyof typeof CONTROL_API_PATHS;

/**
 * The route as refusals name it (`POST /v1/cases`): in the 403's `endpoint` and the audit chain's
 * `access.refused` records, which read as they did when the matrix was keyed by it.
 */
export function endpointOf(route: GuardedRoute): string {
  const { method, path } = GUARDED_ROUTES[route];
  return `${method.toUpperCase()} ${path}`;
}

/** Authenticates the caller and checks the access matrix for the route (app.ts `guard`). */
export type Guard = (route: GuardedRoute) => RequestHandler;
/** Mounts a route of the table by its name, behind its guard. */
export type Mount = (route: ControlApiRoute, ...handlers: RequestHandler[]) => void;

export function guardedMount(app: Express, guard: Guard): Mount {
  return (route, ...handlers) => {
    const { method, path } = CONTROL_API_PATHS[route];
    // By the table's method, whichever it is: a PUT or DELETE added to the table mounts as what it says.
    app[method](path, guard(route), ...handlers);
  };
}
