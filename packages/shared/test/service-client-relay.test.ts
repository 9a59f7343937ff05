/**
 * ServiceClient.relay, for a caller that passes a service's answer on (the control API's forwarded
 * acts) or sorts it by status itself (the desk client): the answer whatever its status, this call's
 * own headers beside the client's, a redirect answered and not followed, only no answer thrown; and a
 * call's own deadline (`signal`) in place of the client's timeout.
 */
import express from 'express';
import { listen, type RunningServer, routeClient, ServiceCallError, ServiceClient } from '../src';

let server: RunningServer;
const got: Array<{ path: string; headers: Record<string, string | string[] | undefined>; body: unknown }> = [];

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.post('/v1/things/:id/refusal', (req, res) => {
    got.push({ path: req.path, headers: req.headers, body: req.body });
    res.status(409).type('application/problem+json').set('Idempotent-Replayed', 'true').send('{"type":"urn:t:taken"}');
  });
  app.get('/v1/moved', (_req, res) => res.redirect(302, '/v1/elsewhere'));
  app.get('/v1/elsewhere', (_req, res) => res.json({ followed: true }));
  app.get('/v1/slow', (_req, res) => {
    setTimeout(() => res.json({ late: true }), 300);
  });
  server = await listen(app, 0);
});
afterAll(() => server?.close());

const client = (timeoutMs = 2_000) =>
  new ServiceClient({ service: 'things', baseUrl: server.url, timeoutMs, headers: { authorization: 'Bearer t' } });

test('a refusal is answered as it came, with the call’s own headers and key sent beside the client’s', async () => {
  const answer = await client().relay('POST', '/v1/things/a%2Fb/refusal', {
    body: { n: 1 },
    idempotencyKey: 'k-1',
    headers: { 'VCDC-Act': 'signed' },
  });
  expect(answer.status).toBe(409);
  expect(answer.text).toBe('{"type":"urn:t:taken"}');
  expect(answer.headers.get('content-type')).toMatch(/problem\+json/);
  expect(answer.headers.get('idempotent-replayed')).toBe('true');
  expect(got.at(-1)).toMatchObject({
    path: '/v1/things/a%2Fb/refusal',
    body: { n: 1 },
    headers: { authorization: 'Bearer t', 'idempotency-key': 'k-1', 'vcdc-act': 'signed' },
  });
  // `request` throws the same answer as a ServiceCallError.
  await expect(client().request('POST', '/v1/things/x/refusal', {}, 'k-2')).rejects.toMatchObject({ status: 409 });
});

test('a route client relays by route name, its path filled from the table', async () => {
  const things = routeClient(client(), {
    refuse: { method: 'post', path: '/v1/things/:id/refusal', summary: 't', idempotencyKey: 'none' },
  } as const);
  const answer = await things.relay('refuse', { params: { id: 'a b' }, body: {} });
  expect(answer.status).toBe(409);
  expect(got.at(-1)?.path).toBe('/v1/things/a%20b/refusal');
});

test('a redirect is answered, not followed', async () => {
  const answer = await client().relay('GET', '/v1/moved');
  expect(answer.status).toBe(302);
  expect(answer.headers.get('location')).toBe('/v1/elsewhere');
});

test('no answer is thrown (status 0); a call’s own deadline replaces the client’s timeout', async () => {
  const gone = new ServiceClient({ service: 'gone', baseUrl: 'http://127.0.0.1:9' });
  const refused = await gone.relay('GET', '/v1/x').catch((e: unknown) => e);
  expect(refused).toMatchObject({ name: 'ServiceCallError', status: 0 });
  // What failed is the standard `error.cause`, and only there.
  expect((refused as ServiceCallError).cause).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  expect(refused).not.toHaveProperty('details');
  // The client would wait 2 s; the call's own signal gives up at 50 ms.
  const started = Date.now();
  const late = client().relay('GET', '/v1/slow', { signal: AbortSignal.timeout(50) });
  await expect(late).rejects.toBeInstanceOf(ServiceCallError);
  expect(Date.now() - started).toBeLessThan(290);
  // And a call's signal that allows more time than the client's timeout is the one that holds.
  await expect(client(50).relay('GET', '/v1/slow', { signal: AbortSignal.timeout(2_000) })).resolves.toMatchObject({
    status: 200,
  });
});
