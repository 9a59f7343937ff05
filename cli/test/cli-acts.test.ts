/**
 * The `vcdc` act commands (cli/src/acts.ts) against a real control API on loopback, which signs each act
 * for the token's person and forwards it to a real little service that verifies it as custody and
 * the treasury do (requireAct) and echoes what it carried out. The CLI runs in-process (runCli) with
 * a fetch that records what goes over the wire: only the control API is ever called.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  type ActKind,
  type AuditChain,
  actOf,
  listen,
  type Pool,
  Problem,
  problemHandler,
  type RunningServer,
  requireAct,
  silentLogger,
} from '@vcdc/shared';
import express from 'express';
import { createLocalJWKSet } from 'jose';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import { testActKeys } from '../../test/support/acts';
import { TEST_CONTROL_API_ENV, testAuditChain } from '../../workflows/test/audit-support';
import { runCli } from '../src/vcdc';

const keys = testActKeys();
let service: RunningServer;
let api: RunningServer;
let connection: Connection;
let audit: AuditChain;
let pool: Pool;
let issuer: DevIssuer;
/** What the service carried out: the verified act and the body, per call. */
let carried: { path: string; kind: string; actor: unknown; object: unknown; body: unknown; key?: string }[] = [];

function stubService() {
  const stub = express();
  stub.use(express.json());
  const act = (route: string, kind: ActKind, answer: (req: express.Request) => unknown) =>
    stub.post(route, requireAct({ keys: keys.verifyKeys, kind }), (req, res) => {
      const a = actOf(res);
      carried.push({
        path: req.path,
        kind: a.kind,
        actor: a.actor,
        object: a.object,
        body: req.body,
        ...(req.get('idempotency-key') ? { key: req.get('idempotency-key') } : {}),
      });
      res.status(201).json(answer(req));
    });
  const entry = (req: express.Request, over: Record<string, unknown> = {}) => ({
    entryId: req.params.entryId ?? 'WL-9',
    chain: 'bitcoin',
    address: 'bc1qdest',
    venue: 'hashkey',
    status: 'PENDING_APPROVAL',
    ...over,
  });
  act('/v1/whitelist', 'custody.whitelist.request', (req) => entry(req));
  act('/v1/whitelist/:entryId/approvals', 'custody.whitelist.approve', (req) =>
    entry(req, {
      status: 'COOLING_OFF',
      approvals: [{ approvedBy: 'custodian.liu', approvedAt: '2026-12-01T00:00:00Z' }],
      activeFrom: '2026-12-01T00:10:00Z',
    }),
  );
  act('/v1/whitelist/:entryId/revocation', 'custody.whitelist.revoke', (req) => entry(req, { status: 'REVOKED' }));
  act('/v1/attestations', 'custody.intake.attest', () => ({
    status: 'AWAITING_SECOND_ATTESTATION',
    attestations: [{}],
  }));
  act('/v1/intakes/:intakeId/difference', 'custody.intake.classify', () => ({ differenceStatus: 'CLASSIFIED' }));
  act('/v1/intakes/:intakeId/difference/countersignatures', 'custody.intake.countersign', () => ({
    differenceStatus: 'CLASSIFIED',
  }));
  act('/v1/intakes/:intakeId/evidence', 'custody.evidence.correct', () => ({ evidenceId: 'EV-2' }));
  act('/v1/corrections', 'treasury.correction.request', () => ({ correctionId: 'COR-5', status: 'PENDING_APPROVAL' }));
  act('/v1/corrections/:correctionId/approval', 'treasury.correction.approve', () => ({
    reversalLine: 6,
    correctionLine: 5,
    receivable: { receivableId: 'RCV-1', amount: '48.88', debtor: 'TREASURY' },
  }));
  act('/v1/corrections/:correctionId/follow-up-remittance', 'treasury.follow-up.approve', () => ({
    amount: '97.75',
    voucherNo: 'VCH-1',
    receiptNo: 'RCP-1',
  }));
  const fxCorrection = (status: string) => ({
    correctionId: 'FXC-1',
    caseId: 'CASE-7',
    status,
    before: { rate: '7.1', cnyAmount: '6940.25' },
    after: { rate: '7.05', cnyAmount: '6891.37' },
    cnyDifference: '-48.88',
  });
  act('/v1/settlements/:settlementId/corrections', 'fx.settlement.correct', () => fxCorrection('PENDING_APPROVAL'));
  act('/v1/settlement-corrections/:correctionId/approval', 'fx.correction.approve', () => fxCorrection('APPLIED'));
  stub.get('/v1/whitelist', (req, res) => {
    res.json({
      entries: [
        {
          entryId: 'WL-1',
          chain: 'bitcoin',
          address: 'bc1qhashkey',
          venue: 'hashkey',
          status: req.query.status ?? 'ACTIVE',
          approvals: [
            { approvedBy: 'custodian.liu', approvedAt: '2026-12-01T00:00:00Z' },
            { approvedBy: 'custodian.ma', approvedAt: '2026-12-01T00:01:00Z' },
          ],
        },
      ],
    });
  });
  stub.post('/v1/refuse', () => {
    throw new Problem(409, 'nope', 'Refused');
  });
  stub.use(problemHandler(silentLogger()));
  return stub;
}

beforeAll(async () => {
  service = await listen(stubService(), 0);
  issuer = await createDevIssuer();
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  ({ audit, pool } = await testAuditChain('cli_acts'));
  api = await listen(
    createControlApi({
      audit,
      client: new Client({ connection }),
      taskQueue: 'unused',
      logger: silentLogger(),
      defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
      decisionSigningKey: keys.signingKey,
      authenticator: jwtAuthenticator({
        issuer: issuer.issuer,
        audience: CONTROL_API_AUDIENCE,
        keys: createLocalJWKSet(issuer.jwks),
      }),
      actServices: {
        custody: { url: service.url, token: 'c'.repeat(32) },
        fx: { url: service.url },
        treasury: { url: service.url },
      },
    }),
    0,
  );
});

afterAll(async () => {
  await api?.close();
  await service?.close();
  await connection?.close();
  await pool?.end();
});

beforeEach(() => {
  carried = [];
});

interface Sent {
  method: string;
  url: string;
  authorization: string | null;
  idempotencyKey: string | null;
  body: unknown;
}

async function vcdc(person: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sent: Sent[] = [];
  const token = await issuer.mint(person);
  const code = await runCli(argv, {
    env: { VCDC_API_URL: api.url, VCDC_TOKEN: token },
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      sent.push({
        method: init?.method ?? 'GET',
        url: String(input),
        authorization: headers.get('authorization'),
        idempotencyKey: headers.get('idempotency-key'),
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      });
      return fetch(input, init);
    },
  });
  return { code, stdout, stderr, sent, token };
}

test('whitelist request, approve and revoke: each the token’s person’s signed act, no person in any body', async () => {
  const request = await vcdc(
    'custodian.chen',
    'whitelist',
    'request',
    '--chain',
    'bitcoin',
    '--address',
    'bc1qdest',
    '--label',
    'hashkey BTC deposit',
    '--venue',
    'hashkey',
    '--key',
    'req-1',
  );
  expect(request.stderr).toBe('');
  expect(request.code).toBe(0);
  expect(request.sent).toEqual([
    {
      method: 'POST',
      url: `${api.url}/v1/custody/whitelist`,
      authorization: `Bearer ${request.token}`,
      idempotencyKey: 'req-1',
      body: { chain: 'bitcoin', address: 'bc1qdest', label: 'hashkey BTC deposit', venue: 'hashkey' },
    },
  ]);
  expect(request.stdout).toBe('whitelist entry WL-9 (bitcoin bc1qdest, hashkey): PENDING_APPROVAL\n');

  const approve = await vcdc('custodian.liu', 'whitelist', 'approve', 'WL-9');
  expect(approve.code).toBe(0);
  expect(approve.sent[0]).toMatchObject({
    method: 'POST',
    url: `${api.url}/v1/custody/whitelist/WL-9/approvals`,
    body: {},
  });
  expect(approve.sent[0]?.idempotencyKey).toMatch(/^cli-[0-9a-f-]{36}$/);
  expect(approve.stdout).toBe(
    'whitelist entry WL-9 (bitcoin bc1qdest, hashkey): COOLING_OFF, approved by custodian.liu, active from 2026-12-01T00:10:00Z\n',
  );

  const revoke = await vcdc('supervisor.li', 'whitelist', 'revoke', 'WL-9', '--reason', 'venue rotated its address');
  expect(revoke.code).toBe(0);
  expect(revoke.sent[0]?.body).toEqual({ reason: 'venue rotated its address' });

  expect(carried.map((c) => [c.kind, c.actor, c.path, c.key])).toEqual([
    [
      'custody.whitelist.request',
      { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
      '/v1/whitelist',
      'act/custodian.chen/req-1',
    ],
    [
      'custody.whitelist.approve',
      { id: 'custodian.liu', role: 'custodian', unit: 'custody' },
      '/v1/whitelist/WL-9/approvals',
      `act/custodian.liu/${approve.sent[0]?.idempotencyKey}`,
    ],
    [
      'custody.whitelist.revoke',
      { id: 'supervisor.li', role: 'supervisor', unit: 'case-handling' },
      '/v1/whitelist/WL-9/revocation',
      expect.stringMatching(/^act\/supervisor\.li\/cli-/),
    ],
  ]);
});

test('whitelist list shows the entries through the control API', async () => {
  const list = await vcdc('auditor.qian', 'whitelist', 'list', '--status', 'active', '--chain', 'bitcoin');
  expect(list.code).toBe(0);
  expect(list.sent[0]?.url).toBe(`${api.url}/v1/custody/whitelist?chain=bitcoin&status=ACTIVE`);
  expect(list.stdout.split('\n')[0]).toMatch(/^ENTRY +CHAIN +VENUE +STATUS +APPROVED BY +ADDRESS$/);
  expect(list.stdout).toMatch(/WL-1 +bitcoin +hashkey +ACTIVE +custodian\.liu, custodian\.ma +bc1qhashkey/);
  const json = await vcdc('custodian.chen', '--json', 'whitelist', 'list');
  expect(JSON.parse(json.stdout).entries[0].entryId).toBe('WL-1');
});

test('attest, classify, countersign and evidence correct reach custody as their acts', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcdc-cli-'));
  const evidenceFile = path.join(dir, 'handover.json');
  const evidence = {
    handoverFormNo: 'HF-2',
    handedOverBy: 'officer.zhao',
    receivedBy: 'custodian.chen',
    documents: [],
  };
  await writeFile(evidenceFile, JSON.stringify(evidence));

  const attest = await vcdc(
    'custodian.chen',
    'attest',
    '--case',
    'CASE-7',
    '--lot',
    'L1',
    '--asset',
    'btc',
    '--chain',
    'bitcoin',
    '--declared',
    '1.5',
    '--tx-hash',
    'ab12',
    '--amount',
    '1.5',
    '--form-no',
    'HF-1',
    '--handed-over-by',
    'officer.zhao',
    '--received-by',
    'custodian.chen',
  );
  expect(attest.stderr).toBe('');
  expect(attest.code).toBe(0);
  expect(attest.stdout).toBe('CASE-7/L1: attested (1 of 2); AWAITING_SECOND_ATTESTATION\n');
  expect(attest.sent[0]?.body).toEqual({
    caseId: 'CASE-7',
    lotId: 'L1',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: '1.5',
    txHash: 'ab12',
    amount: '1.5',
    evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.zhao', receivedBy: 'custodian.chen' },
  });

  const classify = await vcdc(
    'custodian.liu',
    'classify',
    'INT-3',
    'NETWORK_FEE',
    '--amount',
    '0.0002',
    '--explanation',
    'the sender paid the fee from the amount',
    '--fee-tx-hash',
    'ff00',
  );
  expect(classify.code).toBe(0);
  expect(classify.stdout).toBe('intake INT-3: classified NETWORK_FEE; CLASSIFIED\n');

  const countersign = await vcdc('officer.zhao', 'countersign', 'INT-3', '--as', 'handing-officer');
  expect(countersign.code).toBe(0);
  expect(countersign.sent[0]?.body).toEqual({ role: 'handing-officer' });
  // The receiving custodian of an attested intake attests the fee transaction by naming it.
  const attestFee = await vcdc('custodian.chen', 'countersign', 'INT-3', '--as', 'custodian', '--fee-tx-hash', 'ff00');
  expect(attestFee.code).toBe(0);
  expect(attestFee.sent[0]?.body).toEqual({ role: 'custodian', feeTxHash: 'ff00' });

  const correct = await vcdc(
    'custodian.chen',
    'evidence',
    'correct',
    'INT-3',
    '--corrects',
    'EV-1',
    '--reason',
    'wrong form number',
    '--evidence-file',
    evidenceFile,
  );
  expect(correct.code).toBe(0);
  expect(correct.sent[0]?.body).toEqual({ corrects: 'EV-1', reason: 'wrong form number', evidence });
  expect(correct.stdout).toBe('intake INT-3: evidence EV-2 recorded, correcting EV-1\n');

  expect(carried.map((c) => [c.kind, c.actor, c.object])).toEqual([
    [
      'custody.intake.attest',
      { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
      { type: 'lot', id: 'L1', caseId: 'CASE-7' },
    ],
    [
      'custody.intake.classify',
      { id: 'custodian.liu', role: 'custodian', unit: 'custody' },
      { type: 'intake', id: 'INT-3' },
    ],
    [
      'custody.intake.countersign',
      { id: 'officer.zhao', role: 'case-officer', unit: 'case-handling' },
      { type: 'intake', id: 'INT-3' },
    ],
    [
      'custody.intake.countersign',
      { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
      { type: 'intake', id: 'INT-3' },
    ],
    [
      'custody.evidence.correct',
      { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
      { type: 'intake', id: 'INT-3' },
    ],
  ]);
});

test('correction request and approve reach the treasury as the treasury officers’ acts', async () => {
  const request = await vcdc(
    'treasury.officer.sun',
    'correction',
    'request',
    '--case',
    'CASE-7',
    '--line',
    '4',
    '--amount',
    '1200.00',
    '--reason',
    'credited twice',
  );
  expect(request.code).toBe(0);
  expect(request.sent[0]?.body).toEqual({
    caseId: 'CASE-7',
    line: 4,
    correctedAmount: '1200.00',
    reason: 'credited twice',
  });
  expect(request.stdout).toBe('correction COR-5 of CASE-7 line 4: PENDING_APPROVAL\n');
  const approve = await vcdc('treasury.officer.gao', 'correction', 'approve', 'COR-5');
  expect(approve.code).toBe(0);
  expect(approve.stdout).toBe(
    'correction COR-5: booked, reversal line 6, new entry line 5; 48.88 CNY had left already: receivable RCV-1 owed by TREASURY, open until recovered (vcdc recovery record)\n',
  );
  expect(carried.map((c) => [c.kind, (c.actor as { id: string }).id])).toEqual([
    ['treasury.correction.request', 'treasury.officer.sun'],
    ['treasury.correction.approve', 'treasury.officer.gao'],
  ]);
});

test('an FX settlement correction, requested and approved, and a follow-up remittance reach their services as acts', async () => {
  const request = await vcdc(
    'fx.officer.wang',
    'fx',
    'correction',
    'request',
    '--settlement',
    'S-1',
    '--rate',
    '7.05',
    '--reason',
    'wrong day',
  );
  expect(request.code).toBe(0);
  expect(request.sent[0]?.body).toEqual({ rate: '7.05', reason: 'wrong day' });
  expect(request.stdout).toBe(
    'settlement correction FXC-1: rate 7.1 -> 7.05, CNY 6940.25 -> 6891.37 (-48.88); PENDING_APPROVAL\n',
  );
  const approve = await vcdc('fx.officer.zhao', 'fx', 'correction', 'approve', 'FXC-1');
  expect(approve.code).toBe(0);
  expect(approve.stdout).toMatch(/--amount 6891\.37 --fx-correction FXC-1/);
  const followUp = await vcdc('supervisor.li', 'correction', 'follow-up', 'COR-5');
  expect(followUp.stdout).toBe('follow-up of correction COR-5: 97.75 CNY remitted, voucher VCH-1, receipt RCP-1\n');
  expect(carried.slice(-3).map((c) => [c.kind, (c.actor as { id: string }).id])).toEqual([
    ['fx.settlement.correct', 'fx.officer.wang'],
    ['fx.correction.approve', 'fx.officer.zhao'],
    ['treasury.follow-up.approve', 'supervisor.li'],
  ]);
});

test('refusals: a role that may not act, a bad argument, and a lost answer that says how to retry', async () => {
  const wrongRole = await vcdc('fx.officer.wang', 'whitelist', 'approve', 'WL-9');
  expect(wrongRole.code).toBe(1);
  expect(wrongRole.stderr).toMatch(
    /^Not allowed: fx\.officer\.wang \(fx-officer\) may not call POST \/v1\/custody\/whitelist\/:entryId\/approvals\n$/,
  );
  const badLine = await vcdc(
    'treasury.officer.sun',
    'correction',
    'request',
    '--case',
    'C',
    '--line',
    'x',
    '--amount',
    '1',
    '--reason',
    'r',
  );
  expect(badLine.code).toBe(1);
  expect(badLine.sent).toEqual([]);
  const noEvidence = await vcdc(
    'custodian.chen',
    'evidence',
    'correct',
    'INT-3',
    '--corrects',
    'EV-1',
    '--reason',
    'r',
  );
  expect(noEvidence.code).toBe(1);
  expect(noEvidence.stderr).toMatch(/handover evidence/);
  expect(noEvidence.sent).toEqual([]);
  expect(carried).toEqual([]);

  let stderr = '';
  const code = await runCli(['whitelist', 'approve', 'WL-9', '--key', 'k-lost'], {
    env: { VCDC_API_URL: 'http://127.0.0.1:1', VCDC_TOKEN: 'x' },
    out: () => undefined,
    err: (t) => {
      stderr += t;
    },
  });
  expect(code).toBe(1);
  expect(stderr).toMatch(/retry with --key k-lost/);
});

test('decide carries an FX settlement tranche and a judgment, so FX officers and supervisors can record them', async () => {
  const posted: unknown[] = [];
  const echo = express();
  echo.use(express.json());
  echo.post('/v1/cases/:caseId/decisions', (req, res) => {
    posted.push(req.body);
    res.json({
      decision: { ...req.body, decidedBy: 'fx.officer.wang', role: 'fx-officer', decidedAt: '2026-12-01T00:00:00Z' },
      movesTo: { stage: 'FX', status: 'RUNNING' },
    });
  });
  const server = await listen(echo, 0);
  try {
    const run = (...argv: string[]) =>
      runCli(argv, { env: { VCDC_API_URL: server.url, VCDC_TOKEN: 't' }, out: () => undefined, err: () => undefined });
    expect(
      await run(
        'decide',
        'CASE-7',
        'FX_SETTLEMENT',
        'approve',
        '--amount',
        '100000.00',
        '--bank-reference',
        'BOC-77',
        '--bank-charges',
        '25.00',
      ),
    ).toBe(0);
    expect(
      await run(
        'decide',
        'CASE-7',
        'JUDGMENT',
        'approve',
        '--judgment-ref',
        '(2026) Jing 01 Xing Chu 1',
        '--document-hash',
        'a'.repeat(64),
        '--judgment-outcome',
        'confiscation',
      ),
    ).toBe(0);
  } finally {
    await server.close();
  }
  expect(posted).toEqual([
    {
      stage: 'FX_SETTLEMENT',
      outcome: 'APPROVE',
      settlement: { amount: '100000.00', bankReference: 'BOC-77', bankCharges: '25.00' },
    },
    {
      stage: 'JUDGMENT',
      outcome: 'APPROVE',
      judgment: { judgmentRef: '(2026) Jing 01 Xing Chu 1', documentHash: 'a'.repeat(64), outcome: 'CONFISCATION' },
    },
  ]);
});
