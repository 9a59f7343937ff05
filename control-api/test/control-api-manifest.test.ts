/**
 * A large case registered through the control API by a lot manifest (issue 18): lots in chunks, each
 * validated (problem+json naming the lot's index, nothing stored), stored once (the same chunk again
 * is a replay, another under its index a conflict), sealed (refused while a chunk is missing), then the
 * case registered by `manifestId`; its lots are read back in pages with their intake state. Every act
 * and refusal is in the audit chain. Real Temporal dev server, real PostgreSQL, HTTP through supertest.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createPool, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { startDevServer } from '../../test/support/temporal';
import { createDecisionActivities } from '../../workflows/src/activities/decision-signature';
import { createManifestActivities } from '../../workflows/src/activities/manifest-activities';
import { LotManifestStore, migrateManifests } from '../../workflows/src/manifest/store';
import { workflowsPath } from '../../workflows/src/worker/worker';
import { TEST_CONTROL_API_ENV, testAuditChain, testDecisionVerifyKeys } from '../../workflows/test/audit-support';
import { fakeServiceActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { manifestLot } from '../../workflows/test/manifest-case';
import { createControlApi } from '../src/app';
import { jwtAuthenticator } from '../src/auth';
import { ControlApiConfig, registrationDefaults } from '../src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer } from '../src/dev-issuer';

jest.setTimeout(300_000);

const PEOPLE = { 'officer.li': ['case-officer'], 'auditor.qian': ['auditor'] } as const;
type Person = keyof typeof PEOPLE;
const tokens = {} as Record<Person, string>;
const taskQueue = `manifest-api-${randomUUID()}`;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let app: Express;
let auditPool: Pool;
let manifestPool: Pool;
let audit: Awaited<ReturnType<typeof testAuditChain>>['audit'];

const as = (person: Person) => ({
  get: (url: string) => request(app).get(url).set('authorization', `Bearer ${tokens[person]}`),
  post: (url: string) => request(app).post(url).set('authorization', `Bearer ${tokens[person]}`),
});

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const chain = await testAuditChain('control_api_manifest');
  auditPool = chain.pool;
  audit = chain.audit;
  await migrateManifests(chain.databaseUrl);
  manifestPool = createPool(chain.databaseUrl, 'lot_manifests');
  const store = new LotManifestStore(manifestPool);
  env = await startDevServer();
  const fakes = fakeServiceActivities();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') }),
    activities: {
      ...fakes,
      ...createManifestActivities(store, fakes),
      ...createDecisionActivities(testDecisionVerifyKeys()),
    },
  });
  running = worker.run();
  const issuer = await createDevIssuer();
  for (const [sub, roles] of Object.entries(PEOPLE)) tokens[sub as Person] = await issuer.sign({ sub, roles });
  app = createControlApi({
    audit,
    manifests: store,
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
    client: env.client,
    taskQueue,
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
  });
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await auditPool?.end();
  await manifestPool?.end();
});

const chunkOf = (chunk: number, size: number) => ({
  chunk,
  lots: Array.from({ length: size }, (_, i) => manifestLot(chunk * size + i)),
});

test('lots registered in chunks and sealed start a case by manifest; its lots are read back in pages', async () => {
  const caseId = `MAPI-${randomUUID().slice(0, 8)}`;
  const officer = as('officer.li');
  const lots = `/v1/cases/${caseId}/lots`;

  // A bad lot: 400 naming the field and the lot's index; nothing of the chunk is stored.
  const bad = chunkOf(1, 400);
  bad.lots[17] = { ...manifestLot(417), declaredAmount: '-1' };
  const refused = await officer.post(lots).send(bad).expect(400);
  expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(refused.body.errors.map((e: { field: string }) => e.field)).toContain('lots[17].declaredAmount');
  // A chunk above 2,000 lots is refused by its count.
  const huge = await officer
    .post(lots)
    .send({ chunk: 9, lots: Array.from({ length: 2001 }, (_, i) => manifestLot(i)) });
  expect(huge.status).toBe(400);

  await officer.post(lots).send(chunkOf(0, 400)).expect(201);
  // Sealed too early: chunk 1 is missing.
  const early = await officer.post(`${lots}/seal`).send({ chunks: 2 }).expect(422);
  expect(early.body).toMatchObject({ type: 'urn:vcdc:problem:manifest-incomplete', missing: [1] });
  const first = await officer.post(lots).send(chunkOf(1, 400)).expect(201);
  // The same chunk again: the stored answer; other lots under its index: a conflict.
  const again = await officer.post(lots).send(chunkOf(1, 400)).expect(200);
  expect(again.body).toEqual({ ...first.body, replayed: true });
  await officer
    .post(lots)
    .send({ chunk: 1, lots: chunkOf(2, 400).lots })
    .expect(409);
  // A lot id already in another chunk names its index.
  const dup = await officer
    .post(lots)
    .send({ chunk: 2, lots: [manifestLot(5)] })
    .expect(400);
  expect(dup.body.errors).toEqual([{ field: 'lots[0].lotId', message: 'lot L000006 is already in another chunk' }]);

  const sealed = await officer.post(`${lots}/seal`).send({ chunks: 2 }).expect(201);
  expect(sealed.body).toMatchObject({
    caseId,
    lots: 800,
    chunks: 2,
    totals: [{ asset: 'BTC', lots: 800, declared: '0.016' }],
  });
  await officer.post(`${lots}/seal`).send({ chunks: 2 }).expect(200);
  const late = await officer.post(lots).send(chunkOf(2, 400)).expect(409);
  expect(late.body.type).toBe('urn:vcdc:problem:manifest-sealed');

  // Another case's manifest, or none: the registration names the field.
  const { caseId: _c, requestedBy: _r, lots: _l, ...rest } = sampleRegistration(caseId) as Record<string, unknown>;
  const wrong = await officer
    .post('/v1/cases')
    .send({ ...rest, caseId, manifestId: `lm-${'0'.repeat(32)}` })
    .expect(400);
  expect(wrong.body.errors[0].field).toBe('manifestId');
  await officer
    .post('/v1/cases')
    .send({ ...rest, caseId, manifestId: sealed.body.manifestId })
    .expect(201);

  // Pages: never more than 500; each lot with its intake state once the intake is done.
  await as('auditor.qian').get(`${lots}?page=0&pageSize=501`).expect(400);
  let page: request.Response | undefined;
  for (let i = 0; i < 240; i++) {
    page = await as('auditor.qian').get(`${lots}?page=1&pageSize=500`).expect(200);
    if (page.body.items[0]?.intakeState === 'RECORDED') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(page?.body).toMatchObject({ lots: 800, page: 1, pageSize: 500, pages: 2 });
  expect(page?.body.items).toHaveLength(300);
  expect(page?.body.items[0]).toMatchObject({ lotId: 'L000501', intakeState: 'RECORDED' });
  const status = await as('auditor.qian').get(`/v1/cases/${caseId}`).expect(200);
  expect(status.body.manifest).toMatchObject({ manifestId: sealed.body.manifestId, lots: 800 });
  expect(status.body.intakeProgress).toMatchObject({ lots: 800, recorded: 800 });

  const kinds = (await audit.list({ caseId, limit: 1000 })).map((r) => r.kind);
  expect(kinds).toEqual(
    expect.arrayContaining([
      'manifest.chunk.refused',
      'manifest.chunk',
      'manifest.seal.refused',
      'manifest.sealed',
      'case.registered',
    ]),
  );
  expect(kinds.filter((k) => k === 'manifest.chunk')).toHaveLength(2);
});
