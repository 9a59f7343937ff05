/**
 * The people's console in a real headless Chromium (playwright-core driving Debian's chromium; never a
 * downloaded browser), served by the control API on loopback against a real Temporal dev server with
 * the case worker on the fake services, the audit chain on real PostgreSQL, and a stand-in custody
 * service that verifies each forwarded act as custody does. Screenshots go to test-artifacts/console/.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  type Act,
  actOf,
  contracts,
  Decimal,
  listen,
  parseInput,
  problemHandler,
  type RunningServer,
  requireAct,
  silentLogger,
} from '@vcdc/shared';
import express, { type Response } from 'express';
import { createLocalJWKSet } from 'jose';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import type { ConsoleOptions } from '../../control-api/src/console';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { testDecisionVerifyKeys } from '../../workflows/test/audit-support';
import { createFakeActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { TEST_CONTROL_API_CONFIG } from '../support/control-api-harness';
import {
  type ConsoleFxService,
  type ConsoleTreasuryService,
  startFxService,
  startTreasuryService,
} from './act-services';
import { ARTIFACTS, type ConsoleStack, controlApiByFetch, newConsolePage, startConsoleStack } from './console-harness';

const CUSTODY_TOKEN = 'custody-service-credential-console-0123456789';
const SHORT_LOT = 'L1';

let stack: ConsoleStack;
let env: TestWorkflowEnvironment;
let issuer: DevIssuer;
let server: RunningServer;
let custody: RunningServer;
let fxService: ConsoleFxService;
let treasuryService: ConsoleTreasuryService;
let browser: Browser;
/** The acts the stand-in custody verified, as it verified them (who, in which role, on what). */
const verifiedActs: Act[] = [];
const fake = createFakeActivities({ received: { [SHORT_LOT]: '1.2' } });
const taskQueue = `console-${randomUUID()}`;
const config = TEST_CONTROL_API_CONFIG;

/** The intakes classified through the stand-in custody (what its list of differences awaiting a countersignature reads). */
const classified = new Set<string>();
/** The attestations the stand-in custody took, as its contract read them. */
const attested: contracts.custody.AttestIntake[] = [];

/** A fake service's refusal (an ApplicationFailure carrying its problem) as the service's problem+json. */
function refuseAsCustody(res: Response, error: unknown): void {
  if (!(error instanceof ApplicationFailure)) throw error;
  const problem = (error.details?.[0] ?? {}) as { status?: number; type?: string };
  res
    .status(problem.status ?? 500)
    .type('application/problem+json')
    .json({ title: 'Refused', detail: error.message, ...problem });
}

/** Custody's countersignature route as custody guards it (the signed act), carried out on the fake services' intakes. */
function standInCustody() {
  const app = express();
  app.use(express.json());
  app.post(
    '/v1/intakes/:intakeId/difference/countersignatures',
    requireAct({
      keys: testDecisionVerifyKeys(),
      kind: 'custody.intake.countersign',
      object: (req) => ({ id: String(req.params.intakeId) }),
    }),
    async (req, res) => {
      verifiedActs.push(actOf(res));
      const intake = await fake.countersignIntakeDifference(
        String(req.params.intakeId),
        req.body,
        String(req.get('idempotency-key')),
      );
      res.status(201).json(intake);
    },
  );
  // A classification, verified as custody verifies it and carried out on the fake's intake; the fake's
  // refusal answered as custody answers it (problem+json naming the field).
  app.post(
    '/v1/intakes/:intakeId/difference',
    requireAct({
      keys: testDecisionVerifyKeys(),
      kind: 'custody.intake.classify',
      object: (req) => ({ id: String(req.params.intakeId) }),
    }),
    async (req, res) => {
      verifiedActs.push(actOf(res));
      const intakeId = String(req.params.intakeId);
      try {
        const intake = await fake.classifyIntakeDifference(intakeId, req.body, String(req.get('idempotency-key')));
        classified.add(intakeId);
        res.status(201).json(intake);
      } catch (error) {
        refuseAsCustody(res, error);
      }
    },
  );
  // An attestation, verified as custody verifies it; its body read with custody's own contract (what the
  // form sends must be what custody takes), answered as custody answers a first attestation.
  app.post(
    '/v1/attestations',
    requireAct({
      keys: testDecisionVerifyKeys(),
      kind: 'custody.intake.attest',
      object: (req) => ({ id: String(req.body?.lotId), caseId: String(req.body?.caseId) }),
    }),
    (req, res) => {
      const act = actOf(res);
      verifiedActs.push(act);
      const input = parseInput(contracts.custody.AttestIntake.strict(), req.body, 'body');
      attested.push(input);
      res.status(201).json({
        caseId: input.caseId,
        lotId: input.lotId,
        asset: input.asset,
        chain: input.chain,
        declaredAmount: input.declaredAmount,
        status: 'AWAITING_SECOND_ATTESTATION',
        attestations: [
          {
            attestationId: `att-${attested.length}`,
            round: 1,
            attestedBy: act.actor.id,
            txHash: input.txHash,
            amount: input.amount,
            attestedAt: new Date().toISOString(),
          },
        ],
      });
    },
  );
  // Custody's list of classified differences awaiting a countersignature, over those classified here, each
  // with who countersigns as custody names them (the evidence: the stand-in never corrects it).
  app.get('/v1/intakes', async (req, res) => {
    const intakes = await Promise.all([...classified].map((id) => fake.getIntake(id)));
    res.json({
      intakes: intakes
        .filter((i) => i.differenceStatus === 'CLASSIFIED' && (!req.query.caseId || i.caseId === req.query.caseId))
        .map((i) => ({
          ...i,
          countersigners: { 'handing-officer': i.evidence.handedOverBy, custodian: i.evidence.receivedBy },
        })),
    });
  });
  app.get('/v1/whitelist', (req, res) => {
    res.json({
      entries: [
        {
          entryId: 'WL-CONSOLE-1',
          chain: 'bitcoin',
          address: 'bc1qconsole0venue0deposit',
          label: 'hashkey BTC deposit',
          venue: 'hashkey',
          status: req.query.status ?? 'PENDING_APPROVAL',
          requestedBy: 'custodian.liu',
          approvals: [],
        },
      ],
    });
  });
  app.use(problemHandler(silentLogger()));
  return app;
}

function consoleApp(signIn: ConsoleOptions['signIn']) {
  return createControlApi({
    ...stack.deps,
    console: { dir: stack.consoleDir, signIn, temporalUi: { url: 'http://127.0.0.1:8233', namespace: 'default' } },
  });
}

beforeAll(async () => {
  stack = await startConsoleStack('console', taskQueue, fake);
  ({ issuer, browser } = stack);
  env = stack.temporal.env;
  custody = await listen(standInCustody(), 0);
  fxService = await startFxService(config.DECISION_SIGNING_KEY, testDecisionVerifyKeys());
  treasuryService = await startTreasuryService(testDecisionVerifyKeys());
  const app = createControlApi({
    ...stack.deps,
    actServices: {
      custody: { url: custody.url, token: CUSTODY_TOKEN },
      fx: { url: fxService.server.url },
      treasury: { url: treasuryService.server.url },
    },
    bookServices: { fx: { url: fxService.server.url }, treasury: { url: treasuryService.server.url } },
    // A case with more than 20 ETH needs two supervisors (the quorum test); the others hold 10.5.
    quorumThresholds: { ETH: new Decimal(20) },
    console: {
      dir: stack.consoleDir,
      signIn: { mode: 'dev', issuer },
      publicUrl: 'https://vcdc.example.gov/console/',
      temporalUi: { url: 'http://127.0.0.1:8233', namespace: 'default' },
    },
  });
  server = await listen(app, 0);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await custody?.close();
  await fxService?.close();
  await treasuryService?.close();
  await stack?.close();
});

const { api, progress } = controlApiByFetch(() => server.url);

/**
 * A case registered by `token`'s person whose lot SHORT_LOT custody received short, handed over by
 * officer.zhang to custodian.chen: waiting at INTAKE_DISCREPANCY, its difference not yet classified.
 */
async function caseWithShortIntake(token: string): Promise<{ caseId: string; short: CaseProgress['intakes'][number] }> {
  const caseId = `CON-${randomUUID().slice(0, 8)}`;
  const base = sampleRegistration(caseId);
  const lots = base.lots.map((l) => ({
    ...l,
    evidence: { ...l.evidence, handedOverBy: 'officer.zhang', receivedBy: 'custodian.chen' },
  }));
  expect((await api(token, 'POST', '/v1/cases', { ...base, lots })).status).toBe(201);
  const waiting = await progress(token, caseId, (p) => p.awaiting?.stage === 'INTAKE_DISCREPANCY');
  const short = waiting.intakes.find((i) => i.lotId === SHORT_LOT);
  expect(short?.differenceStatus).toBe('UNCLASSIFIED');
  return { caseId, short: short! };
}

/** A case registered by `token`'s person, with every lot received in full, waiting for its disposal plan. */
async function caseAwaitingDisposalPlan(token: string, eth = '10.5'): Promise<string> {
  const caseId = `CON-${randomUUID().slice(0, 8)}`;
  const registration = sampleRegistration(caseId, {
    lots: sampleRegistration(caseId).lots.map((l) => ({
      ...l,
      lotId: `${l.lotId}-FULL`,
      ...(l.asset === 'ETH' ? { declaredAmount: eth } : {}),
    })),
  });
  const res = await api(token, 'POST', '/v1/cases', registration);
  expect(res.status).toBe(201);
  await progress(token, caseId, (p) => p.awaiting?.stage === 'DISPOSAL_PLAN');
  return caseId;
}

const newPage = (): Promise<Page> => newConsolePage(browser, server.url);

async function signInAs(page: Page, person: string): Promise<void> {
  await page.goto('/console/sign-in');
  await page.getByLabel('Person').selectOption(person);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: person }).waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('the console is served by the control API', () => {
  test('its page loads only its own script and style under a strict CSP, and any console path is the app', async () => {
    const page = await request(server.url).get('/console/cases/ANY-1');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.text).toMatch(/<script type="module" src="\/console\/main-[A-Z0-9]+\.js"><\/script>/);
    expect(page.text).not.toMatch(/<script>|https?:\/\//);
    const script = /src="(\/console\/main-[A-Z0-9]+\.js)"/.exec(page.text)?.[1];
    const asset = await request(server.url).get(script as string);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect((await request(server.url).get('/console/missing-0000.js')).status).toBe(404);
  });

  test('in oidc mode the dev sign-in does not exist and the config names the issuer and the console client', async () => {
    const oidc = consoleApp({
      mode: 'oidc',
      issuer: 'https://id.example.gov',
      clientId: 'vcdc-console',
      scope: 'openid',
    });
    expect((await request(oidc).get('/console/dev/people')).status).toBe(404);
    expect((await request(oidc).post('/console/dev/sign-in').send({ person: 'supervisor.li' })).status).toBe(404);
    const cfg = await request(oidc).get('/console/config.json');
    expect(cfg.body.signIn).toEqual({
      mode: 'oidc',
      issuer: 'https://id.example.gov',
      clientId: 'vcdc-console',
      scope: 'openid',
    });
    expect(cfg.body.decisionRoles.DISPOSAL_PLAN).toContain('supervisor');
    // The dev stack's console does have it, and mints only seeded people.
    expect(
      (await request(server.url).get('/console/dev/people')).body.people.map((p: { id: string }) => p.id),
    ).toContain('supervisor.li');
    expect((await request(server.url).post('/console/dev/sign-in').send({ person: 'mallory' })).status).toBe(404);
  });
});

describe('deciding in the console', () => {
  test('a supervisor sees the disposal plan in the inbox, approves it, and the case moves on', async () => {
    const officer = await issuer.mint('officer.zhang');
    const caseId = await caseAwaitingDisposalPlan(officer);
    const page = await newPage();
    await signInAs(page, 'supervisor.li');

    const row = page.locator(`tr[data-case="${caseId}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('DISPOSAL_PLAN');
    await shot(page, 'inbox-supervisor');

    await row.getByRole('link', { name: caseId }).click();
    await expect(page.getByTestId('requested-by').textContent()).resolves.toBe('officer.zhang');
    await expect(page.getByTestId('approval-state').textContent()).resolves.toContain('0 of 1 approval');
    await page.getByLabel(/^Reason/).fill('plan checked against the court ruling');
    await shot(page, 'case-before-approval');
    await page.getByRole('button', { name: 'Approve DISPOSAL_PLAN' }).click();
    await expect(page.getByTestId('decision-accepted').textContent()).resolves.toContain(
      'DISPOSAL_PLAN APPROVE by supervisor.li (supervisor)',
    );

    // The workflow's details in the Web UI link back to this page.
    const details = await (await env.client.workflow.getHandle(`case-${caseId}`).describe()).staticDetails();
    expect(details).toContain(`**Console:** [case ${caseId}](https://vcdc.example.gov/console/cases/${caseId})`);
    const after = await progress(officer, caseId, (p) => p.stage !== 'AUTHORISATION');
    expect(after.decisions.accepted).toEqual([
      expect.objectContaining({
        stage: 'DISPOSAL_PLAN',
        outcome: 'APPROVE',
        decidedBy: 'supervisor.li',
        unit: 'case-handling',
      }),
    ]);
    // Once it has sold: the fills are listed and charted, one chart per market, one point per fill.
    const sold = await progress(
      officer,
      caseId,
      (p) => p.stage !== 'SALE' && p.sales.some((s) => Number(s.filled) > 0),
    );
    const fills = sold.sales.filter((s) => Number(s.filled) > 0);
    await page.reload();
    await page.getByTestId('case-stage').filter({ hasNotText: 'AUTHORISATION' }).waitFor();
    await expect(page.getByTestId('empty-orders').textContent()).resolves.toContain(
      `${fills.length} order(s) filled; ${sold.sales.length - fills.length} order(s) filled nothing`,
    );
    for (const symbol of new Set(fills.map((f) => f.symbol))) {
      const chart = page.locator(`svg[data-testid="fills-chart"][data-symbol="${symbol}"]`);
      expect(await chart.locator('circle').count()).toBe(fills.filter((f) => f.symbol === symbol).length);
    }
    await shot(page, 'case-page');
  });

  test('above the quorum threshold the first supervisor sees 1 of 2 approvals, and that the next must be someone else', async () => {
    const officer = await issuer.mint('officer.zhang');
    const caseId = await caseAwaitingDisposalPlan(officer, '25');
    const page = await newPage();
    await signInAs(page, 'supervisor.li');
    await page.goto(`/console/cases/${caseId}`);
    await expect(page.getByTestId('approval-state').textContent()).resolves.toContain('0 of 2 approvals');
    await page.getByRole('button', { name: 'Approve DISPOSAL_PLAN' }).click();
    await expect(page.getByTestId('decision-accepted').textContent()).resolves.toContain('approvals 1 of 2');
    await page
      .getByTestId('approval-state')
      .filter({ hasText: '1 of 2 approvals — so far by supervisor.li' })
      .waitFor();
    await expect(page.getByTestId('cannot-approve').textContent()).resolves.toContain(
      'You already approved; the quorum needs another person.',
    );
    await shot(page, 'case-quorum-1-of-2');
    // A report, read through the control API with the same token: the case's statement.
    await page.getByRole('button', { name: 'Statement: the three values' }).click();
    await expect(page.getByTestId('report').textContent()).resolves.toContain(`"caseId": "${caseId}"`);
    // A report the control API cannot read here (no exchange service is configured in this test): its
    // problem+json is shown as the server gave it, naming the service, not a blank or a bare status.
    await page.getByRole('button', { name: 'Best execution' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/exchange/);
    const p = await progress(officer, caseId, () => true);
    expect(p.awaiting?.stage).toBe('DISPOSAL_PLAN');
  });

  test('the case officer who registered sees, before any click, that they cannot approve', async () => {
    const officer = await issuer.mint('officer.zhang');
    const caseId = await caseAwaitingDisposalPlan(officer);
    const page = await newPage();
    await signInAs(page, 'officer.zhang');
    await page.goto(`/console/cases/${caseId}`);
    const why = page.getByTestId('cannot-approve');
    await why.waitFor();
    const text = await why.textContent();
    expect(text).toContain('You registered this case, so you cannot approve it');
    expect(text).toContain('DISPOSAL_PLAN is decided by a senior-supervisor or supervisor; you are case-officer');
    expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    await shot(page, 'case-requester');
  });

  test('a supervisor who registered the case is told why first, and the refusal is the server’s, verbatim', async () => {
    const both = await issuer.sign({ sub: 'officer.li', roles: ['case-officer', 'supervisor'], unit: 'case-handling' });
    const caseId = await caseAwaitingDisposalPlan(both);
    const page = await newPage();
    // This person is not a seeded one: their token is put where the console keeps it (this tab's session).
    await page.addInitScript((token) => {
      (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
        'vcdc.console.token',
        token,
      );
    }, both);
    await page.goto(`/console/cases/${caseId}`);
    await expect(page.getByTestId('cannot-approve').textContent()).resolves.toContain(
      'You registered this case, so you cannot approve it',
    );
    await page.getByRole('button', { name: 'Approve DISPOSAL_PLAN' }).click();
    const refused = page.getByTestId('decision-refused');
    await refused.waitFor();
    const text = await refused.textContent();
    expect(text).toContain('422 Decision refused');
    expect(text).toContain('four-eyes');
    expect(text).toContain('officer.li requested this disposal and may not decide on it (four-eyes rule)');
    await shot(page, 'case-requester-refused');
    const p = await progress(both, caseId, () => true);
    expect(p.awaiting?.stage).toBe('DISPOSAL_PLAN');
    expect(p.decisions.accepted).toEqual([]);
  });
});

describe('custodians act in the console', () => {
  test('the receiving custodian countersigns a classified intake difference, signed for them and verified by custody', async () => {
    const officer = await issuer.mint('officer.zhang');
    const { caseId, short } = await caseWithShortIntake(officer);
    const intakeId = short.intakeId;
    // A custodian classified the difference at custody (not what this test is about).
    await fake.classifyIntakeDifference(
      intakeId,
      { classification: 'SHORT_DELIVERY', explanation: 'the sweep delivered less', amount: '0.05' },
      `classify-${intakeId}`,
    );
    const supervisor = await issuer.mint('supervisor.li');
    const approved = await api(supervisor, 'POST', `/v1/cases/${caseId}/decisions`, {
      stage: 'INTAKE_DISCREPANCY',
      outcome: 'APPROVE',
      reason: 'go on with what custody received',
    });
    expect(approved.status).toBe(200);
    await progress(officer, caseId, (p) =>
      p.intakes.some((i) => i.intakeId === intakeId && i.differenceStatus === 'CLASSIFIED'),
    );

    const page = await newPage();
    await signInAs(page, 'custodian.chen');
    // The inbox: the whitelist entry another custodian requested, waiting for this one's approval.
    await page.getByRole('heading', { name: /Whitelist entries awaiting approval\s*1/ }).waitFor();
    await page.getByRole('button', { name: 'Approve entry' }).waitFor();
    await shot(page, 'inbox-custodian');
    await page.goto(`/console/cases/${caseId}`);
    const row = page.locator(`tr[data-intake="${intakeId}"]`);
    await row.getByRole('button', { name: 'Countersign as custodian' }).click();
    await row.getByText('countersigned by custodian.chen (custodian)').waitFor();
    await shot(page, 'custodian-countersigned');

    expect(verifiedActs).toEqual([
      expect.objectContaining({
        kind: 'custody.intake.countersign',
        actor: expect.objectContaining({ id: 'custodian.chen', role: 'custodian', unit: 'custody' }),
      }),
    ]);
    const intake = await fake.getIntake(intakeId);
    expect(intake.countersignatures).toEqual([
      expect.objectContaining({ signedBy: 'custodian.chen', role: 'custodian' }),
    ]);
  });
});

describe('the acts waiting for people, and the forms for them', () => {
  test('a custodian records an intake difference (a wrong amount refused naming the field, nothing recorded); the receiving custodian countersigns it from the inbox', async () => {
    const officer = await issuer.mint('officer.zhang');
    const { caseId, short } = await caseWithShortIntake(officer);
    const expected = new Decimal(short.declaredAmount).minus(short.receivedAmount).toFixed();
    const actsBefore = verifiedActs.length;

    // Another custodian records why the received amount differs, on the case page.
    const liu = await newPage();
    await signInAs(liu, 'custodian.liu');
    await liu.goto(`/console/cases/${caseId}`);
    const form = liu.getByRole('form', { name: `Record the difference of intake ${short.intakeId}` });
    await form.getByLabel('Why it differs').selectOption('SHORT_DELIVERY');
    await form.getByLabel(/^Difference, declared − received/).fill('0.5');
    await form.getByLabel('Explanation').fill('the sweep delivered less than the seizure record');
    await form.getByRole('button', { name: 'Record the difference' }).click();
    // Custody's refusal, verbatim, next to the field it names; the intake is as it was.
    const fieldError = form.getByTestId('field-error-amount');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toBe(`amount: must be ${expected}`);
    await expect(form.getByTestId('classify-refused').textContent()).resolves.toContain('difference-amount-mismatch');
    expect(await form.getByLabel(/^Difference, declared − received/).getAttribute('aria-invalid')).toBe('true');
    await shot(liu, 'custodian-classify-field-error');
    expect((await fake.getIntake(short.intakeId)).differenceStatus).toBe('UNCLASSIFIED');

    await form.getByLabel(/^Difference, declared − received/).fill(expected);
    await form.getByRole('button', { name: 'Record the difference' }).click();
    await liu
      .locator(`tr[data-intake="${short.intakeId}"]`)
      .getByText(/SHORT_DELIVERY: the sweep delivered less/)
      .waitFor();
    expect((await fake.getIntake(short.intakeId)).differenceClassification).toMatchObject({
      classification: 'SHORT_DELIVERY',
      amount: expected,
    });
    // Two acts reached custody (the refused one and the recorded one), both signed for custodian.liu.
    expect(verifiedActs.slice(actsBefore)).toEqual([
      expect.objectContaining({
        kind: 'custody.intake.classify',
        actor: expect.objectContaining({ id: 'custodian.liu' }),
      }),
      expect.objectContaining({
        kind: 'custody.intake.classify',
        actor: expect.objectContaining({ id: 'custodian.liu' }),
      }),
    ]);
    // The classifying custodian is not the one the handover evidence names: nothing waits for them.
    await liu.goto('/console/');
    await liu.getByRole('heading', { name: /Intake differences awaiting your countersignature\s*0/ }).waitFor();

    // The receiving custodian finds it in the inbox, with the count, and countersigns there.
    const chen = await newPage();
    await signInAs(chen, 'custodian.chen');
    await chen.getByRole('heading', { name: /Intake differences awaiting your countersignature\s*1/ }).waitFor();
    const row = chen.locator(`tr[data-countersign="${short.intakeId}"]`);
    await expect(row.getByRole('link', { name: caseId }).getAttribute('href')).resolves.toBe(
      `/console/cases/${caseId}`,
    );
    await shot(chen, 'inbox-custodian-countersign');
    await row.getByRole('button', { name: 'Countersign as custodian' }).click();
    await chen.getByRole('heading', { name: /Intake differences awaiting your countersignature\s*0/ }).waitFor();
    expect(verifiedActs.at(-1)).toMatchObject({
      kind: 'custody.intake.countersign',
      actor: { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
    });
    expect((await fake.getIntake(short.intakeId)).countersignatures).toEqual([
      expect.objectContaining({ signedBy: 'custodian.chen', role: 'custodian' }),
    ]);
  });

  test('an FX officer proposes a settlement correction (a bad amount refused naming the field, nothing booked), is shown why they cannot approve it, and another FX officer approves it from the inbox', async () => {
    const officer = await issuer.mint('officer.zhang');
    const caseId = await caseAwaitingDisposalPlan(officer);
    const { settlementId } = await fxService.settledTranche(caseId);

    const wang = await newPage();
    await signInAs(wang, 'fx.officer.wang');
    await wang.goto(`/console/cases/${caseId}`);
    const form = wang.getByRole('form', { name: `Propose a correction of tranche ${settlementId}` });
    await form.getByLabel('Corrected CNY amount').fill('6940.255');
    await form.getByLabel('Reason for the correction').fill('the bank rounded differently');
    await form.getByRole('button', { name: 'Propose correction' }).click();
    const fieldError = form.getByTestId('field-error-cnyAmount');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toBe('cnyAmount: must have at most 2 decimal places for CNY');
    await expect(form.getByTestId('correction-proposal-refused').textContent()).resolves.toContain(
      '400 Invalid request body',
    );
    await shot(wang, 'fx-correction-field-error');
    expect(await fxService.counts()).toEqual({ requests: 0, booked: 0 });

    await form.getByLabel('Corrected CNY amount').fill('');
    await form.getByLabel('Corrected rate (CNY per unit)').fill('7.0500');
    await form.getByLabel('Reason for the correction').fill('the bank applied the previous day’s rate');
    await form.getByRole('button', { name: 'Propose correction' }).click();
    await expect(form.getByTestId('correction-proposed').textContent()).resolves.toContain(
      '6940.25 CNY at 7.1 (977.50 net) → 6891.37 CNY at 7.05',
    );
    expect(await fxService.counts()).toEqual({ requests: 1, booked: 0 });
    // Before any click: the author is told why they cannot approve it, and has no button to.
    const pending = wang.locator('[data-pending-correction]');
    await expect(pending.getByTestId('cannot-approve-correction').textContent()).resolves.toBe(
      'You proposed this correction, so you cannot approve it; another fx-officer or supervisor must.',
    );
    expect(await pending.getByRole('button', { name: /Approve correction/ }).count()).toBe(0);
    await shot(wang, 'fx-correction-proposed');
    // The same in the inbox.
    await wang.goto('/console/');
    await wang.getByRole('heading', { name: /FX settlement corrections awaiting approval\s*1/ }).waitFor();
    await wang.getByTestId('cannot-approve-correction').waitFor();
    // Listed, but not counted among the acts waiting for the author: it waits for someone else.
    expect(await wang.getByTestId('acts-count').textContent()).toBe('0');

    const zhao = await newPage();
    await signInAs(zhao, 'fx.officer.zhao');
    await zhao.getByRole('heading', { name: /FX settlement corrections awaiting approval\s*1/ }).waitFor();
    expect(await zhao.getByTestId('acts-count').textContent()).toBe('1');
    const row = zhao.locator('tr[data-correction-row]');
    await expect(row.getByRole('link', { name: caseId }).count()).resolves.toBe(1);
    expect(await row.getByTestId('cannot-approve-correction').count()).toBe(0);
    await shot(zhao, 'inbox-fx-approver');
    await row.getByRole('button', { name: /Approve correction/ }).click();
    await zhao.getByRole('heading', { name: /FX settlement corrections awaiting approval\s*0/ }).waitFor();
    expect(await fxService.counts()).toEqual({ requests: 1, booked: 1 });
    const declarations = await api(officer, 'GET', `/v1/cases/${caseId}/fx-declarations`);
    const tranche = (declarations.body.declarations as Array<{ settlements: Array<Record<string, unknown>> }>)[0]!
      .settlements[0]!;
    expect(tranche.inForce).toMatchObject({ rate: '7.05', cnyAmount: '6891.37' });
    expect(tranche.corrections).toEqual([
      expect.objectContaining({ author: 'fx.officer.wang', approver: 'fx.officer.zhao', status: 'APPLIED' }),
    ]);
  });

  test('a custodian attests an intake custody cannot see on chain: the form sends what custody’s contract takes, signed for them', async () => {
    const officer = await issuer.mint('officer.zhang');
    const caseId = await caseAwaitingDisposalPlan(officer);
    const page = await newPage();
    await signInAs(page, 'custodian.chen');
    await page.goto(`/console/cases/${caseId}`);
    await page.getByText('Attest an intake on a chain custody does not watch').click();
    const form = page.getByRole('form', { name: 'Attest an intake' });
    await form.getByLabel('Lot').fill('L9');
    await form.getByLabel('Asset').selectOption('BTC');
    await form.getByLabel('Chain').selectOption('bitcoin');
    await form.getByLabel('Declared amount').fill('0.5');
    await form.getByLabel('Sweep transaction').fill('btc-attested-9');
    await form.getByLabel('Amount you saw arrive').fill('half a coin');
    await form.getByLabel('Handover form number').fill('HF-9');
    await form.getByLabel('Handed over by (officer id)').fill('officer.zhang');
    expect(await form.getByLabel('Received by (custodian id)').inputValue()).toBe('custodian.chen');
    await form.getByLabel('Handed over at').fill('2026-03-10T09:30:00Z');
    await form.getByRole('button', { name: 'Attest intake' }).click();
    // Custody's contract refuses the amount, naming it; nothing was attested.
    await expect(form.getByTestId('field-error-amount').textContent()).resolves.toMatch(/^amount: /);
    expect(attested).toEqual([]);

    await form.getByLabel('Amount you saw arrive').fill('0.5');
    await form.getByRole('button', { name: 'Attest intake' }).click();
    await expect(form.getByTestId('attested').textContent()).resolves.toBe(
      'Attested: lot L9 is AWAITING_SECOND_ATTESTATION (1 attestation(s)).',
    );
    await shot(page, 'custodian-attested');
    expect(attested).toEqual([
      {
        caseId,
        lotId: 'L9',
        asset: 'BTC',
        chain: 'bitcoin',
        declaredAmount: '0.5',
        txHash: 'btc-attested-9',
        amount: '0.5',
        evidence: {
          handoverFormNo: 'HF-9',
          handedOverBy: 'officer.zhang',
          receivedBy: 'custodian.chen',
          handedOverAt: '2026-03-10T09:30:00.000Z',
          documents: [],
        },
      },
    ]);
    expect(verifiedActs.at(-1)).toMatchObject({
      kind: 'custody.intake.attest',
      actor: { id: 'custodian.chen', role: 'custodian', unit: 'custody' },
      object: { type: 'lot', id: 'L9', caseId },
    });
  });

  test('a treasury officer proposes a ledger correction, is shown why they cannot approve it, and a supervisor approves it on the case page', async () => {
    const officer = await issuer.mint('officer.zhang');
    const caseId = await caseAwaitingDisposalPlan(officer);
    await treasuryService.credit(caseId, '100.00');
    const before = await treasuryService.counts();

    const sun = await newPage();
    await signInAs(sun, 'treasury.officer.sun');
    await sun.goto(`/console/cases/${caseId}`);
    const form = sun.getByRole('form', { name: 'Propose a correction of a ledger line' });
    await form.getByLabel('Ledger line').selectOption('1');
    await form.getByLabel('What the line should have been (CNY)').fill('90.00');
    await form.getByLabel('Reason for the correction').fill('the bank credited 90.00');
    await form.getByRole('button', { name: 'Propose treasury correction' }).click();
    await form.getByTestId('treasury-correction-proposed').waitFor();
    const mine = sun.locator('section[aria-labelledby="treasury-corrections-heading"] [data-pending-correction]');
    await expect(mine.getByTestId('cannot-approve-correction').textContent()).resolves.toBe(
      'You proposed this correction, so you cannot approve it; another treasury-officer or supervisor must.',
    );
    expect(await mine.getByRole('button', { name: /Approve correction/ }).count()).toBe(0);
    await shot(sun, 'treasury-correction-proposed');
    expect(await treasuryService.counts()).toEqual({ requests: before.requests + 1, booked: before.booked });

    const li = await newPage();
    await signInAs(li, 'supervisor.li');
    await li.goto(`/console/cases/${caseId}`);
    const pending = li.locator('section[aria-labelledby="treasury-corrections-heading"] [data-pending-correction]');
    await pending.getByRole('button', { name: /Approve correction/ }).click();
    await pending.waitFor({ state: 'detached' });
    expect(await treasuryService.counts()).toEqual({ requests: before.requests + 1, booked: before.booked + 1 });
    const statement = await api(officer, 'GET', `/v1/cases/${caseId}/treasury-statement`);
    expect(statement.body.balance).toBe('90.00');
  });
});

/**
 * A stand-in OIDC provider on loopback: discovery, an authorization endpoint that signs supervisor.li in
 * at once, and a token endpoint that gives the access token only for the code's PKCE verifier.
 */
async function standInProvider() {
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  const exchanges: Array<{ verified: boolean }> = [];
  let tokens: DevIssuer | undefined;
  const app = express();
  app.use((_req, res, next) => {
    res.set({ 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' });
    next();
  });
  app.options('/{*any}', (_req, res) => {
    res.status(204).end();
  });
  app.use(express.urlencoded({ extended: false }));
  const provider = await listen(app, 0);
  tokens = await createDevIssuer(provider.url);
  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: provider.url,
      authorization_endpoint: `${provider.url}/authorize`,
      token_endpoint: `${provider.url}/token`,
      jwks_uri: `${provider.url}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });
  app.get('/authorize', (req, res) => {
    const q = req.query as Record<string, string>;
    if (q.response_type !== 'code' || q.code_challenge_method !== 'S256' || !q.code_challenge) {
      res.status(400).send('code flow with S256 PKCE only');
      return;
    }
    const code = randomUUID();
    codes.set(code, {
      challenge: q.code_challenge,
      redirectUri: q.redirect_uri as string,
      clientId: q.client_id as string,
    });
    res.redirect(302, `${q.redirect_uri}?code=${code}&state=${encodeURIComponent(q.state ?? '')}`);
  });
  app.post('/token', async (req, res) => {
    const grant = codes.get(req.body.code);
    codes.delete(req.body.code);
    const verified =
      grant !== undefined &&
      req.body.redirect_uri === grant.redirectUri &&
      createHash('sha256').update(String(req.body.code_verifier)).digest('base64url') === grant.challenge;
    exchanges.push({ verified });
    if (!verified || !tokens || !grant) {
      res.status(400).json({ error: 'invalid_grant' });
      return;
    }
    const person = { sub: 'supervisor.li', roles: ['supervisor'], unit: 'case-handling' };
    res.json({
      access_token: await tokens.sign(person),
      id_token: await tokens.sign({ ...person, audience: grant.clientId }),
      token_type: 'Bearer',
      expires_in: 3600,
    });
  });
  return { provider, exchanges, tokens };
}

describe('signing in with the organisation’s identity provider (AUTH_MODE=oidc)', () => {
  test('the console runs the code flow with PKCE and calls the control API with the access token it got', async () => {
    const { provider, exchanges, tokens } = await standInProvider();
    // The stack's control API, its people signed in by the organisation's provider instead.
    const app = createControlApi({
      ...stack.deps,
      authenticator: jwtAuthenticator({
        issuer: provider.url,
        audience: CONTROL_API_AUDIENCE,
        keys: createLocalJWKSet(tokens.jwks),
      }),
      console: {
        dir: stack.consoleDir,
        signIn: { mode: 'oidc', issuer: provider.url, clientId: 'vcdc-console', scope: 'openid profile' },
      },
    });
    const oidcApi = await listen(app, 0);
    try {
      const context = await browser.newContext({ baseURL: oidcApi.url });
      const page = await context.newPage();
      await page.goto('/console/');
      await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
      await page.getByTestId('signed-in-as').filter({ hasText: 'supervisor.li' }).waitFor();
      // The inbox was read with that token: its answer, not a 401.
      await page.getByRole('heading', { name: /Decisions waiting for you/ }).waitFor();
      await shot(page, 'oidc-signed-in');
      expect(exchanges).toEqual([{ verified: true }]);
      const stored = await page.evaluate(() => {
        const g = globalThis as unknown as {
          sessionStorage: { getItem(k: string): string | null };
          localStorage: { length: number };
        };
        return { session: g.sessionStorage.getItem('vcdc.console.token'), local: g.localStorage.length };
      });
      expect(stored.session).toMatch(/^ey/);
      expect(stored.local).toBe(0);
      expect(page.url()).toBe(`${oidcApi.url}/console/`);
      await context.close();
    } finally {
      await oidcApi.close();
      await provider.close();
    }
  });
});
