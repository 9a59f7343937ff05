/**
 * The register of licensed providers changed through the control API (issue 16, part 4): people sign in,
 * the control API signs their acts and forwards them to the real exchange service on its own PostgreSQL,
 * which carries them out — one supervisor proposes, the same one may not approve, another does. Both
 * acts are in the control API's chain (requested, carried out or refused) and in the exchange's (the
 * change and the signed acts it kept), and both chains verify. Temporal is never reached.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AuditChain, listen, type Pool, type RunningServer } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { runCli } from '../../cli/src/vcdc';
import { testActKeys } from '../../test/support/acts';
import { testControlApiDeps, unreachableTemporal } from '../../test/support/control-api-harness';
import { DEV_PROVIDERS, startProviderRegister } from '../../test/support/provider-register';
import { testAuditChain } from '../../workflows/test/audit-support';
import { createControlApi } from '../src/app';
import { createDevIssuer, type DevIssuer } from '../src/dev-issuer';

const keys = testActKeys();
let exchangePool: Pool;
let exchange: Awaited<ReturnType<typeof startProviderRegister>>;
let temporal: ReturnType<typeof unreachableTemporal>;
let audit: AuditChain;
let auditPool: Pool;
let issuer: DevIssuer;
let app: Express;
let api: RunningServer;

beforeAll(async () => {
  // The exchange as the register's keeper, empty: the test proposes the first provider.
  exchange = await startProviderRegister('control_api_register', { seed: false, actVerifyKeys: keys.verifyKeys });
  exchangePool = exchange.pool;
  issuer = await createDevIssuer();
  temporal = unreachableTemporal();
  ({ audit, pool: auditPool } = await testAuditChain('control_api_register_audit'));
  app = createControlApi({
    ...testControlApiDeps({ audit, issuer, client: temporal.client, decisionSigningKey: keys.signingKey }),
    actServices: { exchange: { url: exchange.url } },
  });
  api = await listen(app, 0);
});

afterAll(async () => {
  await api?.close();
  await exchange?.close();
  await temporal?.connection.close();
  await auditPool?.end();
});

async function as(person: string) {
  const auth = `Bearer ${await issuer.mint(person)}`;
  return {
    post: (url: string, key: string) => request(app).post(url).set('authorization', auth).set('Idempotency-Key', key),
    get: (url: string) => request(app).get(url).set('authorization', auth),
  };
}

test('one supervisor proposes, the same one cannot approve, another does; both chains keep it and verify', async () => {
  const bank = DEV_PROVIDERS.find((p) => p.kind === 'bank');
  const li = await as('supervisor.li');
  const wu = await as('senior.supervisor.wu');

  const proposed = await li
    .post('/v1/providers/changes', 'bank-1')
    .send({ terms: bank, reason: 'the trust account bank, verified by the compliance section' })
    .expect(201);
  expect(proposed.body).toMatchObject({ providerId: 'hk-trust-bank', status: 'PROPOSED', proposedBy: 'supervisor.li' });
  const { changeId } = proposed.body;

  const own = await li.post(`/v1/providers/changes/${changeId}/approval`, 'bank-1-approve').send({}).expect(403);
  expect(own.body.type).toBe('urn:vcdc:problem:approver-is-proposer');
  await li.get('/v1/providers/hk-trust-bank').expect(404);
  const waiting = (await wu.get('/v1/providers/changes?status=PROPOSED').expect(200)).body.changes;
  expect(waiting.map((c: { changeId: string }) => c.changeId)).toEqual([changeId]);

  // A case officer may not take the act at all: refused by the control API's access matrix, nothing forwarded.
  const officer = await as('officer.zhang');
  await officer.post(`/v1/providers/changes/${changeId}/approval`, 'bank-1-officer').send({}).expect(403);

  const approved = await wu.post(`/v1/providers/changes/${changeId}/approval`, 'bank-1-approve').send({}).expect(201);
  expect(approved.body).toMatchObject({
    status: 'APPROVED',
    approval: { approvedBy: 'senior.supervisor.wu', version: 1 },
  });
  const entry = (await (await as('auditor.qian')).get('/v1/providers/hk-trust-bank').expect(200)).body;
  expect(entry.current).toMatchObject({ version: 1, proposedBy: 'supervisor.li', approvedBy: 'senior.supervisor.wu' });

  // The control API's chain: each act requested, then carried out or refused by the exchange.
  const mine = (await audit.list({ limit: 1000 })).filter((r) =>
    ['register.provider.propose', 'register.provider.approve'].includes((r.data as { act?: string }).act ?? ''),
  );
  expect(mine.map((r) => [r.kind, r.actor])).toEqual([
    ['act.requested', 'supervisor.li'],
    ['act.carried-out', 'supervisor.li'],
    ['act.requested', 'supervisor.li'],
    ['act.refused', 'supervisor.li'],
    ['act.requested', 'senior.supervisor.wu'],
    ['act.carried-out', 'senior.supervisor.wu'],
  ]);
  // The case officer was stopped at the door (the access matrix), and that is in the chain too.
  expect((await audit.list({ limit: 1000 })).some((r) => r.actor === 'officer.zhang')).toBe(true);
  expect(await audit.verify()).toMatchObject({ ok: true });

  // The exchange's: the change and its approval, and the two signed acts it carried out.
  const records = (await request(exchange.url).get('/v1/audit/records?limit=1000').expect(200)).body.records as Array<{
    kind: string;
    actor: string;
  }>;
  expect(records.filter((r) => r.kind.startsWith('exchange.provider.')).map((r) => [r.kind, r.actor])).toEqual([
    ['exchange.provider.change-proposed', 'supervisor.li'],
    ['exchange.provider.change-approved', 'senior.supervisor.wu'],
  ]);
  const { rows } = await exchangePool.query('SELECT kind, actor_id FROM signed_acts ORDER BY recorded_at');
  expect(rows).toEqual([
    { kind: 'register.provider.propose', actor_id: 'supervisor.li' },
    { kind: 'register.provider.approve', actor_id: 'senior.supervisor.wu' },
  ]);
  expect((await request(exchange.url).get('/v1/audit/verify').expect(200)).body.ok).toBe(true);
});

async function vcdc(person: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { VCDC_API_URL: api.url, VCDC_TOKEN: await issuer.mint(person) },
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

test('vcdc providers: one supervisor proposes a renewal from a terms file, another approves it, all see the versions', async () => {
  const venue = DEV_PROVIDERS.find((p) => p.providerId === 'hashkey');
  const dir = await mkdtemp(path.join(tmpdir(), 'vcdc-providers-'));
  const first = path.join(dir, 'hashkey.json');
  await writeFile(first, JSON.stringify({ ...venue, licence: { ...venue?.licence, expires: '2026-06-30' } }));
  const renewed = path.join(dir, 'hashkey-renewed.json');
  await writeFile(renewed, JSON.stringify(venue));

  const proposed = await vcdc(
    'supervisor.zhou',
    'providers',
    'propose',
    '--terms-file',
    first,
    '--reason',
    'new venue',
  );
  expect(proposed).toMatchObject({ code: 0, stderr: '' });
  const changeId = /change (prc-[0-9a-f-]+)/.exec(proposed.stdout)?.[1] as string;
  expect(proposed.stdout).toMatch(/proposed by supervisor\.zhou: PROPOSED/);
  const self = await vcdc('supervisor.zhou', 'providers', 'approve', changeId);
  expect(self.code).not.toBe(0);
  expect(self.stderr).toMatch(/approver-is-proposer|proposer cannot approve/);
  expect((await vcdc('supervisor.li', 'providers', 'approve', changeId)).stdout).toMatch(
    /approved by supervisor\.li as version 1/,
  );

  const renewal = await vcdc(
    'supervisor.li',
    ...[
      'providers',
      'propose',
      '--terms-file',
      renewed,
      '--base-version',
      '1',
      '--reason',
      'licence renewed by the SFC',
    ],
  );
  const renewalId = /change (prc-[0-9a-f-]+)/.exec(renewal.stdout)?.[1] as string;
  expect((await vcdc('supervisor.zhou', 'providers', 'changes', '--status', 'proposed')).stdout).toContain(renewalId);
  expect((await vcdc('senior.supervisor.wu', 'providers', 'approve', renewalId)).code).toBe(0);

  const list = await vcdc('auditor.qian', 'providers', 'list');
  expect(list.stdout).toMatch(/hashkey\s+venue\s+2\s+SFC BPX227\s+2027-12-31.*in good standing/);
  const show = await vcdc('custodian.chen', 'providers', 'show', 'hashkey');
  expect(show.stdout).toMatch(/2\s+2027-12-31.*supervisor\.li\s+senior\.supervisor\.wu/);
  expect(show.stdout).toMatch(/1\s+2026-06-30.*supervisor\.zhou\s+supervisor\.li/);
});
