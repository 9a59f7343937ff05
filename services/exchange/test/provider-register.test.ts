/**
 * The register of licensed providers (issue 16, part 4) on real PostgreSQL, the app working as
 * exchange_service, with the real venue simulator through ccxt: changes are two people's signed acts
 * (the proposer can never approve), each version is kept, every act and refusal is in the audit chain
 * and the chain verifies; an order at a venue whose licence or bond has expired, or that is not
 * verified or not registered, is refused before the venue is asked anything, and a renewal lets it through.
 */
import { createPool, migrate, type Pool, type ProviderTerms, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
} from '../../../simulators/src/venue';
import { actHeader, PEOPLE, type TestActKeys, testActKeys } from '../../../test/support/acts';
import { servicePoolFor } from '../../../test/support/audit';
import { createTestDatabase } from '../../../test/support/database';
import { DEV_PROVIDERS } from '../../../test/support/provider-register';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { CcxtVenue } from '../src/ccxt-venue';

let owner: Pool;
let rolePool: Pool;
let chain: RunningChainSimulator;
let sim: RunningVenueSimulator;
let keys: TestActKeys;
let app: Express;

const HASHKEY = DEV_PROVIDERS.find((p) => p.providerId === 'hashkey') as ProviderTerms;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_register');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  owner = createPool(databaseUrl, 'exchange', 2);
  rolePool = (await servicePoolFor(databaseUrl, 'exchange')).pool;
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  sim = await startVenueSimulator({
    port: 0,
    seed: 16,
    chainUrl: chain.url,
    pollIntervalMs: 60_000,
    initialBalances: { BTC: '20', USD: '100000' },
  });
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: sim.url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 5000,
    enableRateLimit: false,
  });
  keys = testActKeys();
  app = createApp({ pool: rolePool, logger: silentLogger(), venue, actVerifyKeys: keys.verifyKeys });
});

afterAll(async () => {
  await sim.close();
  await chain.close();
  await rolePool.end();
  await owner.end();
});

let n = 0;
type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

function propose(person: Person, body: Record<string, unknown>) {
  const path = '/v1/providers/changes';
  const terms = body.terms as { providerId?: string } | undefined;
  return request(app)
    .post(path)
    .set('Idempotency-Key', `propose-${++n}`)
    .set(
      actHeader(keys.signingKey, {
        kind: 'register.provider.propose',
        actor: person,
        object: { type: 'provider', id: terms?.providerId ?? 'unknown' },
        method: 'POST',
        path,
        body,
      }),
    )
    .send(body);
}

function approve(person: Person, changeId: string) {
  const path = `/v1/providers/changes/${changeId}/approval`;
  return request(app)
    .post(path)
    .set('Idempotency-Key', `approve-${++n}`)
    .set(
      actHeader(keys.signingKey, {
        kind: 'register.provider.approve',
        actor: person,
        object: { type: 'provider', id: changeId },
        method: 'POST',
        path,
        body: {},
      }),
    )
    .send({});
}

/** Both people's acts: the provider's next version in force; its number. */
async function enter(terms: ProviderTerms, baseVersion?: number): Promise<number> {
  const body = { terms, reason: 'test', ...(baseVersion ? { baseVersion } : {}) };
  const proposed = (await propose(PEOPLE.supervisor, body).expect(201)).body;
  return (await approve(PEOPLE.seniorSupervisor, proposed.changeId).expect(201)).body.approval.version;
}

const venueRequests = () => [...sim.requestLimit.counts.values()].reduce((a, b) => a + b, 0);

function sell(clientOrderId: string) {
  return request(app)
    .post('/v1/orders')
    .set('Idempotency-Key', `order-${clientOrderId}`)
    .send({ caseId: 'CASE-REG-1', clientOrderId, symbol: 'BTC/USD', type: 'market', amount: '0.01' });
}

async function records(): Promise<Array<{ kind: string; actor: string; data: Record<string, unknown> }>> {
  return (await request(app).get('/v1/audit/records?limit=1000').expect(200)).body.records;
}

/** An order refused for `type`: nothing asked of the venue, no order row, the refusal in the audit chain. */
async function expectOrderRefused(clientOrderId: string, type: string, detail: RegExp): Promise<void> {
  const before = venueRequests();
  const res = await sell(clientOrderId).expect(422);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ type: `urn:vcdc:problem:${type}`, providerId: 'hashkey' });
  expect(res.body.detail).toMatch(detail);
  expect(venueRequests()).toBe(before);
  expect(sim.venue.state.orders.filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(0);
  const { rows } = await owner.query('SELECT 1 FROM orders WHERE client_order_id = $1', [clientOrderId]);
  expect(rows).toHaveLength(0);
  const refused = (await records()).filter(
    (r) => r.kind === 'request.refused' && r.data.type === `urn:vcdc:problem:${type}` && r.data.path === '/v1/orders',
  );
  expect(refused.length).toBeGreaterThan(0);
}

describe('an order at a venue is placed only while the venue is in good standing', () => {
  test('a venue not in the register at all is refused (the register fails closed)', async () => {
    await expectOrderRefused('reg-none', 'provider-not-registered', /hashkey .*not in the register/);
  });

  test('an expired licence blocks the order before any venue request, and is recorded', async () => {
    await enter({ ...HASHKEY, licence: { ...HASHKEY.licence, expires: '2024-06-30' } });
    await expectOrderRefused('reg-licence', 'provider-licence-expired', /licence SFC BPX227 expired on 2024-06-30/);
  });

  test('a renewed licence with an expired bond: the bond blocks the order', async () => {
    await enter({ ...HASHKEY, bond: { ...HASHKEY.bond, expires: '2025-01-31' } }, 1);
    await expectOrderRefused('reg-bond', 'provider-bond-expired', /performance bond expired on 2025-01-31/);
    const { providers } = (await request(app).get('/v1/providers').expect(200)).body;
    expect(providers[0]).toMatchObject({
      providerId: 'hashkey',
      standing: { inGoodStanding: false, failures: ['bond-expired'] },
    });
  });

  test('a provider the competent department has not verified is refused', async () => {
    await enter({ ...HASHKEY, verification: null }, 2);
    await expectOrderRefused('reg-unverified', 'provider-not-verified', /has not verified/);
  });

  test('renewed and verified: the order goes through to the venue', async () => {
    await enter(HASHKEY, 3);
    const res = await sell('reg-good').expect(201);
    expect(res.body).toMatchObject({ clientOrderId: 'reg-good', venue: 'hashkey' });
    expect(sim.venue.state.orders.filter((o) => o.clientOrderId === 'reg-good')).toHaveLength(1);

    // The list shows each entry in force with its standing today.
    const { providers } = (await request(app).get('/v1/providers').expect(200)).body;
    expect(providers.find((p: { providerId: string }) => p.providerId === 'hashkey')).toMatchObject({
      version: 4,
      standing: { inGoodStanding: true },
    });

    // Every version kept, newest first, each with its two people.
    const entry = (await request(app).get('/v1/providers/hashkey').expect(200)).body;
    expect(entry.current).toMatchObject({ version: 4, terms: HASHKEY });
    expect(entry.history.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1]);
    expect(entry.history[3].terms.licence.expires).toBe('2024-06-30');
    for (const v of entry.history) {
      expect(v).toMatchObject({ proposedBy: PEOPLE.supervisor.id, approvedBy: PEOPLE.seniorSupervisor.id });
    }
  });
});

describe('four eyes on every change', () => {
  const desk: ProviderTerms = {
    providerId: 'desk-one',
    kind: 'desk',
    name: 'Desk One OTC',
    licence: { regulator: 'SFC', number: 'AAA111', expires: '2028-03-31' },
    bond: { amount: '2000000', currency: 'HKD', expires: '2028-03-31' },
    verification: { department: 'Compliance', reference: 'V-1', verifiedOn: '2026-11-02' },
  };

  test('the proposer cannot approve their own change; nothing is in force until another person does', async () => {
    const proposed = (await propose(PEOPLE.supervisor, { terms: desk, reason: 'new OTC desk' }).expect(201)).body;
    expect(proposed).toMatchObject({ providerId: 'desk-one', status: 'PROPOSED', proposedBy: PEOPLE.supervisor.id });

    const own = await approve(PEOPLE.supervisor, proposed.changeId).expect(403);
    expect(own.body.type).toBe('urn:vcdc:problem:approver-is-proposer');
    await request(app).get('/v1/providers/desk-one').expect(404);
    expect(
      (await records()).filter(
        (r) => r.kind === 'exchange.provider.change-approved' && r.data.providerId === 'desk-one',
      ),
    ).toHaveLength(0);

    const approved = (await approve(PEOPLE.secondSupervisor, proposed.changeId).expect(201)).body;
    expect(approved).toMatchObject({
      status: 'APPROVED',
      approval: { approvedBy: PEOPLE.secondSupervisor.id, version: 1 },
    });
    const again = await approve(PEOPLE.seniorSupervisor, proposed.changeId).expect(409);
    expect(again.body.type).toBe('urn:vcdc:problem:provider-change-approved');
  });

  test('two proposals on one version: only the first approved takes effect, the other is stale', async () => {
    const a = (
      await propose(PEOPLE.supervisor, {
        terms: { ...desk, name: 'Desk One A' },
        baseVersion: 1,
        reason: 'rename',
      }).expect(201)
    ).body;
    const b = (
      await propose(PEOPLE.secondSupervisor, {
        terms: { ...desk, name: 'Desk One B' },
        baseVersion: 1,
        reason: 'rename',
      }).expect(201)
    ).body;
    await approve(PEOPLE.seniorSupervisor, a.changeId).expect(201);
    const stale = await approve(PEOPLE.seniorSupervisor, b.changeId).expect(409);
    expect(stale.body.type).toBe('urn:vcdc:problem:provider-change-stale');
    expect((await request(app).get('/v1/providers/desk-one').expect(200)).body.current.terms.name).toBe('Desk One A');

    const wrongBase = await propose(PEOPLE.supervisor, { terms: desk, baseVersion: 1, reason: 'old base' }).expect(422);
    expect(wrongBase.body.errors).toEqual([expect.objectContaining({ field: 'baseVersion' })]);
  });

  test('a body naming a person, a role that may not act, and a replayed act are refused', async () => {
    const named = await propose(PEOPLE.supervisor, { terms: desk, reason: 'x', approvedBy: 'someone' }).expect(400);
    expect(named.body.errors?.[0]?.field ?? named.body.detail).toMatch(/approvedBy/);
    await propose(PEOPLE.custodian, { terms: desk, baseVersion: 2, reason: 'not a supervisor' }).expect(403);

    const body = { terms: { ...desk, name: 'Desk One C' }, baseVersion: 2, reason: 'replay' };
    const header = actHeader(keys.signingKey, {
      kind: 'register.provider.propose',
      actor: PEOPLE.supervisor,
      object: { type: 'provider', id: 'desk-one' },
      method: 'POST',
      path: '/v1/providers/changes',
      body,
    });
    await request(app)
      .post('/v1/providers/changes')
      .set('Idempotency-Key', 'replay-1')
      .set(header)
      .send(body)
      .expect(201);
    const replay = await request(app)
      .post('/v1/providers/changes')
      .set('Idempotency-Key', 'replay-2')
      .set(header)
      .send(body);
    expect(replay.status).toBe(409);
    expect(replay.body.type).toBe('urn:vcdc:problem:act-replayed');
  });

  test('without act verify keys the register can be read but not changed', async () => {
    const readOnly = createApp({
      pool: rolePool,
      logger: silentLogger(),
      venue: new CcxtVenue({
        venueId: 'hashkey',
        apiUrl: sim.url,
        apiKey: DEV_VENUE_API_KEY,
        secret: DEV_VENUE_SECRET,
        timeoutMs: 5000,
        enableRateLimit: false,
      }),
    });
    await request(readOnly)
      .post('/v1/providers/changes')
      .set('Idempotency-Key', 'ro-1')
      .send({ terms: desk, reason: 'x' })
      .expect(503);
    await request(readOnly).get('/v1/providers/desk-one').expect(200);
  });
});

describe('the register in the audit chain', () => {
  test('both acts of every change are in the chain with the terms, and the chain verifies', async () => {
    const all = await records();
    const proposed = all.filter(
      (r) => r.kind === 'exchange.provider.change-proposed' && r.data.providerId === 'hashkey',
    );
    const approved = all.filter(
      (r) => r.kind === 'exchange.provider.change-approved' && r.data.providerId === 'hashkey',
    );
    expect(proposed).toHaveLength(4);
    expect(approved.map((r) => r.data.version)).toEqual([1, 2, 3, 4]);
    expect(
      approved.every((r) => r.actor === PEOPLE.seniorSupervisor.id && r.data.proposedBy === PEOPLE.supervisor.id),
    ).toBe(true);
    expect(approved[0]?.data.terms).toMatchObject({ licence: { expires: '2024-06-30' } });
    expect(
      all.some((r) => r.kind === 'request.refused' && r.data.type === 'urn:vcdc:problem:approver-is-proposer'),
    ).toBe(true);
    const verdict = (await request(app).get('/v1/audit/verify').expect(200)).body;
    expect(verdict.ok).toBe(true);
  });

  test('no version, proposal or approval is ever rewritten: the service role may not, the owner is stopped by the triggers', async () => {
    for (const table of ['provider_versions', 'provider_changes', 'provider_change_approvals']) {
      await expect(rolePool.query(`UPDATE ${table} SET change_id = change_id`)).rejects.toThrow(/permission denied/);
      await expect(rolePool.query(`DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
      await expect(owner.query(`UPDATE ${table} SET change_id = change_id`)).rejects.toThrow(/append-only/);
      await expect(owner.query(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
    }
  });
});
