/**
 * Whitelist changes: revocation (at once, who and why) and replacement (a new entry naming the old one,
 * through the same two approvals and cooling-off; the old one stays valid until the new one is ACTIVE,
 * then is superseded). A transfer to a revoked or superseded address is refused before anything is sent.
 */
import { contracts } from '@vcdc/shared';
import request from 'supertest';
import {
  approveEntry,
  caseHolding,
  chainOutgoing,
  endCoolingOff,
  type Harness,
  PEOPLE,
  post,
  proveDestination,
  requestEntry,
  revokeEntry,
  startHarness,
  venueDeposit,
  whitelistActive,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_whitelist_changes');
});
afterAll(() => h.close());

const DAY = 24 * 60 * 60;

const transfer = (caseId: string, toAddress: string, amount = '0.1') =>
  post(h.app, '/v1/transfers', venueDeposit(caseId, toAddress, amount));
const entry = async (entryId: string) => (await request(h.app).get(`/v1/whitelist/${entryId}`).expect(200)).body;

async function approveBoth(entryId: string, coolingOffSeconds = 0) {
  const app = h.appWith(h.chainClient, { whitelistCoolingOffSeconds: coolingOffSeconds });
  await approveEntry(app, entryId, PEOPLE.secondCustodian).expect(201);
  return (await approveEntry(app, entryId, PEOPLE.thirdCustodian).expect(201)).body;
}

describe('revoking a whitelist entry', () => {
  test('takes effect at once, records who and why; a transfer there is refused before anything is sent', async () => {
    const custody = await caseHolding(h, 'CASE-WR1', '1');
    const address = 'bc1qrevokedvenue000000000000000000000000';
    const listed = await whitelistActive(h.app, 'bitcoin', address);
    await proveDestination(h, address);
    await transfer('CASE-WR1', address).expect(201);

    const revoked = await revokeEntry(
      h.app,
      listed.entryId,
      'the venue reported the deposit address compromised',
      PEOPLE.supervisor,
    ).expect(201);
    expect(contracts.custody.WhitelistEntry.parse(revoked.body)).toEqual(revoked.body);
    expect(revoked.body).toMatchObject({
      status: 'REVOKED',
      revocation: { revokedBy: PEOPLE.supervisor.id, reason: 'the venue reported the deposit address compromised' },
    });
    expect(await entry(listed.entryId)).toEqual(revoked.body);

    const before = await chainOutgoing(h, custody);
    const refused = await transfer('CASE-WR1', address).expect(422);
    expect(refused.body).toMatchObject({ type: 'urn:vcdc:problem:destination-revoked', entryId: listed.entryId });
    expect(refused.body.detail).toMatch(/supervisor\.li/);
    expect(await chainOutgoing(h, custody)).toEqual(before);
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM transfers WHERE case_id = 'CASE-WR1'`);
    expect(rows[0].n).toBe(1);

    const again = await revokeEntry(h.app, listed.entryId, 'y');
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:vcdc:problem:whitelist-entry-revoked');
    const approve = await approveEntry(h.app, listed.entryId, {
      id: 'custodian.sun',
      role: 'custodian',
      unit: 'custody',
    });
    expect(approve.status).toBe(409);
    const list = await request(h.app).get('/v1/whitelist?status=REVOKED').expect(200);
    expect(list.body.entries.map((e: { entryId: string }) => e.entryId)).toContain(listed.entryId);

    // Listing the address again is a new request that goes through the approvals again.
    const relisted = await requestEntry(h.app, {
      chain: 'bitcoin',
      address,
      label: 'venue deposit address (re-issued)',
    }).expect(201);
    expect(relisted.body).toMatchObject({ status: 'PENDING_APPROVAL' });
    expect(relisted.body.entryId).not.toBe(listed.entryId);
    const pending = await transfer('CASE-WR1', address).expect(409);
    expect(pending.body).toMatchObject({ type: 'urn:vcdc:problem:not-yet', entryId: relisted.body.entryId });
  });

  test('revocations are append-only; the service role cannot change or remove them', async () => {
    await expect(h.servicePool.query('UPDATE whitelist_revocations SET reason = reason')).rejects.toMatchObject({
      code: '42501',
    });
    await expect(h.servicePool.query('DELETE FROM whitelist_revocations')).rejects.toMatchObject({ code: '42501' });
    await expect(h.pool.query('DELETE FROM whitelist_revocations')).rejects.toThrow(/append-only/);
    // An entry's own row only records approval progress: its address never changes, nor is it deleted.
    await expect(h.pool.query(`UPDATE whitelist_entries SET address = 'bc1qattacker'`)).rejects.toThrow(
      /approval progress/,
    );
    await expect(h.servicePool.query('DELETE FROM whitelist_entries')).rejects.toThrow();
  });
});

describe('changing a whitelist entry', () => {
  test('a replacement goes through approvals and cooling-off; the old entry stays valid until then, and is superseded after', async () => {
    const custody = await caseHolding(h, 'CASE-WC1', '2');
    const oldAddress = 'bc1qoldvenueaddress00000000000000000000';
    const newAddress = 'bc1qnewvenueaddress00000000000000000000';
    const old = await whitelistActive(h.app, 'bitcoin', oldAddress);
    await proveDestination(h, oldAddress);

    const change = {
      chain: 'bitcoin',
      address: newAddress,
      label: 'venue deposit address (rotated)',
      replaces: old.entryId,
    };
    const created = await requestEntry(h.app, change).expect(201);
    expect(created.body).toMatchObject({ status: 'PENDING_APPROVAL', replaces: old.entryId });
    expect(await entry(old.entryId)).toMatchObject({ status: 'ACTIVE', replacedBy: created.body.entryId });
    // The same change again answers the same entry; another change of the same entry waits its turn.
    const same = await requestEntry(h.app, { ...change, label: 'again' }).expect(200);
    expect(same.body.entryId).toBe(created.body.entryId);
    const other = await requestEntry(h.app, {
      ...change,
      address: 'bc1qthirdaddress',
    }).expect(409);
    expect(other.body).toMatchObject({
      type: 'urn:vcdc:problem:replacement-in-progress',
      replacedBy: created.body.entryId,
    });

    await transfer('CASE-WC1', oldAddress).expect(201);
    const cooling = await approveBoth(created.body.entryId, DAY);
    expect(cooling.status).toBe('COOLING_OFF');
    expect((await entry(old.entryId)).status).toBe('ACTIVE');
    await transfer('CASE-WC1', oldAddress).expect(201);
    await transfer('CASE-WC1', newAddress).expect(409);

    await endCoolingOff(h, created.body.entryId);
    const superseded = await entry(old.entryId);
    expect(superseded).toMatchObject({ status: 'SUPERSEDED', replacedBy: created.body.entryId });
    expect(Date.parse(superseded.supersededAt)).toBeLessThanOrEqual(Date.now());
    expect((await entry(created.body.entryId)).status).toBe('ACTIVE');

    const before = await chainOutgoing(h, custody);
    const refused = await transfer('CASE-WC1', oldAddress).expect(422);
    expect(refused.body).toMatchObject({
      type: 'urn:vcdc:problem:destination-superseded',
      entryId: old.entryId,
      supersededBy: created.body.entryId,
    });
    expect(await chainOutgoing(h, custody)).toEqual(before);
    // The new address is new: a test deposit first.
    const untested = await transfer('CASE-WC1', newAddress).expect(409);
    expect(untested.body.type).toBe('urn:vcdc:problem:test-deposit-required');

    // A superseded entry is neither revoked nor replaced again.
    const revoke = await revokeEntry(h.app, old.entryId, 'b');
    expect(revoke.status).toBe(409);
    expect(revoke.body.type).toBe('urn:vcdc:problem:whitelist-entry-superseded');
    const replaceAgain = await requestEntry(h.app, { ...change, address: 'bc1qfourth' }).expect(409);
    expect(replaceAgain.body.type).toBe('urn:vcdc:problem:whitelist-entry-superseded');
  });

  test('a replacement revoked before it became active supersedes nothing, and another one may follow', async () => {
    await caseHolding(h, 'CASE-WC2', '1');
    const oldAddress = 'bc1qkeptvenueaddress0000000000000000000';
    const old = await whitelistActive(h.app, 'bitcoin', oldAddress);
    await proveDestination(h, oldAddress);
    const change = {
      chain: 'bitcoin',
      address: 'bc1qwithdrawnchange000000000000000000',
      label: 'rotated',
      replaces: old.entryId,
    };
    const created = await requestEntry(h.app, change).expect(201);
    await approveBoth(created.body.entryId, DAY);
    await revokeEntry(h.app, created.body.entryId, 'wrong address typed in').expect(201);
    await endCoolingOff(h, created.body.entryId);

    const kept = await entry(old.entryId);
    expect(kept.status).toBe('ACTIVE');
    expect(kept.replacedBy).toBeUndefined();
    await transfer('CASE-WC2', oldAddress).expect(201);
    await requestEntry(h.app, { ...change, address: 'bc1qrightchange' }).expect(201);
  });

  test('a replacement names an entry that exists, on the same chain', async () => {
    const base = { chain: 'bitcoin', address: 'bc1qsomewhere', label: 'x' };
    const unknown = await requestEntry(h.app, { ...base, replaces: 'wl-nope' }).expect(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'replaces' })]);
    const eth = await whitelistActive(h.app, 'ethereum', '0xvenueeth');
    const otherChain = await requestEntry(h.app, { ...base, replaces: eth.entryId }).expect(422);
    expect(otherChain.body.errors).toEqual([expect.objectContaining({ field: 'replaces' })]);
  });
});
