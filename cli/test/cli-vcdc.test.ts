/**
 * The `vcdc` terminal client against a real control API served on loopback, in front of a real
 * Temporal dev server running the case workflow on activities that behave like the services (as in
 * control-api.test.ts), with the audit chain and the notifications outbox on real PostgreSQL. The
 * CLI's commands run in-process (runCli) with a fetch that records what goes over the wire; one test
 * runs the `npx vcdc` shim as a process.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createPool, listen, type Pool, type RunningServer, silentLogger } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import { createLocalJWKSet } from 'jose';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import { createTestDatabase } from '../../test/support/database';
import { startDevServer } from '../../test/support/temporal';
import { createDecisionActivities } from '../../workflows/src/activities/decision-signature';
import {
  createNotificationActivities,
  migrateNotifications,
  NotificationStore,
} from '../../workflows/src/notifications/store';
import { workflowsPath } from '../../workflows/src/worker/worker';
import { TEST_CONTROL_API_ENV, testAuditChain, testDecisionVerifyKeys } from '../../workflows/test/audit-support';
import { createFakeActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { holdResolution, renderCase, renderStatement, runCli } from '../src/vcdc';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let server: RunningServer;
let issuer: DevIssuer;
let auditPool: Pool;
let outboxPool: Pool;
let store: NotificationStore;
const taskQueue = `cli-${randomUUID()}`;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const databaseUrl = await createTestDatabase('cli_vcdc');
  await migrateNotifications(databaseUrl, 'notifications');
  outboxPool = createPool(databaseUrl, 'notifications', 4);
  store = new NotificationStore(outboxPool);
  env = await startDevServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') }),
    activities: {
      ...createFakeActivities(),
      ...createDecisionActivities(testDecisionVerifyKeys()),
      ...createNotificationActivities(outboxPool),
    },
  });
  running = worker.run();
  issuer = await createDevIssuer();
  const chain = await testAuditChain('cli_vcdc_audit');
  auditPool = chain.pool;
  server = await listen(
    createControlApi({
      audit: chain.audit,
      notifications: store,
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
    }),
    0,
  );
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
  await auditPool?.end();
  await outboxPool?.end();
});

interface Sent {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

/** Runs `vcdc …` as `person` (their token in VCDC_TOKEN); what it printed, its exit code, what it sent. */
async function vcdc(person: string | undefined, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sent: Sent[] = [];
  const token = person ? await issuer.mint(person) : undefined;
  const code = await runCli(argv, {
    env: { VCDC_API_URL: server.url, ...(token ? { VCDC_TOKEN: token } : {}) },
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
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      });
      return fetch(input, init);
    },
  });
  return { code, stdout, stderr, sent, token };
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Registers a case as the seeded case officer and waits until it waits for the disposal-plan decision. */
async function caseAwaitingPlan(): Promise<string> {
  const caseId = `CLI-${randomUUID().slice(0, 8)}`;
  const officer = await issuer.mint('officer.zhang');
  const res = await fetch(`${server.url}/v1/cases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/json' },
    body: JSON.stringify(sampleRegistration(caseId)),
  });
  expect(res.status).toBe(201);
  await eventually(async () => {
    const r = await vcdc('auditor.qian', '--json', 'show', caseId);
    return r.code === 0 && JSON.parse(r.stdout).status === 'AWAITING_DECISION' ? true : undefined;
  }, `case ${caseId} awaiting its plan decision`);
  return caseId;
}

describe('vcdc', () => {
  let caseId: string;
  beforeAll(async () => {
    caseId = await caseAwaitingPlan();
  }, 60_000);

  test('show renders the case: stage, status, the pending decision and its deadline, lots, amounts, refusals', async () => {
    const { code, stdout, stderr, sent, token } = await vcdc('supervisor.li', 'show', caseId);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent).toEqual([
      { method: 'GET', url: `${server.url}/v1/cases/${caseId}`, authorization: `Bearer ${token}`, body: undefined },
    ]);
    expect(stdout).toContain(`Case ${caseId} (Beijing Public Security Bureau)`);
    expect(stdout).toMatch(/Requested: +by officer\.zhang/);
    expect(stdout).toMatch(/Stage: +AUTHORISATION/);
    expect(stdout).toMatch(/Status: +AWAITING_DECISION/);
    expect(stdout).toMatch(/Waiting for: +DISPOSAL_PLAN decision by a supervisor/);
    expect(stdout).toMatch(/, until \d{4}-\d\d-\d\dT[\d:.]+Z \(in \d+[dhms]/);
    expect(stdout).toMatch(/L1 +BTC +1\.25 +1\.25 /);
    expect(stdout).toMatch(/L2 +ETH +10\.5 +10\.5 /);
    // The base units come from the case's own status query, through the control API.
    expect(stdout).toMatch(/L1 +BTC .* 125,000,000 \/ 125,000,000 \/ 0 satoshi/);
    expect(stdout).toMatch(/ETH +1 +received +10\.5 +10,500,000,000,000,000,000 wei/);
    expect(stdout).toContain('Amounts so far');
    expect(stdout).toContain('Refused attempts: none');
  });

  test('statement: the case statement through the control API, its value at seizure and the totals across lots', async () => {
    const { code, stdout, stderr, sent } = await vcdc('auditor.qian', 'statement', caseId);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent[0]?.url).toBe(`${server.url}/v1/cases/${caseId}/statement`);
    expect(stdout).toContain(`Statement of case ${caseId} (Beijing Public Security Bureau)`);
    expect(stdout).toMatch(
      /At seizure: +CNY [\d.]+ +\(the verified intake at the reference price, USD\/CNY [\d.]+ of \d{4}-\d\d-\d\d\)/,
    );
    expect(stdout).toMatch(/BTC +1\.25 +125,000,000 satoshi/);
    expect(stdout).toMatch(/At disposal: +not yet/);
    expect(stdout).toMatch(/Distributed: +not yet/);
    expect(stdout).toMatch(/ETH +1 +declared +10\.5 +10,500,000,000,000,000,000 wei/);
    const json = await vcdc('auditor.qian', '--json', 'statement', caseId);
    const body = JSON.parse(json.stdout);
    expect(Object.keys(body).sort()).toEqual(['agency', 'amounts', 'caseId', 'leftovers', 'stage', 'status', 'values']);
    expect(body.values.atSeizure.lines.map((l: { amount: { baseUnits: string } }) => l.amount.baseUnits)).toEqual([
      '125000000',
      '10500000000000000000',
    ]);
    const unknown = await vcdc('auditor.qian', 'statement', 'NOPE-3');
    expect(unknown).toMatchObject({ code: 1, stderr: 'Case not found: Case NOPE-3 does not exist\n' });
  });

  test('cases and pending list the case and what it waits for', async () => {
    const pending = await eventually(async () => {
      const r = await vcdc('supervisor.li', 'pending');
      return r.stdout.includes(caseId) ? r : undefined;
    }, 'the case in visibility');
    expect(pending.code).toBe(0);
    expect(pending.sent[0]?.url).toBe(`${server.url}/v1/cases?status=AWAITING_DECISION&limit=100`);
    expect(pending.stdout.split('\n')[0]).toMatch(/^CASE +AGENCY +AWAITS +DECIDED BY +SINCE +DEADLINE$/);
    expect(pending.stdout).toMatch(new RegExp(`${caseId} +Beijing Public Security Bureau +DISPOSAL_PLAN +supervisor `));

    const cases = await vcdc('auditor.qian', 'cases', '--status', 'awaiting_decision', '--stage', 'AUTHORISATION');
    expect(cases.code).toBe(0);
    expect(cases.sent[0]?.url).toBe(`${server.url}/v1/cases?status=AWAITING_DECISION&stage=AUTHORISATION&limit=100`);
    expect(cases.stdout).toMatch(
      new RegExp(`${caseId} +Beijing Public Security Bureau +AUTHORISATION +AWAITING_DECISION`),
    );
  });

  test('a 4xx problem is printed as `title: detail` on stderr with exit code 1, and nothing on stdout', async () => {
    const rejectWithoutReason = await vcdc('supervisor.li', 'decide', caseId, 'DISPOSAL_PLAN', 'reject');
    expect(rejectWithoutReason).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Invalid request body: reason: a rejection needs a reason\n',
    });

    const unknown = await vcdc('supervisor.li', 'show', 'NOPE-1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('Case not found: Case NOPE-1 does not exist\n');

    const wrongRole = await vcdc('fx.officer.wang', 'decide', caseId, 'DISPOSAL_PLAN', 'approve');
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stderr).toBe(
      'Decision refused: fx.officer.wang holds no role that may decide DISPOSAL_PLAN (has: fx-officer)\n',
    );

    const noToken = await vcdc(undefined, 'cases');
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('Not authenticated: an Authorization: Bearer <token> header is required\n');
    expect(noToken.stderr).toContain('set VCDC_TOKEN');

    const badOutcome = await vcdc('supervisor.li', 'decide', caseId, 'DISPOSAL_PLAN', 'maybe');
    expect(badOutcome.code).toBe(1);
    expect(badOutcome.sent).toEqual([]);
    expect(badOutcome.stderr).toMatch(/maybe/);
  });

  test('decide posts the decision with the token and reports where the case moves', async () => {
    const { code, stdout, stderr, sent, token } = await vcdc(
      'supervisor.li',
      'decide',
      caseId,
      'disposal_plan',
      'approve',
      '--reason',
      'plan checked',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: `${server.url}/v1/cases/${caseId}/decisions`,
        authorization: `Bearer ${token}`,
        body: { stage: 'DISPOSAL_PLAN', outcome: 'APPROVE', reason: 'plan checked' },
      },
    ]);
    expect(stdout).toMatch(
      new RegExp(`^${caseId}: DISPOSAL_PLAN APPROVE by supervisor\\.li \\(supervisor\\) accepted\n`),
    );
    expect(stdout).toMatch(/case is now [A-Z_]+ \/ [A-Z_]+\n$/);

    const after = await vcdc('supervisor.li', 'show', caseId);
    expect(after.stdout).toMatch(/DISPOSAL_PLAN +APPROVE +supervisor\.li \(supervisor\) +plan checked/);
    // A second approval of a stage no longer awaited is refused (409) and shown in the refusals.
    const again = await vcdc('supervisor.zhou', 'decide', caseId, 'DISPOSAL_PLAN', 'approve');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Decision refused: /);
  });

  test('notifications shows what is addressed to the caller’s roles', async () => {
    const base = {
      caseId,
      workflowId: `case-${caseId}`,
      stage: 'DISPOSAL_PLAN',
      deadline: '2030-01-01T00:00:00.000Z',
      raisedAt: '2026-03-01T00:00:00.000Z',
    };
    await store.insert(
      { ...base, kind: 'REMINDER', toRole: 'supervisor', message: `Case ${caseId} waits for your plan decision` },
      `${caseId}/reminder`,
    );
    await store.insert(
      { ...base, kind: 'ESCALATION', toRole: 'senior-supervisor', message: `Case ${caseId} was escalated` },
      `${caseId}/escalation`,
    );
    const sup = await vcdc('supervisor.li', 'notifications', '--case', caseId);
    expect(sup.code).toBe(0);
    expect(sup.sent[0]?.url).toBe(`${server.url}/v1/cases/${caseId}/notifications?limit=100`);
    expect(sup.stdout).toMatch(
      new RegExp(`${caseId} +REMINDER +supervisor +DISPOSAL_PLAN +Case ${caseId} waits for your plan decision`),
    );
    expect(sup.stdout).not.toContain('ESCALATION');

    const auditor = await vcdc('auditor.qian', '--json', 'notifications', '--case', caseId, '--kind', 'escalation');
    expect(auditor.code).toBe(0);
    expect(JSON.parse(auditor.stdout).notifications).toEqual([
      expect.objectContaining({ kind: 'ESCALATION', toRole: 'senior-supervisor' }),
    ]);

    const forbidden = await vcdc('supervisor.li', 'notifications', '--role', 'operator');
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(
      /^Not allowed: supervisor\.li \(supervisor\) may not read notifications addressed to operator\n$/,
    );
  });

  test('`npx vcdc` runs the shim as a process: --help, and a refusal exits 1 with the problem on stderr', async () => {
    const bin = path.resolve(__dirname, '../bin/vcdc.js');
    // Asynchronously: the control API answering the child runs in this process.
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [bin, ...args],
          { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', ...env } },
          (_error, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
        );
      });
    const help = await run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: vcdc');
    const token = await issuer.mint('auditor.qian');
    const shown = await run(['show', 'NOPE-2'], { VCDC_API_URL: server.url, VCDC_TOKEN: token });
    expect(shown.status).toBe(1);
    expect(shown.stdout).toBe('');
    expect(shown.stderr).toBe('Case not found: Case NOPE-2 does not exist\n');
  });
});

test("show lists each coin's sale route and why, before the sales on it", () => {
  const text = renderCase(
    {
      caseId: 'C-ROUTES',
      stage: 'SALE',
      status: 'RUNNING',
      routes: [
        {
          asset: 'BTC',
          route: 'VIA_STABLECOIN',
          directSymbol: 'BTC/USD',
          reason:
            'BTC/USD shows 2.6 BTC of bids within 50 bp of the best bid; under 3 x the lot of 1.2498 (3.7494): sold through the stablecoin',
        },
        { asset: 'ETH', route: 'DIRECT', directSymbol: 'ETH/USD', reason: 'deep enough' },
      ],
      sales: [
        {
          symbol: 'ETH/USD',
          amount: '4.5',
          limitPrice: '3390',
          reference: '3398',
          filled: '4.5',
          cost: '15255',
          fee: '15.25',
          feeCurrency: 'USD',
        },
      ],
    },
    new Date('2026-12-01T00:00:00Z'),
  );
  expect(text).toMatch(/sale route +BTC via the stablecoin +BTC\/USD shows 2\.6 BTC .*sold through the stablecoin/);
  expect(text).toMatch(/sale route +ETH on ETH\/USD +deep enough/);
  expect(text.indexOf('ETH on ETH/USD')).toBeLessThan(text.indexOf('sold ETH/USD'));
});

test('show puts base units beside each lot and totals the lots per asset: "13,000 satoshi short across three lots"', () => {
  const lotOf = (lotId: string, declared: string, received: string, d: string, r: string, diff: string) => ({
    lotId,
    asset: 'BTC',
    unit: 'satoshi',
    declared: { amount: declared, baseUnits: d },
    received: { amount: received, baseUnits: r },
    difference: { amount: new Decimal(received).minus(declared).toFixed(), baseUnits: diff },
  });
  const text = renderCase(
    {
      caseId: 'C-UNITS',
      stage: 'INTAKE',
      status: 'HELD',
      intakes: [
        {
          lotId: 'L1',
          asset: 'BTC',
          declaredAmount: '1',
          receivedAmount: '0.99995',
          difference: '-0.00005',
          status: 'DISCREPANCY',
        },
        {
          lotId: 'L2',
          asset: 'BTC',
          declaredAmount: '2',
          receivedAmount: '1.99994',
          difference: '-0.00006',
          status: 'DISCREPANCY',
        },
        {
          lotId: 'L3',
          asset: 'BTC',
          declaredAmount: '0.5',
          receivedAmount: '0.49998',
          difference: '-0.00002',
          status: 'DISCREPANCY',
        },
      ],
      amounts: {
        lots: [
          lotOf('L1', '1', '0.99995', '100000000', '99995000', '-5000'),
          lotOf('L2', '2', '1.99994', '200000000', '199994000', '-6000'),
          lotOf('L3', '0.5', '0.49998', '50000000', '49998000', '-2000'),
        ],
        totals: [
          {
            asset: 'BTC',
            unit: 'satoshi',
            lots: 3,
            declared: { amount: '3.5', baseUnits: '350000000' },
            received: { amount: '3.49987', baseUnits: '349987000' },
            difference: { amount: '-0.00013', baseUnits: '-13000' },
            sold: { amount: '1.2', baseUnits: '120000000' },
          },
        ],
      },
    },
    new Date('2026-12-01T00:00:00Z'),
  );
  expect(text).toMatch(/L1 +BTC +1 +0\.99995 +-0\.00005 +DISCREPANCY +100,000,000 \/ 99,995,000 \/ -5,000 satoshi/);
  expect(text).toMatch(/L3 +BTC +0\.5 +0\.49998 +-0\.00002 +DISCREPANCY +50,000,000 \/ 49,998,000 \/ -2,000 satoshi/);
  expect(text).toContain('Totals across lots:');
  expect(text).toMatch(/BTC +3 +declared +3\.5 +350,000,000 satoshi/);
  expect(text).toMatch(/BTC +3 +received +3\.49987 +349,987,000 satoshi/);
  expect(text).toMatch(/BTC +3 +short +0\.00013 +13,000 satoshi/);
  expect(text).toMatch(/BTC +3 +sold +1\.2 +120,000,000 satoshi/);
});

test('the statement shows the three values: at seizure, at disposal and distributed, in CNY and fen', () => {
  const text = renderStatement({
    caseId: 'C-VALUES',
    agency: 'Beijing Public Security Bureau',
    stage: 'RECONCILIATION',
    status: 'COMPLETED',
    values: {
      currency: 'CNY',
      atSeizure: {
        valueCny: '756150.00',
        usdCny: '7.1',
        rateDate: '2026-01-02',
        lines: [
          {
            asset: 'BTC',
            amount: { amount: '1.25', baseUnits: '125000000' },
            priceUsd: '60000',
            valueCny: '532500.00',
          },
        ],
      },
      atDisposal: {
        proceeds: [{ currency: 'USD', amount: '104821.6' }],
        valueCny: '744000.10',
        baseUnits: { unit: 'fen', valueCny: '74400010' },
      },
      distributed: {
        toTreasury: '244000.10',
        toVictims: '500000.00',
        toOwner: '0.00',
        valueCny: '744000.10',
        baseUnits: { unit: 'fen', valueCny: '74400010' },
      },
    },
    amounts: { lots: [], totals: [] },
  });
  expect(text).toMatch(/At seizure: +CNY 756150\.00 /);
  expect(text).toMatch(/BTC +1\.25 +125,000,000 satoshi +at USD 60000 +CNY 532500\.00/);
  expect(text).toMatch(/At disposal: +CNY 744000\.10 \(74,400,010 fen\) credited; proceeds USD 104821\.6/);
  expect(text).toMatch(
    /Distributed: +CNY 744000\.10 \(74,400,010 fen\): treasury 244000\.10, victims 500000\.00, owner 0\.00/,
  );
});

test("the statement lists what the sale left over and where each ended: custody, or held at the venue in the case's name", () => {
  const text = renderStatement({
    caseId: 'C-DUST',
    stage: 'RECONCILIATION',
    status: 'COMPLETED',
    amounts: { lots: [], totals: [] },
    leftovers: [
      {
        asset: 'ETH',
        amount: '0.000016',
        reason: "below the venue's lot size (0.001) for ETH/USDT",
        outcome: "held at the venue in the case's name (residual res-1)",
      },
      {
        asset: 'USDT',
        amount: '0.000924',
        reason: "below the venue's minimum order for USDT/USD after the sale",
        outcome: 'returned to custody (0.000924 USDT booked, tx 0xr)',
      },
    ],
  });
  expect(text).toContain('Left over from the sale:');
  expect(text).toMatch(
    /ETH +0\.000016 +below the venue's lot size .* +held at the venue in the case's name \(residual res-1\)/,
  );
  expect(text).toMatch(/USDT +0\.000924 +.* +returned to custody/);
  // A case with nothing left over says nothing about it.
  expect(renderStatement({ caseId: 'C-NONE', amounts: { lots: [], totals: [] } })).not.toContain('Left over');
});

test('show lists each hold: where and why, what custody held, the paths it did not allow, and who resolved it how', () => {
  const text = renderCase(
    {
      caseId: 'C-HELD',
      stage: 'RECONCILIATION',
      status: 'CLOSED',
      holds: [
        {
          attempt: 1,
          stage: 'TRANSFER',
          reason: 'the venue credited 0.0008 BTC for a test deposit of 0.0009',
          since: '2026-01-02T09:00:00.000Z',
          inCustody: { BTC: '1.2498', ETH: '10.5' },
          options: {
            inCustody: { BTC: '1.2498', ETH: '10.5' },
            notToCustody: '1.2497 BTC already went back to the owner',
          },
          resolution: {
            path: 'CLOSE',
            handBackTo: 'CUSTODY',
            approvedBy: [
              { decidedBy: 'supervisor.wu', reason: 'the venue is under review', decidedAt: '2026-01-03T09:00:00Z' },
              { decidedBy: 'supervisor.zhang', reason: 'agreed', decidedAt: '2026-01-03T10:00:00Z' },
            ],
            outcome: 'closed with 1.2498 BTC, 10.5 ETH in the case wallet; reconciled',
          },
        },
      ],
    },
    new Date('2026-01-04T00:00:00Z'),
  );
  expect(text).toContain(
    'Held at TRANSFER (attempt 1) since 2026-01-02T09:00:00.000Z: the venue credited 0.0008 BTC for a test deposit of 0.0009',
  );
  expect(text).toContain('In custody:  1.2498 BTC, 10.5 ETH');
  expect(text).toContain('Not open:    no CLOSE to CUSTODY (1.2497 BTC already went back to the owner)');
  expect(text).toContain('Resolution:  CLOSE: hand back to CUSTODY');
  expect(text).toContain('approved by supervisor.wu at 2026-01-03T09:00:00Z: the venue is under review');
  expect(text).toContain('approved by supervisor.zhang at 2026-01-03T10:00:00Z: agreed');
  expect(text).toContain('Taken:       closed with 1.2498 BTC, 10.5 ETH in the case wallet; reconciled');
});

test('show lists a hand-back to the owner: the order, the owner, each address, and each transfer with its fee and tx', () => {
  const owner = {
    courtOrder: '(2026) Jing 0105 Xing Chu 1234',
    name: 'Li Ming',
    addresses: [{ asset: 'BTC' as const, address: 'bc1qowner' }],
  };
  const text = renderCase(
    {
      caseId: 'C-ACQ',
      stage: 'RECONCILIATION',
      status: 'CLOSED',
      holds: [
        {
          attempt: 1,
          stage: 'TRANSFER',
          reason: 'the venue credited short',
          since: '2026-01-02T09:00:00.000Z',
          inCustody: { BTC: '1.2498' },
          options: { inCustody: { BTC: '1.2498' } },
          resolution: {
            path: 'CLOSE',
            handBackTo: 'OWNER',
            owner,
            approvedBy: [
              { decidedBy: 'supervisor.wu', reason: 'acquitted', decidedAt: '2026-01-03T09:00:00Z' },
              { decidedBy: 'supervisor.zhang', reason: 'order checked', decidedAt: '2026-01-03T10:00:00Z' },
            ],
            outcome: 'closed: 1.2497 BTC to bc1qowner (tx 0xb, fee 0.0001) handed back to Li Ming; reconciled',
          },
          handBack: {
            courtOrder: owner.courtOrder,
            name: owner.name,
            transfers: [
              {
                transferId: 'tr-1',
                asset: 'BTC',
                toAddress: 'bc1qowner',
                amount: '1.2498',
                fee: '0.0001',
                netAmount: '1.2497',
                txHash: '0xb',
                status: 'CONFIRMED',
              },
            ],
          },
        },
      ],
    },
    new Date('2026-01-04T00:00:00Z'),
  );
  expect(text).toContain(
    'Resolution:  CLOSE: hand back to the OWNER Li Ming on (2026) Jing 0105 Xing Chu 1234 (BTC to bc1qowner)',
  );
  expect(text).toContain('handed back 1.2497 BTC to bc1qowner (fee 0.0001, tx 0xb, CONFIRMED)');
});

test('decide --resolve/--dispose/--hand-back-to make the HOLD_RESOLUTION resolution', () => {
  expect(holdResolution('resume')).toEqual({ path: 'RESUME' });
  expect(holdResolution('amend', { dispose: 'btc=1, ETH=2.5' })).toEqual({
    path: 'AMEND',
    dispose: [
      { asset: 'BTC', amount: '1' },
      { asset: 'ETH', amount: '2.5' },
    ],
  });
  expect(holdResolution('CLOSE', { handBackTo: 'custody' })).toEqual({ path: 'CLOSE', handBackTo: 'CUSTODY' });
  expect(
    holdResolution('CLOSE', {
      handBackTo: 'owner',
      courtOrder: '(2026) Jing 0105 Xing Chu 1234',
      ownerName: 'Li Ming',
      ownerAddress: 'btc=bc1qowner, ETH=0x00000000000000000000000000000000000000aa',
    }),
  ).toEqual({
    path: 'CLOSE',
    handBackTo: 'OWNER',
    owner: {
      courtOrder: '(2026) Jing 0105 Xing Chu 1234',
      name: 'Li Ming',
      addresses: [
        { asset: 'BTC', address: 'bc1qowner' },
        { asset: 'ETH', address: '0x00000000000000000000000000000000000000aa' },
      ],
    },
  });
});

describe('show tells the story (issue 15, part 3)', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const leg = (filled: string, cost = '0') => ({
    symbol: 'BTC/USDT',
    amount: '0.5',
    limitPrice: '61000',
    reference: '61100',
    filled,
    cost,
    fee: '0',
    feeCurrency: 'USDT',
  });

  test('orders that filled nothing are folded into one count; only the orders that sold are listed', () => {
    const text = renderCase(
      {
        caseId: 'C-FOLD',
        stage: 'SALE',
        status: 'RUNNING',
        sales: [leg('0'), leg('0.00'), leg('0.5', '30500'), leg('0')],
      },
      now,
    );
    expect(text.match(/sold BTC\/USDT/g)).toHaveLength(1);
    expect(text).toMatch(/sold BTC\/USDT +0\.5 BTC -> 30500 USDT/);
    expect(text).toMatch(
      /unfilled +3 order\(s\) +filled nothing \(cancelled or expired\); vcdc --json show lists them/,
    );
  });

  test("transfers show their current state: the txid, and the venue's credit or hold after the broadcast", () => {
    const sent = (txHash: string) => ({
      amount: '1.25',
      fee: '0.0001',
      netAmount: '1.2499',
      status: 'BROADCAST',
      txHash,
      confirmations: 0,
    });
    const text = renderCase(
      {
        caseId: 'C-TX',
        stage: 'SALE',
        status: 'RUNNING',
        transfers: [
          { asset: 'BTC', transfer: sent('0xbtc9'), deposit: { status: 'CREDITED' } },
          {
            asset: 'ETH',
            transfer: sent('0xeth17'),
            hold: { txHash: '0xeth17', reason: 'AML review', since: '2026-11-30T00:00:00Z' },
          },
          { asset: 'USDT', transfer: { ...sent('0xusdt1'), status: 'CONFIRMED', confirmations: 12 } },
        ],
      },
      now,
    );
    expect(text).toMatch(/to venue +1\.2499 BTC +sent 1\.25, network fee 0\.0001; tx 0xbtc9; credited by the venue/);
    expect(text).toMatch(
      /to venue +1\.2499 ETH +.*tx 0xeth17; held by the venue since 2026-11-30T00:00:00Z \(1d ago\): AML review/,
    );
    expect(text).toMatch(/tx 0xusdt1; CONFIRMED \(12 confirmations\)/);
  });

  test('the pending act (what, by whom, until when) and the reconciliation come first, before the lots', () => {
    const check = (name: string, pass: boolean) => ({
      name,
      left: { label: 'credited', amount: '768686.30' },
      right: { label: 'settled', amount: pass ? '768686.30' : '768686.00' },
      pass,
      ...(pass ? {} : { difference: '0.30' }),
    });
    const text = renderCase(
      {
        caseId: 'C-TOP',
        stage: 'TREASURY',
        status: 'AWAITING_DECISION',
        awaiting: {
          stage: 'RECONCILIATION',
          role: 'supervisor',
          what: 'explain or refuse the differences',
          since: '2026-11-30T00:00:00Z',
          deadline: '2026-12-03T00:00:00Z',
        },
        reconciliationBeforePayout: {
          ok: false,
          phase: 'before-payout',
          checks: [check('fx-settled-credited', false), check('sold-withdrawn', true)],
          differences: [{ check: 'fx-settled-credited', difference: '0.30' }],
        },
        intakes: [{ lotId: 'L1', asset: 'BTC', declaredAmount: '1', receivedAmount: '1', status: 'VERIFIED' }],
      },
      now,
    );
    const top = text.indexOf('Lots:');
    expect(text).toMatch(
      /Waiting for: +RECONCILIATION decision by a supervisor - explain or refuse the differences, until 2026-12-03T00:00:00Z \(in 2d\)/,
    );
    expect(text).toMatch(/Reconciliation before the pay-out: DOES NOT RECONCILE \(1 of 2 checks pass\)/);
    expect(text).toMatch(/fx-settled-credited +credited 768686\.30 +settled 768686\.00 +0\.30/);
    expect(text.indexOf('Waiting for:')).toBeLessThan(top);
    expect(text.indexOf('Reconciliation before the pay-out')).toBeLessThan(top);
    expect(text).not.toContain('sold-withdrawn');
  });

  test('a closed case shows both reconciliations in one line each when they reconcile, and no pending act', () => {
    const ok = { ok: true, checks: [], differences: [] };
    const text = renderCase(
      {
        caseId: 'C-DONE',
        stage: 'RECONCILIATION',
        status: 'COMPLETED',
        reconciliationBeforePayout: { ...ok, phase: 'before-payout' },
        reconciliation: { ...ok, phase: 'closing' },
      },
      now,
    );
    expect(text).toMatch(/Reconciliation before the pay-out: reconciles \(0 of 0 checks pass\)/);
    expect(text).toMatch(/Reconciliation at closing: +reconciles/);
    expect(text).toMatch(/Waiting for: +nothing/);
  });
});
