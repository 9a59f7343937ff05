/**
 * The auditor's reads and the case file (issue 15), end to end on the control API: a case runs to
 * its end on a Temporal dev server with the fake services; the services' read routes are served over
 * HTTP behind a service credential from the records that case left in the fakes (the stand-in for
 * custody, the exchange, FX and the treasury, as control-api-acts.test.ts stands in for the act
 * routes); the control API's audit chain is on real PostgreSQL. An auditor reads the services'
 * reports with their own token, exports the case file with `vcdc dossier export`, and
 * `vcdc dossier verify` accepts it offline and rejects tampered copies naming the file.
 */
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type AuditChain,
  Decimal,
  listen,
  type Pool,
  type RunningServer,
  requireServiceCredential,
  signCheckpoint,
} from '@vcdc/shared';
import type { exchange, fx } from '@vcdc/shared/contracts';
import express, { type Express } from 'express';
import { strToU8, unzipSync, zipSync } from 'fflate';
import request from 'supertest';
import { runCli } from '../../cli/src/vcdc';
import {
  type CaseTemporal,
  eventually,
  requestsAs,
  startCaseTemporal,
  TEST_CONTROL_API_CONFIG,
  testControlApiDeps,
  tokensFor,
} from '../../test/support/control-api-harness';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { testAuditChain } from '../../workflows/test/audit-support';
import { createFakeActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { type ControlApiDeps, createControlApi } from '../src/app';
import { createDevIssuer } from '../src/dev-issuer';

const SERVICE_TOKEN = 'services-read-credential-0123456789abcdef';
const PEOPLE = {
  'officer.li': ['case-officer'],
  'supervisor.zhang': ['supervisor'],
  'fx.chen': ['fx-officer'],
  'auditor.qian': ['auditor'],
} as const;
type Person = keyof typeof PEOPLE;
let tokens: Record<Person, string>;
const fake = createFakeActivities();
const taskQueue = `control-api-dossier-${randomUUID()}`;
const signingKey = TEST_CONTROL_API_CONFIG.DECISION_SIGNING_KEY;

let temporal: CaseTemporal;
let services: RunningServer;
let controlApi: RunningServer;
let app: Express;
/** The control API's dependencies without the services (tests add their own). */
let deps: ControlApiDeps;
let audit: AuditChain;
let auditPool: Pool;
let caseId: string;
let dir: string;
let keyFile: string;
/** What the services were asked, and with which credential. */
const asked: Array<{ path: string; authorization: string | undefined }> = [];

const as = (person: Person) => requestsAs(app, tokens[person]);

/** A best-execution report of the fake venue's orders: each order its own lot (the exchange service's shape). */
function bestExecutionOf(statement: exchange.ExchangeStatement): exchange.BestExecutionReport {
  return {
    caseId: statement.caseId,
    generatedAt: new Date().toISOString(),
    lots: statement.orders.map((o) => ({
      parentOrderId: null,
      lotId: o.clientOrderId,
      symbol: o.symbol,
      clientOrderIds: [o.clientOrderId],
      fillCount: o.fills.length,
      sold: o.filled,
      proceeds: o.cost,
      averagePrice: o.averagePrice,
      minFillPrice: null,
      maxFillPrice: null,
      arrivalPrice: null,
      shortfallBp: null,
      shortfallWithFeesBp: null,
      fees: o.feeCurrency ? [{ currency: o.feeCurrency, amount: o.fee }] : [],
      floor: { price: null, minFillPrice: null, result: o.fills.length ? 'NO_FLOOR' : 'NO_FILLS', breaches: [] },
      firstFillAt: null,
      lastFillAt: null,
    })),
    orders: [],
    referencePrices: [],
    routes: [],
  };
}

/** A waterfall of a fake declaration: what arrived at the bank and the CNY settled. */
function waterfallOf(d: fx.Declaration): fx.Waterfall {
  const settled = d.settlements.reduce((t, s) => t.plus(s.cnyAmount), new Decimal(0));
  const ids = d.settlements.map((s) => s.settlementId);
  return {
    declarationId: d.declarationId,
    caseId: d.caseId,
    currency: d.currency,
    lines: [
      { kind: 'ARRIVED_AT_BANK', currency: d.currency, amount: d.amount, settlementIds: [] },
      { kind: 'CNY_SETTLED', currency: 'CNY', amount: settled.toFixed(2), settlementIds: ids },
    ],
    unsettled: '0',
  };
}

/** The services' read routes, behind their credential, answered from the fakes the case ran against. */
function servicesApp(): Express {
  const s = express();
  s.use((req, _res, next) => {
    asked.push({ path: req.path, authorization: req.get('authorization') });
    next();
  });
  s.use(requireServiceCredential('services', SERVICE_TOKEN));
  s.get('/custody/v1/cases/:caseId/ledger', async (req, res) => {
    res.json(await fake.getCustodyLedger(req.params.caseId));
  });
  s.get('/exchange/v1/cases/:caseId/statement', async (req, res) => {
    res.json(await fake.getExchangeStatement(req.params.caseId));
  });
  s.get('/exchange/v1/cases/:caseId/best-execution', async (req, res) => {
    res.json(bestExecutionOf(await fake.getExchangeStatement(req.params.caseId)));
  });
  s.get('/fx/v1/cases/:caseId/declarations', async (req, res) => {
    res.json(await fake.listDeclarations(req.params.caseId));
  });
  s.get('/fx/v1/declarations/:id/waterfall', async (req, res) => {
    const all = await fake.listDeclarations(caseId);
    const d = all.find((x) => x.declarationId === req.params.id);
    if (!d) return void res.status(404).end();
    res.json(waterfallOf(d));
  });
  s.get('/treasury/v1/cases/:caseId/statement', async (req, res) => {
    res.json(await fake.getTreasuryStatement(req.params.caseId));
  });
  return s;
}

const progress = (test: (p: CaseProgress) => boolean) =>
  eventually(async () => {
    const res = await as('officer.li').get(`/v1/cases/${caseId}`);
    return res.status === 200 && test(res.body) ? (res.body as CaseProgress) : undefined;
  }, `case ${caseId}`);

/** `vcdc` in-process as the auditor, against the listening control API; its output and exit code. */
async function vcdc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    env: { VCDC_API_URL: controlApi.url, VCDC_TOKEN: tokens['auditor.qian'] },
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

beforeAll(async () => {
  temporal = await startCaseTemporal(taskQueue, fake);
  const issuer = await createDevIssuer();
  tokens = await tokensFor(issuer, PEOPLE);
  ({ audit, pool: auditPool } = await testAuditChain('control_api_dossier'));
  services = await listen(servicesApp(), 0);
  const target = (name: string) => ({ url: `${services.url}/${name}`, token: SERVICE_TOKEN });
  deps = testControlApiDeps({ audit, issuer, client: temporal.env.client, taskQueue });
  // The control API's checkpoint directory with one signed checkpoint of its chain (audit/checkpoint.ts).
  dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-dossier-'));
  const checkpointKey = generateKeyPairSync('ed25519').privateKey;
  const signed = signCheckpoint(checkpointKey, {
    chain: 'audit',
    seq: 1,
    hash: 'a'.repeat(64),
    at: new Date().toISOString(),
  });
  writeFileSync(path.join(dir, 'audit.checkpoints.jsonl'), `${JSON.stringify(signed)}\n`);
  app = createControlApi({
    ...deps,
    checkpointFiles: { dir, chains: ['audit', 'custody'] },
    bookServices: {
      custody: target('custody'),
      exchange: target('exchange'),
      fx: target('fx'),
      treasury: target('treasury'),
    },
  });
  controlApi = await listen(app, 0);
  keyFile = path.join(dir, 'act-verify-key.txt');
  writeFileSync(keyFile, createPublicKey(signingKey).export({ format: 'der', type: 'spki' }).toString('base64'));

  // One case to its end: registered, approved, sold, declared, settled, paid out.
  caseId = `CA-${randomUUID().slice(0, 8)}`;
  expect((await as('officer.li').post('/v1/cases').send(sampleRegistration(caseId))).status).toBe(201);
  await progress((p) => p.awaiting?.stage === 'DISPOSAL_PLAN');
  expect(
    (
      await as('supervisor.zhang')
        .post(`/v1/cases/${caseId}/decisions`)
        .send({ stage: 'DISPOSAL_PLAN', outcome: 'APPROVE' })
    ).status,
  ).toBe(200);
  await progress((p) => p.awaiting?.stage === 'FX_DECLARATION');
  await as('fx.chen')
    .post(`/v1/cases/${caseId}/decisions`)
    .send({ stage: 'FX_DECLARATION', outcome: 'APPROVE', reference: 'SAFE-7' });
  const settling = await progress((p) => p.awaiting?.stage === 'FX_SETTLEMENT');
  await as('fx.chen')
    .post(`/v1/cases/${caseId}/decisions`)
    .send({
      stage: 'FX_SETTLEMENT',
      outcome: 'APPROVE',
      settlement: { amount: settling.fxSettlement?.remaining, bankReference: 'BANK-SLIP-1' },
    });
  await progress((p) => p.awaiting?.stage === 'REMITTANCE');
  await as('supervisor.zhang').post(`/v1/cases/${caseId}/decisions`).send({ stage: 'REMITTANCE', outcome: 'APPROVE' });
  await progress((p) => p.status === 'COMPLETED');
}, 240_000);

afterAll(async () => {
  await controlApi?.close();
  await services?.close();
  await temporal?.teardown();
  await auditPool?.end();
});

describe("an auditor reads the services' reports through the control API", () => {
  test.each([
    ['best-execution', '/exchange/v1/cases/:caseId/best-execution'],
    ['treasury-statement', '/treasury/v1/cases/:caseId/statement'],
  ])('GET %s answers the service body, read with the control API credential', async (route, servicePath) => {
    asked.length = 0;
    const res = await as('auditor.qian').get(`/v1/cases/${caseId}/${route}`);
    expect(res.status).toBe(200);
    expect(res.body.caseId).toBe(caseId);
    expect(asked).toEqual([{ path: servicePath.replace(':caseId', caseId), authorization: `Bearer ${SERVICE_TOKEN}` }]);
  });

  test('GET fx-waterfalls answers each declaration’s waterfall', async () => {
    const res = await as('auditor.qian').get(`/v1/cases/${caseId}/fx-waterfalls`);
    expect(res.status).toBe(200);
    const declarations = await fake.listDeclarations(caseId);
    expect(res.body.waterfalls.map((w: fx.Waterfall) => w.declarationId)).toEqual(
      declarations.map((d) => d.declarationId),
    );
    expect(res.body.waterfalls[0].lines.at(-1)).toMatchObject({ kind: 'CNY_SETTLED', currency: 'CNY' });
  });

  test('GET fx-declarations answers the FX service’s declarations, each tranche with its id (what a correction names)', async () => {
    asked.length = 0;
    const res = await as('fx.chen').get(`/v1/cases/${caseId}/fx-declarations`);
    expect(res.status).toBe(200);
    const declarations = await fake.listDeclarations(caseId);
    expect(res.body).toEqual({ caseId, declarations: JSON.parse(JSON.stringify(declarations)) });
    expect(res.body.declarations[0].settlements[0].settlementId).toEqual(expect.any(String));
    expect(asked).toEqual([{ path: `/fx/v1/cases/${caseId}/declarations`, authorization: `Bearer ${SERVICE_TOKEN}` }]);
  });

  test('a service that refuses the control API credential is 502 naming the service, never an empty report', async () => {
    const misconfigured = createControlApi({
      ...deps,
      bookServices: { exchange: { url: `${services.url}/exchange`, token: 'not-the-credential-0123456789abcdef' } },
    });
    const res = await request(misconfigured)
      .get(`/v1/cases/${caseId}/best-execution`)
      .set('authorization', `Bearer ${tokens['auditor.qian']}`);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:service-unanswered', service: 'exchange', status: 401 });
    const unconfigured = await request(createControlApi(deps))
      .get(`/v1/cases/${caseId}/dossier`)
      .set('authorization', `Bearer ${tokens['auditor.qian']}`);
    expect(unconfigured.status).toBe(503);
    expect(unconfigured.body.type).toBe('urn:vcdc:problem:service-not-configured');
  });
});

describe('the case file', () => {
  let archive: string;

  test('vcdc dossier export writes the signed case file, and vcdc dossier verify accepts it offline', async () => {
    asked.length = 0;
    archive = path.join(dir, `case-${caseId}.zip`);
    const exported = await vcdc('dossier', 'export', caseId, '-o', archive);
    expect(exported).toMatchObject({ code: 0, err: '' });
    // Each service's record read once, with the control API's credential: the reconciliation in the file
    // is computed from the very records beside it.
    const reads = asked.filter((a) => a.path.includes(caseId));
    expect(reads.every((a) => a.authorization === `Bearer ${SERVICE_TOKEN}`)).toBe(true);
    expect(reads.map((a) => a.path).sort()).toEqual(
      [
        `/custody/v1/cases/${caseId}/ledger`,
        `/exchange/v1/cases/${caseId}/best-execution`,
        `/exchange/v1/cases/${caseId}/statement`,
        `/fx/v1/cases/${caseId}/declarations`,
        `/treasury/v1/cases/${caseId}/statement`,
      ].sort(),
    );
    const verified = await vcdc('dossier', 'verify', archive, '--key', keyFile);
    expect(verified.err).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(new RegExp(`^OK: case file of ${caseId}, 22 files match`));

    const entries = unzipSync(new Uint8Array(readFileSync(archive)));
    const manifest = JSON.parse(Buffer.from(entries['manifest.json'] as Uint8Array).toString());
    expect(Object.keys(entries).sort()).toEqual(
      ['manifest.json', 'manifest.sig', ...manifest.files.map((f: { path: string }) => f.path)].sort(),
    );
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining([
        'case/registration.json',
        'case/decisions.json',
        'custody/evidence.json',
        'custody/transfers.json',
        'exchange/fills.json',
        'exchange/best-execution.json',
        'fx/waterfalls.json',
        'treasury/statement.json',
        'reconciliation.json',
        'audit/records.json',
        'audit/verification.json',
        'report.html',
        'report.pdf',
      ]),
    );
    const text = (file: string) => Buffer.from(entries[file] as Uint8Array).toString();
    expect(JSON.parse(text('case/registration.json')).legalBasis.reference).toBe(
      sampleRegistration(caseId).legalBasis.reference,
    );
    const status = JSON.parse(text('case/status.json')) as CaseProgress;
    expect(JSON.parse(text('case/decisions.json')).accepted.map((d: { stage: string }) => d.stage)).toEqual([
      'DISPOSAL_PLAN',
      'FX_DECLARATION',
      'FX_SETTLEMENT',
      'REMITTANCE',
    ]);
    const fills = JSON.parse(text('exchange/fills.json'));
    const statement = await fake.getExchangeStatement(caseId);
    expect(fills).toHaveLength(statement.orders.reduce((n, o) => n + o.fills.length, 0));
    expect(fills.length).toBeGreaterThan(0);
    expect(JSON.parse(text('audit/records.json')).map((r: { kind: string }) => r.kind)).toContain('decision.accepted');
    expect(JSON.parse(text('audit/verification.json')).ok).toBe(true);
    expect(JSON.parse(text('audit/checkpoints.json')).checkpoints).toEqual([
      { chain: 'audit', latest: expect.objectContaining({ checkpoint: expect.objectContaining({ seq: 1 }) }) },
      { chain: 'custody', latest: null, problem: 'no checkpoint file' },
    ]);

    // The report: self-contained, the public summary's amounts to the cent, the txids in the annex.
    const html = text('report.html');
    expect(html).not.toMatch(/\b(src|href)=|url\(|@import/);
    const credited = status.credits[0]?.amount as string;
    expect(html).toContain(`${credited} CNY`);
    const txHash = status.transfers[0]?.transfer?.txHash as string;
    expect(html.indexOf(txHash)).toBeGreaterThan(html.indexOf('Confidential annex'));
    // Each transfer where it stands now: broadcast by custody, then credited by the venue.
    expect(html).toContain(`<td>${txHash}</td><td>credited by the venue</td>`);
    expect(html).toContain('BANK-SLIP-1');
    expect(text('report.pdf').startsWith('%PDF-')).toBe(true);

    // The control API recorded the case file it signed.
    const issued = (await audit.list({ caseId })).filter((r) => r.kind === 'case-file.issued');
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ actor: 'auditor.qian' });
  });

  /** A copy of the exported archive with `edit` applied (as anyone with a zip tool could), and its verdict. */
  async function verifyTampered(edit: (e: Record<string, Uint8Array>) => void) {
    const entries = unzipSync(new Uint8Array(readFileSync(archive)));
    edit(entries);
    const copy = path.join(dir, `tampered-${randomUUID()}.zip`);
    writeFileSync(copy, zipSync(entries));
    return vcdc('dossier', 'verify', copy, '--key', keyFile);
  }

  test('one byte changed in the fills is rejected naming exchange/fills.json', async () => {
    const result = await verifyTampered((e) => {
      const fills = e['exchange/fills.json'] as Uint8Array;
      const i = Buffer.from(fills).indexOf('"price"') + 10;
      fills[i] = fills[i] === 0x31 ? 0x32 : 0x31;
    });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^REJECTED/);
    expect(result.out).toMatch(/exchange\/fills\.json\s+changed/);
    expect(result.err).toContain('case file rejected: 1 problem(s): exchange/fills.json');
  });

  test('a file removed is rejected naming it', async () => {
    const result = await verifyTampered((e) => delete e['fx/waterfalls.json']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/fx\/waterfalls\.json\s+missing/);
  });

  test('the manifest edited (a file dropped from it) fails the signature and names the unlisted file', async () => {
    const result = await verifyTampered((e) => {
      const manifest = JSON.parse(Buffer.from(e['manifest.json'] as Uint8Array).toString());
      manifest.files = manifest.files.filter((f: { path: string }) => f.path !== 'case/decisions.json');
      e['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
    });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/manifest\.json\s+signature/);
    expect(result.out).toMatch(/case\/decisions\.json\s+extra/);
  });

  test('verify without a key of the verifier is a usage error, never a check against the archive’s own word', async () => {
    const result = await vcdc('dossier', 'verify', archive);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain("required option '--key <keyfile>' not specified");
  });

  test('a case officer may not export the case file (403, recorded)', async () => {
    const res = await as('officer.li').get(`/v1/cases/${caseId}/dossier`);
    expect(res.status).toBe(403);
    expect((await audit.list({ caseId })).at(-1)).toMatchObject({ kind: 'access.refused', actor: 'officer.li' });
  });
});
