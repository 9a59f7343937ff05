/**
 * An auditor verifies every audit chain at once: the control API's GET /v1/audit/verify walks its own
 * chain and asks each service to walk its own (with the service's credential), and names the first
 * chain and record that is broken, or a service it could not ask; the CLI does the same from a
 * terminal. The control API writes its chain as audit_service (a login role, not the owner), which
 * cannot rewrite it; its refusals are appended through that role.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  ActSigningKey,
  AuditChain,
  assertServiceRole,
  checkpointChain,
  createPool,
  createServiceApp,
  listen,
  migrate,
  newActKeyPair,
  type Pool,
  type RunningServer,
  requireServiceCredential,
  silentLogger,
} from '@vcdc/shared';
import express from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { createControlApi } from '../../control-api/src/app';
import type { ServiceChain } from '../../control-api/src/audit-chains';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import { createApp as createTreasuryApp } from '../../services/treasury/src/app';
import { LocalReceiptTreasuryGateway } from '../../services/treasury/src/treasury-gateway';
import { testActKeys } from '../../test/support/acts';
import { expectRewritesRefused, servicePoolFor } from '../../test/support/audit';
import { createTestDatabase } from '../../test/support/database';
import { TEST_CONTROL_API_ENV } from './audit-support';

const TREASURY_TOKEN = 'treasury-test-credential-0123456789abcdef';
let databaseUrl: string;
let owner: Pool;
let auditPool: Pool;
let treasuryPool: Pool;
let ledgerPool: Pool;
let treasury: RunningServer;
let ledger: RunningServer;
let connection: Connection;
let issuer: DevIssuer;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('security_audit');
  owner = createPool(databaseUrl, 'audit', 2);
  // The control API's chain, written as audit_service logged in with its own password.
  await migrate({
    databaseUrl,
    schema: 'audit',
    dir: path.join(__dirname, '../../packages/shared/src/audit/migrations'),
  });
  ({ pool: auditPool } = await servicePoolFor(databaseUrl, 'audit'));
  // Two services with chains of their own: the treasury (behind its credential) and a second one.
  await migrate({ databaseUrl, schema: 'treasury', dir: path.join(__dirname, '../../services/treasury/migrations') });
  ({ pool: treasuryPool } = await servicePoolFor(databaseUrl, 'treasury'));
  const treasuryApp = createTreasuryApp({
    pool: treasuryPool,
    logger: silentLogger(),
    gateway: new LocalReceiptTreasuryGateway(),
    serviceRole: 'treasury_service',
    actVerifyKeys: testActKeys().verifyKeys,
  });
  treasury = await listen(express().use(requireServiceCredential('treasury', TREASURY_TOKEN), treasuryApp), 0);
  await migrate({
    databaseUrl,
    schema: 'ledger',
    dir: path.join(__dirname, '../../packages/shared/test/fixtures/migrations'),
  });
  ledgerPool = createPool(databaseUrl, 'ledger', 2);
  await new AuditChain(ledgerPool).append({ kind: 'value.moved', actor: 'x', data: { amount: '1' } });
  ledger = await listen(
    createServiceApp({
      service: 'ledger',
      logger: silentLogger(),
      readiness: async () => undefined,
      routes: () => undefined,
      audit: { pool: ledgerPool },
    }),
    0,
  );
  // A credit booked at the treasury: its record is in the treasury's chain.
  await request(treasuryApp)
    .post('/v1/credits')
    .set('Idempotency-Key', 'audit-credit')
    .send({ caseId: 'CASE-AUD', agency: 'A', amount: '10.00', fxSettlementId: 'fxs', bankReference: 'b' })
    .expect(201);
  issuer = await createDevIssuer();
  connection = Connection.lazy({ address: '127.0.0.1:1' });
}, 60_000);

afterAll(async () => {
  await treasury?.close();
  await ledger?.close();
  await connection?.close();
  await Promise.all([owner, auditPool, treasuryPool, ledgerPool].map((p) => p?.end()));
});

function controlApi(auditServices: ServiceChain[]) {
  const config = ControlApiConfig.parse(TEST_CONTROL_API_ENV);
  return createControlApi({
    audit: new AuditChain(auditPool),
    auditRole: { pool: auditPool, role: 'audit_service' },
    auditServices,
    client: new Client({ connection }),
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(config),
    decisionSigningKey: config.DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
  });
}

const services = (): ServiceChain[] => [
  { chain: 'treasury', url: treasury.url, token: TREASURY_TOKEN },
  { chain: 'ledger', url: ledger.url },
];

async function verifyAll(app = controlApi(services())) {
  const res = await request(app)
    .get('/v1/audit/verify')
    .set('authorization', `Bearer ${await issuer.mint('auditor.qian')}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Edit record 1 of `schema`'s chain as a superuser would, run `check`, put it back. */
async function whileEdited(schema: string, check: () => Promise<void>) {
  const table = `${schema}.audit_records`;
  const edit = async (sql: string) => {
    await owner.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    await owner.query(sql);
    await owner.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  };
  const before = (await owner.query(`SELECT actor FROM ${table} WHERE seq = 1`)).rows[0].actor;
  await edit(`UPDATE ${table} SET actor = 'mallory' WHERE seq = 1`);
  try {
    await check();
  } finally {
    const { rows } = await owner.query(`SELECT actor FROM ${table} WHERE seq = 1`);
    expect(rows[0].actor).toBe('mallory');
    await owner.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    await owner.query(`UPDATE ${table} SET actor = $1 WHERE seq = 1`, [before]);
    await owner.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  }
}

test('every chain verifies: the control API’s own at the top level, each service’s in `chains`', async () => {
  // A refused call first, so the control API's own chain has a record (appended as audit_service).
  await request(controlApi([])).get('/v1/audit/verify').expect(401);
  const body = await verifyAll();
  expect(body).toMatchObject({ ok: true, checked: 1 });
  // The treasury's chain: its money tables' bindings (one record each), their rows, the credit.
  const treasuryChain = (await owner.query('SELECT count(*)::int AS n FROM treasury.audit_records')).rows[0].n;
  expect(body.chains).toEqual([
    expect.objectContaining({ chain: 'control-api', ok: true }),
    expect.objectContaining({ chain: 'treasury', ok: true, checked: treasuryChain, url: treasury.url }),
    expect.objectContaining({ chain: 'ledger', ok: true, checked: 1 }),
  ]);
  expect(body.chains[1].tables.map((t: { table: string; ok: boolean }) => t.ok)).toEqual(
    Array(body.chains[1].tables.length).fill(true),
  );
  expect(body.totals).toEqual({
    chains: 3,
    verified: 3,
    records: 1 + treasuryChain + 1,
    tables: body.chains[1].tables.length,
    rows: expect.any(Number),
  });
  expect(body.firstBroken).toBeUndefined();
});

test('a record edited in a service’s chain: the control API names the chain and the record', async () => {
  await whileEdited('treasury', async () => {
    const body = await verifyAll();
    expect(body.ok).toBe(false);
    expect(body.firstBroken).toMatchObject({ chain: 'treasury', seq: 1, problem: 'edited' });
    expect(body.chains[1]).toMatchObject({ chain: 'treasury', ok: false, brokenAt: { seq: 1, problem: 'edited' } });
  });
  expect((await verifyAll()).ok).toBe(true);
});

test('a service that cannot be asked, or refuses the credential, is reported as not verified', async () => {
  const body = await verifyAll(
    controlApi([
      { chain: 'treasury', url: treasury.url, token: 'another-credential-0123456789abcdefghij' },
      { chain: 'custody', url: 'http://127.0.0.1:9' },
    ]),
  );
  expect(body.ok).toBe(false);
  expect(body.chains.slice(1)).toEqual([
    expect.objectContaining({ chain: 'treasury', ok: false, error: 'answered 401' }),
    expect.objectContaining({ chain: 'custody', ok: false, error: expect.stringMatching(/^not reachable/) }),
  ]);
  expect(body.firstBroken).toMatchObject({ chain: 'treasury', detail: 'answered 401' });
});

test('the control API writes its chain as audit_service, which cannot rewrite it', async () => {
  expect((await auditPool.query('SELECT session_user AS who')).rows[0].who).toBe('audit_service');
  await expect(assertServiceRole(auditPool, 'audit_service')).resolves.toBeUndefined();
  await expectRewritesRefused(auditPool);
});

test('the CLI walks the chains in the database and names the broken one (exit 1), intact exit 0', async () => {
  const cli = path.resolve(__dirname, '../../cli/src/audit-verify.ts');
  const run = () =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', cli, '--schema', 'audit', 'treasury', 'ledger', '--no-services'],
        { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl } },
        (_error, stdout) => resolve({ code: child.exitCode, out: stdout }),
      );
    });
  const intact = await run();
  expect(intact.code).toBe(0);
  expect(JSON.parse(intact.out).chains.map((c: { chain: string }) => c.chain)).toEqual(['audit', 'treasury', 'ledger']);
  await whileEdited('treasury', async () => {
    const broken = await run();
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out).firstBroken).toMatchObject({ chain: 'treasury', seq: 1, problem: 'edited' });
  });
}, 60_000);

test('the CLI holds each chain against its signed checkpoints: the last record deleted by the owner is named', async () => {
  const cli = path.resolve(__dirname, '../../cli/src/audit-verify.ts');
  const keys = newActKeyPair();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-cli-checkpoints-'));
  const signed = await checkpointChain(treasuryPool, 'treasury', ActSigningKey.parse(keys.signingKey), dir);
  expect(signed.written).toBe(true);
  const run = () =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', cli, '--schema', 'treasury', '--no-services', '--checkpoint-dir', dir],
        {
          encoding: 'utf8',
          timeout: 30_000,
          env: {
            PATH: process.env.PATH ?? '',
            DATABASE_URL: databaseUrl,
            AUDIT_CHECKPOINT_VERIFY_KEYS: keys.verifyKey,
          },
        },
        (_error, stdout) => resolve({ code: child.exitCode, out: stdout }),
      );
    });
  const intact = await run();
  expect(intact.code).toBe(0);
  expect(JSON.parse(intact.out).chains[0]).toMatchObject({ checkpoint: { seq: signed.checkpoint?.seq, ok: true } });

  // The owner deletes the chain's last record (and nothing else): the chain alone still links.
  const last = (await owner.query('SELECT seq FROM treasury.audit_records ORDER BY seq DESC LIMIT 1')).rows[0];
  await owner.query(
    'CREATE TABLE treasury.deleted_record AS SELECT * FROM treasury.audit_records WHERE seq = (SELECT max(seq) FROM treasury.audit_records)',
  );
  await owner.query('ALTER TABLE treasury.audit_records DISABLE TRIGGER USER');
  await owner.query('DELETE FROM treasury.audit_records WHERE seq = $1', [last.seq]);
  try {
    const truncated = await run();
    expect(truncated.code).toBe(1);
    expect(JSON.parse(truncated.out).firstBroken).toMatchObject({
      chain: 'treasury',
      seq: last.seq,
      problem: 'missing',
    });
  } finally {
    await owner.query('INSERT INTO treasury.audit_records SELECT * FROM treasury.deleted_record');
    await owner.query('ALTER TABLE treasury.audit_records ENABLE TRIGGER USER');
    await owner.query('DROP TABLE treasury.deleted_record');
  }
  expect((await run()).code).toBe(0);
}, 90_000);
