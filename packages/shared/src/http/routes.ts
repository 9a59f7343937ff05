/**
 * A call of a route of a table (openapi.ts `ApiRoute`), typed by the route's schemas: the path's
 * `:params` and the query's keys (strings, as on the wire), the body (the schema's input), whether an
 * Idempotency-Key is needed, and the answer (the response schema's output). No I/O and no runtime
 * import here: the services' client (client.ts routeClient) and the CLI's (cli/src/vcdc.ts)
 * both call routes with it, and the CLI starts without loading the tracing SDK or pg.
 */
import type { z } from 'zod';
import type { ApiRoute } from './openapi';

/** The header a call's Idempotency-Key travels in (idempotency.ts reads it, the clients send it). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** A route table by name: each service's api.ts exports one (the list app.ts mounts is made from it). */
export type RouteTable = Readonly<Record<string, ApiRoute>>;

/** The `:name` parameters of an express path, as a union of names (`never` when it has none). */
type PathParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** A query as sent: the schema's keys (optional where the schema says so), each value a string. */
type QueryValues<Q> = { [K in keyof Q]: undefined extends Q[K] ? string | undefined : string };

type ParamsPart<R extends ApiRoute> = [PathParamNames<R['path']>] extends [never]
  ? unknown
  : { params: { [K in PathParamNames<R['path']>]: string } };
type QueryPart<R extends ApiRoute> = R extends { query: infer Q extends z.ZodType }
  ? object extends z.input<Q>
    ? { query?: QueryValues<z.input<Q>> }
    : { query: QueryValues<z.input<Q>> }
  : unknown;
/** The body: the schema's input less what the server fills in; a mutating route without a schema takes any. */
type BodyPart<R extends ApiRoute> = R extends { body: infer B extends z.ZodType }
  ? { body: R extends { filledByServer: readonly (infer F extends string)[] } ? Omit<z.input<B>, F> : z.input<B> }
  : R['method'] extends 'get' | 'delete'
    ? unknown
    : { body?: unknown };
/** The Idempotency-Key: required by default on a route with a body (as the service's layer requires it). */
type KeyPart<R extends ApiRoute> = R extends { idempotencyKey: 'none' }
  ? unknown
  : R extends { idempotencyKey: 'optional' }
    ? { idempotencyKey?: string }
    : R extends { idempotencyKey: 'required' }
      ? { idempotencyKey: string }
      : R extends { body: z.ZodType }
        ? { idempotencyKey: string }
        : unknown;

/** What a call of the route takes: `params`, `query`, `body`, `idempotencyKey`, as its schemas say. */
export type RouteInput<R extends ApiRoute> = ParamsPart<R> & QueryPart<R> & BodyPart<R> & KeyPart<R>;
/** What a call of the route answers: its response schema's output (unknown where the table has none). */
export type RouteOutput<R extends ApiRoute> = R extends { response: infer S extends z.ZodType } ? z.output<S> : unknown;
/** The input argument: optional when every part of it is. */
export type RouteArgs<R extends ApiRoute> =
  object extends RouteInput<R> ? [input?: RouteInput<R>] : [input: RouteInput<R>];

/** What a call takes, as the transport sees it. */
export interface LooseRouteInput {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
  idempotencyKey?: string;
}

/** The route's path with its `:params` filled in, each encoded (an id never adds a path segment). */
export function routePath(route: Pick<ApiRoute, 'method' | 'path'>, params: Record<string, string> = {}): string {
  return route.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.method.toUpperCase()} ${route.path}: no value for :${name}`);
    return encodeURIComponent(value);
  });
}

/** The path with its query (undefined values left out). */
export function withQuery(path: string, query: Record<string, string | undefined> | undefined): string {
  const qs = query
    ? new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString()
    : '';
  return qs ? `${path}?${qs}` : path;
}
