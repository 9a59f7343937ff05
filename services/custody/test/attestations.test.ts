/**
 * Attested intake (bitcoin: a chain custody does not watch itself): two distinct custodians attest the
 * sweep's txid and amount; the second must match the first.
 */
import { contracts } from '@vcdc/shared';
import request from 'supertest';
import { actPost, EVIDENCE, type Harness, ledgerRows, post, startHarness } from './harness';

/** A custodian named `id` (the signed act says who attests). */
const custodian = (id: string) => ({ id, role: 'custodian' as const, unit: 'custody' });

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_attestations');
});
afterAll(() => h.close());

async function open(caseId: string) {
  await post(h.app, '/v1/accounts', { caseId, asset: 'BTC', chain: 'bitcoin' }).expect(201);
}

function attest(caseId: string, by: string, txHash: string, amount: string, declaredAmount = '0.5') {
  return actPost(h.app, custodian(by), 'custody.intake.attest', '/v1/attestations', {
    caseId,
    lotId: 'LOT-BTC',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount,
    txHash,
    amount,
    evidence: EVIDENCE,
  });
}

const TX = `btc-sweep-${'a'.repeat(56)}`;

describe('attested intake', () => {
  test('one attestation credits nothing; a second, distinct and matching one takes the lot in as RECEIVED', async () => {
    await open('CASE-AT1');
    const first = await attest('CASE-AT1', 'custodian-wang', TX, '0.5').expect(201);
    expect(contracts.custody.AttestedIntake.parse(first.body)).toEqual(first.body);
    expect(first.body.status).toBe('AWAITING_SECOND_ATTESTATION');
    expect(await ledgerRows(h, 'CASE-AT1')).toBe(0);

    const second = await attest('CASE-AT1', 'custodian-zhao', TX, '0.50000000').expect(201);
    expect(second.body.status).toBe('RECEIVED');
    expect(second.body.attestations.map((a: { attestedBy: string }) => a.attestedBy)).toEqual([
      'custodian-wang',
      'custodian-zhao',
    ]);
    expect(second.body.intake).toMatchObject({
      status: 'RECEIVED',
      receivedAmount: '0.5',
      txHash: TX,
      verification: 'ATTESTED',
      confirmations: 0,
    });
    expect(second.body.intake.controlProof.message).toContain('case: CASE-AT1');
    expect((await request(h.app).get('/v1/accounts/CASE-AT1/BTC').expect(200)).body.balance).toBe('0.5');
    expect((await request(h.app).get('/v1/attestations/CASE-AT1/LOT-BTC').expect(200)).body).toEqual(second.body);
    const trail = await request(h.app).get(`/v1/intakes/${second.body.intake.intakeId}/evidence`).expect(200);
    expect(trail.body.records).toHaveLength(1);
  });

  test('the same person attesting twice is refused, and nothing is credited', async () => {
    await open('CASE-AT2');
    await attest('CASE-AT2', 'custodian-wang', TX.replace('a', 'b'), '0.5').expect(201);
    const again = await attest('CASE-AT2', 'custodian-wang', TX.replace('a', 'b'), '0.5').expect(409);
    expect(again.body.type).toMatch(/same-attester/);
    expect(again.body.detail).toContain('custodian-wang');
    const view = await request(h.app).get('/v1/attestations/CASE-AT2/LOT-BTC').expect(200);
    expect(view.body.status).toBe('AWAITING_SECOND_ATTESTATION');
    expect(await ledgerRows(h, 'CASE-AT2')).toBe(0);
  });

  test.each([
    ['the amount', 'btc-sweep-c1', 'btc-sweep-c1', '0.5', '0.49', { txHash: false, amount: true }],
    ['the transaction id', 'btc-sweep-d1', 'btc-sweep-d2', '0.5', '0.5', { txHash: true, amount: false }],
  ])(
    'attestations that disagree on %s are a DISCREPANCY that credits nothing',
    async (_what, tx1, tx2, a1, a2, mismatch) => {
      const caseId = `CASE-AT3-${tx2}`;
      await open(caseId);
      await attest(caseId, 'custodian-wang', tx1, a1).expect(201);
      const second = await attest(caseId, 'custodian-zhao', tx2, a2).expect(201);
      expect(second.body).toMatchObject({ status: 'DISCREPANCY', mismatch });
      expect(second.body.intake).toBeUndefined();
      expect(await ledgerRows(h, caseId)).toBe(0);
      const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM intakes WHERE case_id = $1', [caseId]);
      expect(rows[0].n).toBe(0);
    },
  );

  test('two attestations agreeing on less than declared: an intake in DISCREPANCY, credited with what arrived', async () => {
    await open('CASE-AT4');
    await attest('CASE-AT4', 'custodian-wang', 'btc-sweep-e1', '0.4999').expect(201);
    const second = await attest('CASE-AT4', 'custodian-zhao', 'btc-sweep-e1', '0.4999').expect(201);
    expect(second.body.status).toBe('DISCREPANCY');
    expect(second.body.mismatch).toBeUndefined();
    expect(second.body.intake).toMatchObject({
      status: 'DISCREPANCY',
      receivedAmount: '0.4999',
      difference: '-0.0001',
    });
    expect((await request(h.app).get('/v1/accounts/CASE-AT4/BTC').expect(200)).body.balance).toBe('0.4999');
  });

  test('a chain custody watches itself is not attested', async () => {
    await post(h.app, '/v1/accounts', { caseId: 'CASE-AT5', asset: 'ETH', chain: 'ethereum' }).expect(201);
    const res = await actPost(h.app, custodian('custodian-wang'), 'custody.intake.attest', '/v1/attestations', {
      caseId: 'CASE-AT5',
      lotId: 'LOT-ETH',
      asset: 'ETH',
      chain: 'ethereum',
      declaredAmount: '1',
      txHash: '0xabc',
      amount: '1',
      evidence: EVIDENCE,
    }).expect(422);
    expect(res.body.type).toMatch(/chain-is-watched/);
  });

  test('attestations are append-only: the service role cannot change them', async () => {
    await expect(h.servicePool.query(`UPDATE intake_attestations SET amount = 1`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(h.servicePool.query('DELETE FROM intake_attestations')).rejects.toMatchObject({ code: '42501' });
    await expect(h.pool.query(`UPDATE intake_attestations SET amount = 1`)).rejects.toThrow(/append-only/);
  });
});
