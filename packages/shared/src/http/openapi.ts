/**
 * The OpenAPI 3.1 document of a service, generated from its route table: each route names the zod
 * schemas its handler validates with (body, path, query), and `z.toJSONSchema` turns them into the
 * document's JSON Schemas (OpenAPI 3.1 is JSON Schema 2020-12). One builder for every service and
 * the control API, so a contract is written once, in zod, and the document cannot say other than
 * what the route checks. Each service's test walks its express router (`mountedRoutes`) against its
 * table: a route mounted but not in the table, or in the table but not mounted, fails; so does a
 * body schema in the table that is not the one the route's Idempotency-Key layer parses with.
 */
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import type { RouteTable } from './routes';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiRoute {
  /** The route's stable name, its OpenAPI operationId (routeList gives it the name of its table entry). */
  operationId?: string;
  method: HttpMethod;
  /** The express path (`/v1/declarations/:id`); written `{id}` in the document. */
  path: string;
  summary: string;
  /** The path parameters' object schema; absent: each `:name` is a string. */
  params?: z.ZodType;
  /** The query's object schema. */
  query?: z.ZodType;
  /** The JSON body's schema: the one the route parses with. */
  body?: z.ZodType;
  /** Body fields the route fills itself (who asks: the caller's identity), left out of the documented body. */
  filledByServer?: readonly string[];
  /** The success answer's schema, where the contract has one. */
  response?: z.ZodType;
  /** The success status; absent: any 2xx. */
  status?: number;
  /** Whether the route takes an Idempotency-Key (default: required for a route with a body). */
  idempotencyKey?: 'required' | 'optional' | 'none';
}

/**
 * A named table as the list app.ts mounts and the document is made from: each route's name is its
 * operationId. Callers name the route (http/client.ts `routeClient`), never write its path again.
 */
export function routeList(routes: RouteTable): ApiRoute[] {
  return Object.entries(routes).map(([operationId, route]) => ({ operationId, ...route }));
}

export interface ApiDescription {
  title: string;
  version?: string;
  description?: string;
  routes: readonly ApiRoute[];
}

/** The routes the shared app shell (app.ts) mounts on every service, with the audit routes when it has a chain. */
export function shellRoutes(options: { audit?: readonly ApiRoute[] }): ApiRoute[] {
  return [
    { method: 'get', path: '/healthz', summary: 'Liveness: the process answers' },
    { method: 'get', path: '/readyz', summary: 'Readiness: database reachable, schema current, pool not starved' },
    { method: 'get', path: '/metrics', summary: 'Prometheus figures (counts and timings, never a case’s content)' },
    { method: 'get', path: '/openapi.json', summary: 'This document' },
    ...(options.audit ?? []),
  ];
}

/** `:name` → `{name}`, express 5's `{*name}` wildcard → `{name}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/\{\*(\w+)\}/g, '{$1}').replace(/:(\w+)/g, '{$1}');
}

type JsonSchema = Record<string, unknown>;

/** A zod schema as the JSON Schema of what a caller may send (`io: 'input'`: defaults are optional). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    // A transform or a custom check has no JSON Schema: it stays open ({}), the route still checks it.
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const PROBLEM = {
  type: 'object',
  description: 'RFC 9457 problem details; `errors` names each bad field',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
        required: ['field', 'message'],
      },
    },
  },
  required: ['type', 'title', 'status'],
};

function parameters(route: ApiRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  const params = route.params ? jsonSchemaOf(route.params) : undefined;
  const pathProps = (params?.properties ?? {}) as Record<string, JsonSchema>;
  for (const [, name] of openApiPath(route.path).matchAll(/\{(\w+)\}/g)) {
    out.push({ name, in: 'path', required: true, schema: pathProps[name as string] ?? { type: 'string' } });
  }
  if (route.query) {
    const query = jsonSchemaOf(route.query);
    const required = new Set((query.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) {
      out.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  const key = route.idempotencyKey ?? (route.body ? 'required' : 'none');
  if (key !== 'none') {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: key === 'required',
      description: 'A repeat with the same key and body gets the stored answer; with another body, 409',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
    });
  }
  return out;
}

function withoutFields(schema: JsonSchema, fields: readonly string[] = []): JsonSchema {
  if (fields.length === 0) return schema;
  const properties = { ...(schema.properties as Record<string, unknown>) };
  for (const field of fields) delete properties[field];
  const required = ((schema.required as string[] | undefined) ?? []).filter((f) => !fields.includes(f));
  return { ...schema, properties, required };
}

function operation(route: ApiRoute): JsonSchema {
  const params = parameters(route);
  const success = route.response
    ? { description: 'Done', content: { 'application/json': { schema: jsonSchemaOf(route.response, 'output') } } }
    : { description: 'Done' };
  return {
    summary: route.summary,
    operationId: route.operationId ?? `${route.method} ${route.path}`,
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: withoutFields(jsonSchemaOf(route.body), route.filledByServer) } },
          },
        }
      : {}),
    responses: {
      [route.status === undefined ? '2XX' : String(route.status)]: success,
      default: {
        description: 'A refusal or a fault',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    },
  };
}

/** The document, from a route table. Two entries for one method and path, or one name for two routes, is a mistake in the table: thrown. */
export function openApiDocument(api: ApiDescription): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const names = new Set<string>();
  for (const route of api.routes) {
    if (route.operationId !== undefined) {
      if (names.has(route.operationId)) throw new Error(`${route.operationId} names two routes of the table`);
      names.add(route.operationId);
    }
    const at = openApiPath(route.path);
    paths[at] ??= {};
    const item = paths[at] as Record<string, JsonSchema>;
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is in the route table twice`);
    item[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: api.title,
      version: api.version ?? '1',
      ...(api.description ? { description: api.description } : {}),
    },
    paths,
    components: { schemas: { Problem: PROBLEM } },
  };
}

/** Marks a handler with the body schema it parses with, so `mountedRoutes` can compare it to the table. */
const BODY_SCHEMA = Symbol.for('vcdc.bodySchema');

export function withBodySchema<H extends RequestHandler>(handler: H, schema: z.ZodType): H {
  return Object.assign(handler, { [BODY_SCHEMA]: schema });
}

export interface MountedRoute {
  method: HttpMethod;
  path: string;
  /** The schema a handler of the route parses the body with (the Idempotency-Key layers mark theirs). */
  body?: z.ZodType;
}

interface StackLayer {
  rawPath?: unknown;
  handle: RequestHandler & { stack?: StackLayer[]; [BODY_SCHEMA]?: z.ZodType };
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: StackLayer[] };
}

/**
 * Every route an express app mounts, read off its router's stack (express 5: `app.router.stack`),
 * nested routers included. A prefix mounted with a plain function (`app.use('/x', fn)`) is listed in
 * `prefixes`: what it serves is for the caller to know.
 */
export function mountedRoutes(app: Express): { routes: MountedRoute[]; prefixes: string[] } {
  const routes: MountedRoute[] = [];
  const prefixes: string[] = [];
  const walk = (stack: StackLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        const body = layer.route.stack.map((l) => l.handle[BODY_SCHEMA]).find((s) => s !== undefined);
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          for (const p of paths)
            routes.push({ method: method as HttpMethod, path: prefix + p, ...(body ? { body } : {}) });
        }
      } else if (typeof layer.rawPath === 'string' && layer.rawPath !== '/') {
        if (Array.isArray(layer.handle.stack)) walk(layer.handle.stack, prefix + layer.rawPath);
        else prefixes.push(prefix + layer.rawPath);
      } else if (Array.isArray(layer.handle.stack)) {
        walk(layer.handle.stack, prefix);
      }
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, '');
  return { routes, prefixes };
}
