/**
 * The CLI calls the control API through its route table: every name it may call (control-api/src/paths.ts)
 * is a route of the table the control API mounts and documents, with the same method, and a call is
 * sent to that route's path, filled from its parameters. A name not in the table, a missing parameter
 * or a query key the route does not take does not compile (the `@ts-expect-error`s below).
 */

import { controlApiRoutes } from '@vcdc/control-api/api';
import { CONTROL_API_PATHS } from '@vcdc/control-api/paths';
import { openApiDocument } from '@vcdc/shared';
import { ApiError, ControlApiClient } from '../src/vcdc';

test('every route the CLI may name is a route of the control API’s table, same method, named so', () => {
  const table = controlApiRoutes({ codec: false, jwks: false });
  for (const [name, { method, path }] of Object.entries(CONTROL_API_PATHS)) {
    expect({
      name,
      route: table.find((r) => r.operationId === name && r.method === method && r.path === path),
    }).toEqual({ name, route: expect.objectContaining({ method, path }) });
  }
  // The document names each operation so; a name given twice is refused.
  const doc = openApiDocument({ title: 't', routes: table }) as { paths: Record<string, Record<string, unknown>> };
  expect(doc.paths['/v1/cases/{caseId}']?.get).toMatchObject({ operationId: 'getCase' });
  const [first] = table;
  expect(() => openApiDocument({ title: 't', routes: [first!, { ...first!, path: '/elsewhere' }] })).toThrow(
    'names two routes',
  );
});

test('a call goes to its route’s path, parameters encoded, empty options left out, the key as its header', async () => {
  const sent: Array<{ method: string; url: string; key: string | null; body: unknown }> = [];
  const api = new ControlApiClient('http://control.test/', 't', async (input, init) => {
    sent.push({
      method: init?.method ?? 'GET',
      url: String(input),
      key: new Headers(init?.headers).get('idempotency-key'),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  });
  await api.call('getCase', { params: { caseId: 'C 1/x' } });
  await api.call('listCases', { query: { status: 'RUNNING', agency: '', stage: undefined } });
  await api.call('custody.whitelist.approve', { params: { entryId: 'WL-1' }, body: {}, idempotencyKey: 'k1' });
  expect(sent).toEqual([
    { method: 'GET', url: 'http://control.test/v1/cases/C%201%2Fx', key: null, body: undefined },
    { method: 'GET', url: 'http://control.test/v1/cases?status=RUNNING', key: null, body: undefined },
    { method: 'POST', url: 'http://control.test/v1/custody/whitelist/WL-1/approvals', key: 'k1', body: {} },
  ]);
});

test('a refusal is an ApiError a person reads; no answer at all says which API could not be reached', async () => {
  const answering = (res: Response) => new ControlApiClient('http://control.test', 't', async () => res);
  const problem = { type: 'urn:vcdc:problem:forbidden', title: 'Not allowed', status: 403, detail: 'not yours' };
  const refused = answering(
    new Response(JSON.stringify(problem), { status: 403, headers: { 'content-type': 'application/problem+json' } }),
  );
  const denial = await refused.call('getCase', { params: { caseId: 'C1' } }).catch((e: unknown) => e);
  expect(denial).toBeInstanceOf(ApiError);
  expect(denial).toMatchObject({ status: 403, problem, message: 'Not allowed: not yours' });
  const proxy = answering(new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
  const error = await proxy.call('getCase', { params: { caseId: 'C1' } }).catch((e: unknown) => e);
  expect(error).toMatchObject({ status: 502, message: 'HTTP 502 Bad Gateway', problem: undefined });
  const down = new ControlApiClient('http://control.test', 't', async () => {
    throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:7100') });
  });
  await expect(down.call('listCases')).rejects.toThrow(
    'cannot reach the control API at http://control.test: connect ECONNREFUSED 127.0.0.1:7100',
  );
});

/** Never run: what tsc refuses (`npx tsc -p tsconfig.json --noEmit` fails if any of these compiles). */
export function refusedAtCompileTime(api: ControlApiClient): void {
  // @ts-expect-error a route that is not in the control API's table
  void api.call('getCases', { params: { caseId: 'C1' } });
  // @ts-expect-error a path parameter missing
  void api.call('getCase', { params: {} });
  // @ts-expect-error a query key the route does not take
  void api.call('listCases', { query: { state: 'RUNNING' } });
  // @ts-expect-error a decision without its stage
  void api.call('decide', { params: { caseId: 'C1' }, body: { outcome: 'APPROVE' } });
}
