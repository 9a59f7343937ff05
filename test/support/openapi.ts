/**
 * What every service's OpenAPI test checks (shared http/openapi.ts): the document GET /openapi.json
 * answers lists exactly the routes the express app mounts (its router's stack walked), each body
 * schema is the JSON Schema of the one the route's Idempotency-Key layer parses with, and every
 * `$ref` in it resolves.
 */
import type { Express } from 'express';
import request from 'supertest';
import { jsonSchemaOf, mountedRoutes, openApiPath } from '../../packages/shared/src';

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}
export interface Operation {
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}
export interface JsonSchema {
  type?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
}

export async function fetchDocument(app: Express, headers: Record<string, string> = {}): Promise<OpenApiDocument> {
  const res = await request(app).get('/openapi.json').set(headers);
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  return res.body as OpenApiDocument;
}

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/**
 * `prefixes`: the paths the app mounts with a plain function (`app.use('/codec', cors)`); `opaque`:
 * those of them that serve routes the stack does not show (a router picked per request), whose
 * documented routes the test checks itself.
 */
export function expectDocumentOfMountedRoutes(
  app: Express,
  doc: OpenApiDocument,
  { prefixes = [], opaque = [] }: { prefixes?: string[]; opaque?: string[] } = {},
): void {
  const mounted = mountedRoutes(app);
  expect(mounted.prefixes).toEqual(prefixes);
  const documented = Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => key(method, path)))
    .filter((k) => !opaque.some((p) => k.split(' ')[1]?.startsWith(openApiPath(p))))
    .sort();
  const served = mounted.routes.map((r) => key(r.method, openApiPath(r.path))).sort();
  expect(served).toEqual(documented);
  expect(new Set(served).size).toBe(served.length);
  for (const route of mounted.routes) {
    if (!route.body) continue;
    const operation = doc.paths[openApiPath(route.path)]?.[route.method];
    expect({
      route: key(route.method, route.path),
      schema: operation?.requestBody?.content['application/json'].schema,
    }).toEqual({
      route: key(route.method, route.path),
      schema: jsonSchemaOf(route.body),
    });
  }
  // Every $ref points into the document (z.toJSONSchema's own `#/$defs` would not, inside OpenAPI).
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
  for (const ref of refs) {
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], doc);
    expect({ ref, resolves: target !== undefined }).toEqual({ ref, resolves: true });
  }
}

/** The body schema the document gives a route. */
export function bodySchemaOf(doc: OpenApiDocument, method: string, path: string): JsonSchema {
  const schema = doc.paths[path]?.[method]?.requestBody?.content['application/json'].schema;
  if (!schema) throw new Error(`${method} ${path} has no body schema in the document`);
  return schema;
}
