/**
 * The control API calls the services through their route tables (service-clients.ts), as the
 * activities do (workflows/test/activity-routes.test.ts): every request it sends to a service, run for
 * real against a stand-in, is a route of that service's table (the one the service mounts and
 * documents; its openapi test holds the two together) with the same method. Run here: the books'
 * reads, the reports' (best execution, FX waterfalls, treasury and victim statements), the inbox's
 * lists, every forwarded act, the whitelist and register reads, the audit-chain verification and the
 * register read custody and fx make. A path written by hand that no service serves, or served with
 * another method, fails here.
 */
import { ACT_KINDS, AUDIT_ROUTES, HttpProviderRegister, routeList } from '@vcdc/shared';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import express from 'express';
import request from 'supertest';
import { testActKeys } from '../../test/support/acts';
import { SERVICES, servedByTables, useServiceStandIn } from '../../test/support/service-stand-in';
import { FORWARDED_ACTS, forwardedRoute, mountForwardedActs } from '../src/acts';
import { verifyAuditChains } from '../src/audit-chains';
import type { Identity } from '../src/auth';
import { readBookRecords } from '../src/case-books';
import {
  caseBestExecution,
  caseDeclarations,
  caseTreasuryStatement,
  caseVictimStatements,
  caseWaterfalls,
} from '../src/case-reports';
import type { GuardedRoute } from '../src/mount';
import { mountPendingActs } from '../src/pending-acts';
import { SERVICE_ROUTES, type ServiceTargets } from '../src/service-clients';

/** What every service's shell mounts beside its table: the audit routes. */
const servedBy = servedByTables(routeList(AUDIT_ROUTES));

const standIn = useServiceStandIn();
const { seen } = standIn;
beforeEach(() => {
  seen.length = 0;
});

const targets = (): ServiceTargets =>
  Object.fromEntries(SERVICES.map((s) => [s, { url: `${standIn.url}/${s}`, token: 'control-api-credential' }]));

const unserved = () =>
  seen.filter((s) => !servedBy(s.service, s.method, s.path)).map((s) => `${s.method} ${s.service} ${s.path}`);

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Every role an act or list needs: the stand-in person may take every act, so each reaches its service. */
const EVERY_ROLE = [...new Set(Object.values(ACT_KINDS).flatMap((k) => [...k.roles]))];
const person: Identity = { id: 'p.person', roles: EVERY_ROLE as Identity['roles'], unit: 'custody' };
const letIn = (_route: GuardedRoute) => (_req: express.Request, res: express.Response, next: express.NextFunction) => {
  res.locals.identity = person;
  next();
};

test('every read of the books, the reports and the inbox is a route of its service’s table', async () => {
  const services = targets();
  const progress = {
    restitutionOrder: { restitutionOrderId: 'R/1', victims: [{ victimId: 'V 1' }] },
  } as unknown as CaseProgress;
  const reads: Array<[string, () => Promise<unknown>]> = [
    ['books', () => readBookRecords('C1', services)],
    ['best execution', () => caseBestExecution('C1', services)],
    ['declarations', () => caseDeclarations('C1', services)],
    ['waterfalls', () => caseWaterfalls('C1', services, [{ declarationId: 'D1' }] as never)],
    ['treasury statement', () => caseTreasuryStatement('C1', services)],
    ['victim statements', () => caseVictimStatements(progress, services)],
  ];
  for (const [name, read] of reads) {
    const before = seen.length;
    // The stand-in refuses: each read is a 502 naming the service, after its request was sent.
    await expect(read()).rejects.toMatchObject({ status: 502, type: expect.stringMatching(/service-unanswered$/) });
    expect([name, seen.length > before]).toEqual([name, true]);
  }
  const inbox = express();
  mountPendingActs(inbox, { guard: letIn, services });
  const answer = await request(inbox).get('/v1/acts/pending?caseId=C1');
  expect(answer.status).toBe(200);
  expect(answer.body.unavailable.map((u: { service: string }) => u.service).sort()).toEqual([
    'custody',
    'fx',
    'treasury',
  ]);
  // The books read four services at once and refuse at the first refusal: the other three answer after.
  await until(() => seen.filter((s) => s.path.startsWith('/v1/cases/C1/')).length >= 7);
  expect(unserved()).toEqual([]);
  // The ids went into the path encoded, and the inbox's filter as the route's query.
  expect(seen).toContainEqual({
    service: 'treasury',
    method: 'get',
    path: '/v1/restitution-orders/R%2F1/victims/V%201/statement',
  });
  expect(seen.filter((s) => s.service === 'custody').map((s) => s.path)).toEqual([
    '/v1/cases/C1/ledger',
    '/v1/intakes',
  ]);
});

test('every forwarded act goes to a POST route of its service’s table, with the same path parameters', async () => {
  for (const act of FORWARDED_ACTS) {
    const route = forwardedRoute(act);
    expect([act.kind, route.method]).toEqual([act.kind, 'post']);
    const names = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]).sort();
    expect([act.kind, names(route.path)]).toEqual([act.kind, names(act.path)]);
    expect(Object.keys(SERVICE_ROUTES[act.service])).toContain(act.route);
  }
});

test('every forwarded act and every relayed read, sent for real, is a route of its service’s table', async () => {
  const app = express();
  app.use(express.json());
  mountForwardedActs(app, {
    guard: letIn,
    audit: { append: async () => undefined } as never,
    signingKey: testActKeys().signingKey,
    services: targets(),
  });
  for (const act of FORWARDED_ACTS) {
    const path = act.path.replace(/:(\w+)/g, 'X-1');
    const answer = await request(app).post(path).send({});
    // The stand-in's refusal is relayed as it came.
    expect([act.kind, answer.status]).toEqual([act.kind, 422]);
  }
  for (const path of [
    '/v1/providers',
    '/v1/providers/changes?status=PROPOSED',
    '/v1/providers/P-1',
    '/v1/custody/whitelist?chain=bitcoin',
    '/v1/custody/whitelist/E-1',
  ]) {
    expect([path, (await request(app).get(path)).status]).toEqual([path, 422]);
  }
  expect(seen).toHaveLength(FORWARDED_ACTS.length + 5);
  expect(unserved()).toEqual([]);
});

test('the audit chains and the register are asked on their named routes', async () => {
  const verification = await verifyAuditChains(
    [],
    SERVICES.map((s) => ({ chain: s, url: `${standIn.url}/${s}` })),
  );
  expect(verification.chains.map((c) => c.error)).toEqual(SERVICES.map(() => 'answered 422'));
  const register = new HttpProviderRegister({ url: `${standIn.url}/exchange` });
  await expect(register.entryInForce('P-1')).rejects.toMatchObject({
    type: expect.stringMatching(/provider-register-unavailable$/),
  });
  expect(seen).toHaveLength(SERVICES.length + 1);
  expect(unserved()).toEqual([]);
});

test('the check refuses a path no table has, and a known path with another method', () => {
  expect(servedBy('fx', 'get', '/v1/cases/C1/declarations')).toBe(true);
  expect(servedBy('fx', 'post', '/v1/cases/C1/declarations')).toBe(false);
  expect(servedBy('treasury', 'get', '/v1/cases/C1/declarations')).toBe(false);
  expect(servedBy('custody', 'get', '/v1/whitelists')).toBe(false);
  expect(servedBy('exchange', 'get', '/v1/audit/verify')).toBe(true);
});
