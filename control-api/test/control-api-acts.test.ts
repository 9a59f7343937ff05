/**
 * People's acts forwarded by the control API (acts.ts), against a real little service on loopback
 * that does what custody and the treasury do with them: verifies the `VCDC-Act` header with
 * `requireAct` (signature, kind, role, window, and that it was signed over exactly this method, path
 * and body), then echoes what it got. The control API's audit chain is on real PostgreSQL; Temporal
 * is never reached (the client points nowhere).
 */
import {
  ACT_HEADER,
  type ActKind,
  type AuditChain,
  type AuditRecord,
  actContentSha256,
  actOf,
  decodeActHeader,
  listen,
  type Pool,
  Problem,
  problemHandler,
  type RunningServer,
  requestContent,
  requireAct,
  silentLogger,
  verifySignedAct,
} from '@vcdc/shared';
import express, { type Express } from 'express';
import request from 'supertest';
import { PEOPLE, testActKeys } from '../../test/support/acts';
import { requestsAs, testControlApiDeps, unreachableTemporal } from '../../test/support/control-api-harness';
import { testAuditChain } from '../../workflows/test/audit-support';
import { ENDPOINT_ROLES } from '../src/access';
import { FORWARDED_ACTS } from '../src/acts';
import { createControlApi } from '../src/app';
import { createDevIssuer, DEV_USERS, type DevIssuer } from '../src/dev-issuer';

const keys = testActKeys();
const SERVICE_TOKEN = 'custody-service-credential-0123456789';
const TREASURY_TOKEN = 'treasury-service-credential-0123456789';
const AT = '2026-01-05T10:00:00.000Z';

interface Received {
  method: string;
  path: string;
  query: Record<string, unknown>;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  actHeader: string | undefined;
  body: unknown;
}

let service: RunningServer;
let received: Received[] = [];
let temporal: ReturnType<typeof unreachableTemporal>;
let audit: AuditChain;
let pool: Pool;
let issuer: DevIssuer;
let app: Express;

/** The stand-in service: every act route verifies the act as custody and the treasury do, and echoes it. */
function stubService(): Express {
  const stub = express();
  stub.use(express.json());
  stub.use((req, _res, next) => {
    received.push({
      method: req.method,
      path: req.path,
      query: { ...req.query },
      authorization: req.get('authorization'),
      idempotencyKey: req.get('idempotency-key'),
      actHeader: req.get(ACT_HEADER),
      body: req.body,
    });
    next();
  });
  const act = (path: string, kind: ActKind, param?: string) =>
    stub.post(
      path,
      requireAct({
        keys: keys.verifyKeys,
        kind,
        ...(param ? { object: (req) => ({ id: String(req.params[param]) }) } : {}),
      }),
      (req, res) => {
        if (req.params[param ?? ''] === 'WL-REFUSED') {
          throw new Problem(409, 'whitelist-self-approval', 'Approval refused', 'the requester may not approve');
        }
        res.status(201).json({ act: actOf(res), body: req.body });
      },
    );
  act('/v1/whitelist', 'custody.whitelist.request');
  act('/v1/whitelist/:entryId/approvals', 'custody.whitelist.approve', 'entryId');
  act('/v1/whitelist/:entryId/revocation', 'custody.whitelist.revoke', 'entryId');
  act('/v1/attestations', 'custody.intake.attest');
  act('/v1/intakes/:intakeId/difference', 'custody.intake.classify', 'intakeId');
  act('/v1/intakes/:intakeId/difference/countersignatures', 'custody.intake.countersign', 'intakeId');
  act('/v1/intakes/:intakeId/evidence', 'custody.evidence.correct', 'intakeId');
  act('/v1/corrections', 'treasury.correction.request');
  act('/v1/corrections/:correctionId/approval', 'treasury.correction.approve', 'correctionId');
  stub.get('/v1/whitelist', (req, res) => {
    res.json({ entries: [{ entryId: 'WL-1', chain: req.query.chain ?? 'bitcoin', status: 'ACTIVE' }] });
  });
  // The lists of what waits (pending-acts.ts): two classified intakes, one treasury correction, each as
  // custody's and treasury's contracts say (the control API parses them with the routes' response schemas).
  const intake = (intakeId: string, receivedBy: string) => ({
    intakeId,
    caseId: 'CASE-P-1',
    lotId: `LOT-${intakeId}`,
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: '1',
    receivedAmount: '0.9',
    difference: '-0.1',
    status: 'DISCREPANCY',
    txHash: `tx-${intakeId}`,
    confirmations: 6,
    evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.zhang', receivedBy, documents: [] },
    differenceStatus: 'CLASSIFIED',
    countersignatures: [
      { classificationId: `CL-${intakeId}`, role: 'handing-officer', signedBy: 'officer.zhang', signedAt: AT },
    ],
    recordedAt: AT,
    countersigners: { 'handing-officer': 'officer.zhang', custodian: receivedBy },
  });
  stub.get('/v1/intakes', (_req, res) => {
    res.json({
      intakes: [
        intake('IN-CHEN', 'custodian.chen'),
        intake('IN-LIU', 'custodian.liu'),
        // The evidence in force names chen, where the original named liu: chen countersigns.
        {
          ...intake('IN-CORRECTED', 'custodian.liu'),
          countersigners: { 'handing-officer': 'officer.zhang', custodian: 'custodian.chen' },
        },
      ],
    });
  });
  stub.get('/v1/corrections', (_req, res) => {
    res.json({
      corrections: [
        {
          correctionId: 'TC-1',
          caseId: 'CASE-P-1',
          line: 1,
          correctedAmount: '90.00',
          reason: 'wrong amount',
          author: 'treasury.officer.sun',
          status: 'PENDING_APPROVAL',
          requestedAt: AT,
        },
      ],
    });
  });
  stub.get('/v1/whitelist/:entryId', (req, res) => {
    res.json({ entryId: req.params.entryId, status: 'PENDING_APPROVAL' });
  });
  stub.use(problemHandler(silentLogger()));
  return stub;
}

function controlApi(services: Parameters<typeof createControlApi>[0]['actServices']): Express {
  return createControlApi({
    ...testControlApiDeps({ audit, issuer, client: temporal.client, decisionSigningKey: keys.signingKey }),
    actServices: services,
  });
}

beforeAll(async () => {
  service = await listen(stubService(), 0);
  issuer = await createDevIssuer();
  temporal = unreachableTemporal();
  ({ audit, pool } = await testAuditChain('control_api_acts'));
  app = controlApi({
    custody: { url: service.url, token: SERVICE_TOKEN },
    treasury: { url: service.url, token: TREASURY_TOKEN },
  });
});

afterAll(async () => {
  await service?.close();
  await temporal?.connection.close();
  await pool?.end();
});

beforeEach(() => {
  received = [];
});

async function headSeq(): Promise<number> {
  let seq = 0;
  for (let page = await audit.list(); page.length > 0; page = await audit.list({ afterSeq: seq })) {
    seq = page.at(-1)?.seq ?? seq;
  }
  return seq;
}
const recordedSince = (seq: number): Promise<AuditRecord[]> => audit.list({ afterSeq: seq });

const as = async (person: string) => requestsAs(app, await issuer.mint(person));

test('the dev issuer seeds every person the tests and the demo act as, with their roles and units', () => {
  for (const person of Object.values(PEOPLE)) {
    expect(DEV_USERS[person.id]).toMatchObject({ unit: person.unit });
    expect(DEV_USERS[person.id]?.roles).toContain(person.role);
  }
  expect(DEV_USERS['auditor.qian']?.roles).toEqual(['auditor']);
  expect(DEV_USERS['operator.he']?.roles).toEqual(['operator']);
  for (const user of Object.values(DEV_USERS)) expect(user.unit).toMatch(/^[a-z-]+$/);
});

test('every forwarded act has its access-matrix row, with exactly the roles of its act kind', async () => {
  const { ACT_KINDS } = await import('@vcdc/shared');
  for (const route of FORWARDED_ACTS) {
    expect([...ENDPOINT_ROLES[route.kind]].sort()).toEqual([...ACT_KINDS[route.kind].roles].sort());
  }
});

describe('a custodian approves a whitelist entry through the control API', () => {
  test('the service verifies an act signed for the token’s person, role and unit over exactly what it received', async () => {
    const before = await headSeq();
    const res = await (await as('custodian.liu'))
      .post('/v1/custody/whitelist/WL-7/approvals')
      .set('idempotency-key', 'approve-WL-7')
      .send({});
    expect(res.status).toBe(201);
    expect(received).toHaveLength(1);
    const got = received[0] as Received;
    expect(got).toMatchObject({
      method: 'POST',
      path: '/v1/whitelist/WL-7/approvals',
      authorization: `Bearer ${SERVICE_TOKEN}`,
      idempotencyKey: 'act/custodian.liu/approve-WL-7',
      body: {},
    });
    // The service's requireAct accepted it; checked here once more, independently.
    const verified = verifySignedAct(keys.verifyKeys, decodeActHeader(got.actHeader), {
      kind: 'custody.whitelist.approve',
      content: requestContent('POST', '/v1/whitelist/WL-7/approvals', {}),
      object: { type: 'whitelist-entry', id: 'WL-7' },
    });
    expect(verified.ok).toBe(true);
    expect(res.body.act).toMatchObject({
      kind: 'custody.whitelist.approve',
      actor: { id: 'custodian.liu', role: 'custodian', unit: 'custody' },
      object: { type: 'whitelist-entry', id: 'WL-7' },
    });
    // Intent before the call, outcome after, both in the control API's chain, tied by the act id.
    const records = await recordedSince(before);
    expect(records.map((r) => [r.kind, r.actor])).toEqual([
      ['act.requested', 'custodian.liu'],
      ['act.carried-out', 'custodian.liu'],
    ]);
    expect(records[0]?.data).toMatchObject({
      act: 'custody.whitelist.approve',
      object: { type: 'whitelist-entry', id: 'WL-7' },
      actId: res.body.act.actId,
      contentSha256: actContentSha256(requestContent('POST', '/v1/whitelist/WL-7/approvals', {})),
      role: 'custodian',
      unit: 'custody',
      service: 'custody',
      path: '/v1/whitelist/WL-7/approvals',
    });
    expect(records[1]?.data).toMatchObject({ actId: res.body.act.actId, status: 201 });
  });

  test('an act altered on its way (another entry in the path) is refused by the service', async () => {
    // The control API signed for WL-7; replaying its header for WL-8 is what a thief of the header would try.
    await (await as('custodian.liu')).post('/v1/custody/whitelist/WL-7/approvals').send({});
    const header = received[0]?.actHeader as string;
    const res = await request(service.url).post('/v1/whitelist/WL-8/approvals').set(ACT_HEADER, header).send({});
    expect(res.status).toBe(403);
    expect(res.body.type).toMatch(/act-content|act-object/);
  });

  test('a body naming a person is 400 naming the field, recorded, and nothing is signed or sent', async () => {
    const before = await headSeq();
    const res = await (await as('custodian.liu'))
      .post('/v1/custody/whitelist/WL-7/approvals')
      .send({ approvedBy: 'custodian.ma' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'approvedBy' })]);
    expect(received).toEqual([]);
    expect((await recordedSince(before)).map((r) => [r.kind, r.actor, r.data.status, r.data.refusal])).toEqual([
      ['act.refused', 'custodian.liu', 400, 'urn:vcdc:problem:validation'],
    ]);
  });

  test('a role that may not take the act is 403 and recorded; nothing is sent', async () => {
    const before = await headSeq();
    const res = await (await as('fx.officer.wang')).post('/v1/custody/whitelist/WL-7/approvals').send({});
    expect(res.status).toBe(403);
    expect(received).toEqual([]);
    expect(await recordedSince(before)).toEqual([
      expect.objectContaining({
        kind: 'access.refused',
        actor: 'fx.officer.wang',
        data: expect.objectContaining({ endpoint: 'POST /v1/custody/whitelist/:entryId/approvals', status: 403 }),
      }),
    ]);
  });

  test('a token without a unit may not act: 403 act-unit, recorded, nothing sent', async () => {
    const before = await headSeq();
    const token = await issuer.sign({ sub: 'custodian.nounit', roles: ['custodian'] });
    const res = await request(app)
      .post('/v1/custody/whitelist/WL-7/approvals')
      .set('authorization', `Bearer ${token}`)
      .send({});
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:act-unit' });
    expect(received).toEqual([]);
    expect((await recordedSince(before)).map((r) => [r.kind, r.actor, r.data.refusal])).toEqual([
      ['act.refused', 'custodian.nounit', 'urn:vcdc:problem:act-unit'],
    ]);
  });

  test('the service’s refusal is the answer (problem+json as it gave it) and is recorded as the outcome', async () => {
    const before = await headSeq();
    const res = await (await as('custodian.chen')).post('/v1/custody/whitelist/WL-REFUSED/approvals').send({});
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:whitelist-self-approval' });
    const records = await recordedSince(before);
    expect(records.map((r) => [r.kind, r.data.status, r.data.refusal])).toEqual([
      ['act.requested', undefined, undefined],
      ['act.refused', 409, 'urn:vcdc:problem:whitelist-self-approval'],
    ]);
  });
});

describe('every forwarded act reaches its service as its kind, on its object', () => {
  const cases: Array<{
    person: keyof typeof PEOPLE;
    path: string;
    body: Record<string, unknown>;
    servicePath: string;
    kind: ActKind;
    object: Record<string, string>;
  }> = [
    {
      person: 'custodian',
      path: '/v1/custody/whitelist',
      body: { chain: 'bitcoin', address: 'bc1qexample', label: 'hashkey BTC deposit', venue: 'hashkey' },
      servicePath: '/v1/whitelist',
      kind: 'custody.whitelist.request',
      object: { type: 'whitelist-entry', id: 'bitcoin:bc1qexample' },
    },
    {
      person: 'supervisor',
      path: '/v1/custody/whitelist/WL-3/revocation',
      body: { reason: 'venue address rotated' },
      servicePath: '/v1/whitelist/WL-3/revocation',
      kind: 'custody.whitelist.revoke',
      object: { type: 'whitelist-entry', id: 'WL-3' },
    },
    {
      person: 'custodian',
      path: '/v1/custody/attestations',
      body: { caseId: 'CASE-9', lotId: 'L1', txHash: '0xabc', amount: '1.5' },
      servicePath: '/v1/attestations',
      kind: 'custody.intake.attest',
      object: { type: 'lot', id: 'L1', caseId: 'CASE-9' },
    },
    {
      person: 'secondCustodian',
      path: '/v1/custody/intakes/INT-1/difference',
      body: { classification: 'NETWORK_FEE', amount: '0.0001' },
      servicePath: '/v1/intakes/INT-1/difference',
      kind: 'custody.intake.classify',
      object: { type: 'intake', id: 'INT-1' },
    },
    {
      person: 'seizingOfficer',
      path: '/v1/custody/intakes/INT-1/difference/countersignatures',
      body: { role: 'handing-officer' },
      servicePath: '/v1/intakes/INT-1/difference/countersignatures',
      kind: 'custody.intake.countersign',
      object: { type: 'intake', id: 'INT-1' },
    },
    {
      person: 'custodian',
      path: '/v1/custody/intakes/INT-1/evidence',
      body: { corrects: 'EV-1', reason: 'typo in the seal number', evidence: { sealNo: 'S-2' } },
      servicePath: '/v1/intakes/INT-1/evidence',
      kind: 'custody.evidence.correct',
      object: { type: 'intake', id: 'INT-1' },
    },
    {
      person: 'treasuryOfficer',
      path: '/v1/treasury/corrections',
      body: { caseId: 'CASE-9', line: 3, correctedAmount: '100.00', reason: 'booked twice' },
      servicePath: '/v1/corrections',
      kind: 'treasury.correction.request',
      object: { type: 'credit', id: 'CASE-9#3', caseId: 'CASE-9' },
    },
    {
      person: 'secondTreasuryOfficer',
      path: '/v1/treasury/corrections/COR-1/approval',
      body: {},
      servicePath: '/v1/corrections/COR-1/approval',
      kind: 'treasury.correction.approve',
      object: { type: 'correction', id: 'COR-1' },
    },
  ];
  test.each(cases)('$kind by $person', async ({ person, path, body, servicePath, kind, object }) => {
    const who = PEOPLE[person];
    const res = await (await as(who.id)).post(path).send(body);
    expect(res.status).toBe(201);
    expect(received.map((r) => [r.method, r.path, r.body])).toEqual([['POST', servicePath, body]]);
    expect(res.body.act).toMatchObject({ kind, actor: who, object });
    expect(received[0]?.authorization).toBe(`Bearer ${kind.startsWith('treasury.') ? TREASURY_TOKEN : SERVICE_TOKEN}`);
    // Without an Idempotency-Key of the person's own, the act id keys the call.
    expect(received[0]?.idempotencyKey).toBe(`act/${who.id}/${res.body.act.actId}`);
  });
});

describe('the whitelist, read through the control API', () => {
  test('custodians, supervisors, auditors and operators read it with the control API’s credential', async () => {
    for (const person of ['custodian.chen', 'supervisor.li', 'auditor.qian', 'operator.he']) {
      received = [];
      const res = await (await as(person)).get('/v1/custody/whitelist?chain=bitcoin&status=ACTIVE');
      expect(res.status).toBe(200);
      expect(res.body.entries[0]).toMatchObject({ entryId: 'WL-1', chain: 'bitcoin' });
      expect(received).toEqual([
        expect.objectContaining({
          method: 'GET',
          path: '/v1/whitelist',
          query: { chain: 'bitcoin', status: 'ACTIVE' },
          authorization: `Bearer ${SERVICE_TOKEN}`,
        }),
      ]);
    }
    const one = await (await as('custodian.chen')).get('/v1/custody/whitelist/WL-1');
    expect(one.body).toEqual({ entryId: 'WL-1', status: 'PENDING_APPROVAL' });
  });

  test('a case officer may not; an unknown filter is 400', async () => {
    expect((await (await as('officer.zhang')).get('/v1/custody/whitelist')).status).toBe(403);
    const bad = await (await as('custodian.chen')).get('/v1/custody/whitelist?owner=x');
    expect(bad.status).toBe(400);
    expect(received).toEqual([]);
  });
});

describe('the acts waiting for a person, read through the control API', () => {
  test('each list is read with the control API’s credential, only for the roles that take its act', async () => {
    const chen = await (await as('custodian.chen')).get('/v1/acts/pending?caseId=CASE-P-1');
    expect(chen.status).toBe(200);
    // Only the intakes the handover evidence in force names chen to countersign, in the role not yet signed.
    expect(chen.body.countersignatures).toEqual({
      act: 'custody.intake.countersign',
      count: 2,
      items: [
        expect.objectContaining({ intakeId: 'IN-CHEN', countersignAs: 'custodian' }),
        expect.objectContaining({ intakeId: 'IN-CORRECTED', countersignAs: 'custodian' }),
      ],
    });
    expect(chen.body).not.toHaveProperty('treasuryCorrections');
    expect(chen.body).not.toHaveProperty('fxCorrections');
    expect(received).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/v1/intakes',
        query: { differenceStatus: 'CLASSIFIED', caseId: 'CASE-P-1' },
        authorization: `Bearer ${SERVICE_TOKEN}`,
      }),
    ]);
    // The handing officer signed already: nothing waits for them.
    const officer = await (await as('officer.zhang')).get('/v1/acts/pending');
    expect(officer.body.countersignatures).toEqual({ act: 'custody.intake.countersign', count: 0, items: [] });

    received = [];
    const treasurer = await (await as('treasury.officer.gao')).get('/v1/acts/pending');
    expect(treasurer.body).toEqual({
      treasuryCorrections: {
        act: 'treasury.correction.approve',
        count: 1,
        items: [expect.objectContaining({ correctionId: 'TC-1', author: 'treasury.officer.sun' })],
      },
      unavailable: [],
    });
    expect(received).toEqual([
      expect.objectContaining({
        path: '/v1/corrections',
        query: { status: 'PENDING_APPROVAL' },
        authorization: `Bearer ${TREASURY_TOKEN}`,
      }),
    ]);
  });

  test('a list whose service is not configured is named unavailable; the others are still read', async () => {
    const supervisor = await (await as('supervisor.li')).get('/v1/acts/pending');
    expect(supervisor.status).toBe(200);
    expect(supervisor.body.treasuryCorrections.count).toBe(1);
    expect(supervisor.body).not.toHaveProperty('fxCorrections');
    expect(supervisor.body.unavailable).toEqual([
      {
        list: 'fxCorrections',
        service: 'fx',
        problem: expect.objectContaining({ type: expect.stringMatching(/service-not-configured$/) }),
      },
    ]);
  });

  test('an auditor takes none of these acts (403); an unknown filter is 400 naming it; nothing is read', async () => {
    expect((await (await as('auditor.qian')).get('/v1/acts/pending')).status).toBe(403);
    const bad = await (await as('custodian.chen')).get('/v1/acts/pending?owner=x');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('owner');
    expect(received).toEqual([]);
  });
});

describe('paths and services', () => {
  test('an id that could change the path signed is refused (and recorded) before anything is signed', async () => {
    const before = await headSeq();
    const res = await (await as('custodian.chen')).post('/v1/custody/whitelist/..%2Fattestations/approvals').send({});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'entryId' })]);
    expect(received).toEqual([]);
    expect((await recordedSince(before)).map((r) => [r.kind, r.actor, r.data.status])).toEqual([
      ['act.refused', 'custodian.chen', 400],
    ]);
  });

  test('a service the control API has no credential for answers 503 on its routes', async () => {
    const noTreasury = controlApi({ custody: { url: service.url, token: SERVICE_TOKEN } });
    const token = await issuer.mint('treasury.officer.sun');
    const res = await request(noTreasury)
      .post('/v1/treasury/corrections/COR-1/approval')
      .set('authorization', `Bearer ${token}`)
      .send({});
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:service-not-configured', service: 'treasury' });
    expect(received).toEqual([]);
  });

  test('a service that does not answer: 502, and the chain says the act’s outcome is unknown', async () => {
    const gone = await listen(express(), 0);
    await gone.close();
    const unreachable = controlApi({ custody: { url: gone.url, token: SERVICE_TOKEN } });
    const before = await headSeq();
    const token = await issuer.mint('custodian.chen');
    const res = await request(unreachable)
      .post('/v1/custody/whitelist/WL-7/approvals')
      .set('authorization', `Bearer ${token}`)
      .set('idempotency-key', 'k-1')
      .send({});
    expect(res.status).toBe(502);
    expect((await recordedSince(before)).map((r) => [r.kind, r.data.idempotencyKey])).toEqual([
      ['act.requested', 'act/custodian.chen/k-1'],
      ['act.unanswered', 'act/custodian.chen/k-1'],
    ]);
  });
});
