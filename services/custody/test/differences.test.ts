/**
 * Intake differences: a DISCREPANCY is classified and countersigned by the handing-over officer and the
 * custodian before the receipt is final; the records are append-only. And the expected lot's seizure
 * reference and source addresses, kept with the intake.
 */

import type { Actor } from '@vcdc/shared';
import { contracts, Decimal } from '@vcdc/shared';
import request from 'supertest';
import { CUSTODY_ROUTES } from '../src/api';
import {
  actPost,
  chainCall,
  EVIDENCE,
  type Harness,
  type Json,
  MIN_CONFIRMATIONS,
  newKey,
  PEOPLE,
  post,
  startHarness,
  sweepToCustody,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_differences');
});
afterAll(() => h.close());

async function intakeOf(caseId: string, declared: string, received: string, extra: Record<string, unknown> = {}) {
  const { txHash, suspect } = await sweepToCustody(h, caseId, received);
  const res = await post(h.app, '/v1/intakes', {
    caseId,
    lotId: 'LOT-1',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: declared,
    txHash,
    evidence: EVIDENCE,
    ...extra,
  }).expect(201);
  return { intake: res.body, txHash, suspect };
}

const difference = (intakeId: string) => `/v1/intakes/${intakeId}/difference`;
const countersign = (intakeId: string) => `/v1/intakes/${intakeId}/difference/countersignatures`;

/** The custodian classifies (a signed custody.intake.classify act). */
const classify = (intakeId: string, body: object, key?: string) =>
  actPost(h.app, PEOPLE.custodian, 'custody.intake.classify', difference(intakeId), body, { key });

/** `person` countersigns in `role` (or with the whole body). */
function sign(intakeId: string, person: Actor, role: string | object, key?: string) {
  const body = typeof role === 'string' ? { role } : role;
  return actPost(h.app, person, 'custody.intake.countersign', countersign(intakeId), body, { key });
}
const getIntake = async (intakeId: string) => (await request(h.app).get(`/v1/intakes/${intakeId}`).expect(200)).body;

describe('intake differences', () => {
  test('a short receipt is final only after its classification and two countersignatures', async () => {
    // The sweep paid its network fee (the simulator's flat 0.00002 BTC) out of the declared 1 BTC.
    const { intake, txHash } = await intakeOf('CASE-D1', '1', '0.99998');
    expect(intake).toMatchObject({
      status: 'DISCREPANCY',
      difference: '-0.00002',
      differenceStatus: 'UNCLASSIFIED',
      countersignatures: [],
      final: false,
    });

    const early = await sign(intake.intakeId, PEOPLE.caseOfficer, 'handing-officer');
    expect(early.status).toBe(409);
    expect(early.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(early.body.type).toBe('urn:vcdc:problem:difference-not-classified');

    const classification = {
      classification: 'NETWORK_FEE',
      explanation: 'the sweep paid its network fee out of the seized amount',
      feeTxHash: txHash,
      amount: '0.00002',
    };
    const classified = await classify(intake.intakeId, classification).expect(201);
    expect(contracts.custody.Intake.parse(classified.body)).toEqual(classified.body);
    expect(classified.body).toMatchObject({
      differenceStatus: 'CLASSIFIED',
      final: false,
      differenceClassification: {
        classification: 'NETWORK_FEE',
        explanation: classification.explanation,
        feeTxHash: txHash,
        amount: '0.00002',
        classifiedBy: PEOPLE.custodian.id,
      },
      countersignatures: [],
    });
    const classificationId = classified.body.differenceClassification.classificationId;

    const one = await sign(intake.intakeId, PEOPLE.caseOfficer, 'handing-officer');
    expect(one.status).toBe(201);
    expect(one.body).toMatchObject({ differenceStatus: 'CLASSIFIED', final: false });
    expect(one.body.countersignatures).toEqual([
      expect.objectContaining({ signedBy: PEOPLE.caseOfficer.id, role: 'handing-officer', classificationId }),
    ]);

    // The same person cannot sign for the other role too, and a role signs once.
    // A case officer cannot sign as the custodian: the act's role decides (and the person signed already).
    const twice = await sign(intake.intakeId, PEOPLE.caseOfficer, 'custodian');
    expect(twice.status).toBe(403);
    expect(twice.body.type).toBe('urn:vcdc:problem:countersign-role');
    const role = await sign(intake.intakeId, PEOPLE.seizingOfficer, 'handing-officer');
    expect(role.status).toBe(409);
    expect(role.body.type).toBe('urn:vcdc:problem:role-already-countersigned');

    const key = newKey('countersign');
    const body = { role: 'custodian', classificationId };
    const two = await sign(intake.intakeId, PEOPLE.custodian, body, key).expect(201);
    expect(two.body).toMatchObject({ differenceStatus: 'COUNTERSIGNED', final: true });
    expect(two.body.countersignatures.map((s: { role: string }) => s.role).sort()).toEqual([
      'custodian',
      'handing-officer',
    ]);
    const replay = await sign(intake.intakeId, PEOPLE.custodian, body, key).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');

    const shown = await getIntake(intake.intakeId);
    expect(contracts.custody.Intake.parse(shown)).toEqual(shown);
    expect(shown).toEqual(two.body);

    // Final: no other classification, no third signature.
    const reclassify = await classify(intake.intakeId, {
      ...classification,
      corrects: classificationId,
    }).expect(409);
    expect(reclassify.body.type).toBe('urn:vcdc:problem:difference-countersigned');
    const third = await sign(intake.intakeId, PEOPLE.secondCustodian, 'custodian');
    expect(third.status).toBe(409);
  });

  test('the amount must be declared - received, sign-aware; a wrong one is a 422 naming the field', async () => {
    const { intake } = await intakeOf('CASE-D2', '2', '1.5');
    const base = { classification: 'SHORT_DELIVERY', explanation: 'the suspect wallet held less than seized' };
    for (const amount of ['-0.5', '0.4', '0.50000001']) {
      const res = await classify(intake.intakeId, { ...base, amount }).expect(422);
      expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:difference-amount-mismatch', expected: '0.5' });
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
    }
    // A classification that does not fit the direction of the difference names the classification.
    const wrongWay = await classify(intake.intakeId, {
      ...base,
      classification: 'EXCESS_DELIVERY',
      amount: '0.5',
    }).expect(422);
    expect(wrongWay.body.errors).toEqual([expect.objectContaining({ field: 'classification' })]);
    // NETWORK_FEE without the fee's transaction; a malformed amount: 400s naming the field.
    const noTx = await classify(intake.intakeId, {
      ...base,
      classification: 'NETWORK_FEE',
      amount: '0.5',
    }).expect(400);
    expect(noTx.body.errors).toEqual([expect.objectContaining({ field: 'feeTxHash' })]);
    const garbage = await classify(intake.intakeId, { ...base, amount: '0,5' }).expect(400);
    expect(garbage.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);

    expect((await getIntake(intake.intakeId)).differenceStatus).toBe('UNCLASSIFIED');
    await classify(intake.intakeId, { ...base, amount: '0.5' }).expect(201);
  });

  test('an excess receipt is classified with a negative amount', async () => {
    const { intake } = await intakeOf('CASE-D3', '1', '1.25');
    expect(intake.difference).toBe('0.25');
    const res = await classify(intake.intakeId, {
      classification: 'EXCESS_DELIVERY',
      explanation: 'the sweep also moved coins not on the seizure list',
      amount: '-0.25',
    }).expect(201);
    expect(res.body.differenceClassification).toMatchObject({ classification: 'EXCESS_DELIVERY', amount: '-0.25' });
  });

  test('a classification is corrected by a new one naming it, until countersigned; the correction needs fresh signatures', async () => {
    const { intake } = await intakeOf('CASE-D4', '1', '0.8');
    const first = await classify(intake.intakeId, {
      classification: 'OTHER',
      explanation: 'unknown yet',
      amount: '0.2',
    }).expect(201);
    const firstId = first.body.differenceClassification.classificationId;
    await sign(intake.intakeId, PEOPLE.caseOfficer, 'handing-officer').expect(201);

    const again = await classify(intake.intakeId, {
      classification: 'SHORT_DELIVERY',
      explanation: 'short',
      amount: '0.2',
    }).expect(409);
    expect(again.body).toMatchObject({
      type: 'urn:vcdc:problem:difference-already-classified',
      classificationId: firstId,
    });

    const corrected = await classify(intake.intakeId, {
      classification: 'SHORT_DELIVERY',
      explanation: 'the exchange hot wallet held only 0.8 at seizure',
      amount: '0.2',
      corrects: firstId,
    }).expect(201);
    expect(corrected.body).toMatchObject({
      differenceStatus: 'CLASSIFIED',
      countersignatures: [],
      differenceClassification: { classification: 'SHORT_DELIVERY', corrects: firstId },
    });
    // A signature naming the old classification is refused; the old one cannot be corrected twice.
    const stale = await sign(intake.intakeId, PEOPLE.custodian, {
      role: 'custodian',
      classificationId: firstId,
    }).expect(409);
    expect(stale.body.type).toBe('urn:vcdc:problem:classification-not-current');
    const fork = await classify(intake.intakeId, {
      classification: 'OTHER',
      explanation: 'x',
      amount: '0.2',
      corrects: firstId,
    }).expect(409);
    expect(fork.body.type).toBe('urn:vcdc:problem:classification-not-current');

    await sign(intake.intakeId, PEOPLE.caseOfficer, 'handing-officer').expect(201);
    const done = await sign(intake.intakeId, PEOPLE.custodian, 'custodian');
    expect(done.body).toMatchObject({ differenceStatus: 'COUNTERSIGNED', final: true });
  });

  test('the classified intakes awaiting a countersignature are listed until both have signed; unclassified ones are not', async () => {
    const awaiting = async (query = 'differenceStatus=CLASSIFIED') =>
      ((await request(h.app).get(`/v1/intakes?${query}`).expect(200)).body.intakes as Array<{ intakeId: string }>).map(
        (i) => i.intakeId,
      );
    const short = { classification: 'SHORT_DELIVERY', explanation: 'the sweep delivered less', amount: '0.1' };
    const { intake: a } = await intakeOf('CASE-DL-A', '1', '0.9');
    const { intake: b } = await intakeOf('CASE-DL-B', '1', '0.9');
    expect(await awaiting()).not.toContain(a.intakeId);
    await classify(a.intakeId, short).expect(201);
    await classify(b.intakeId, short).expect(201);
    const answer = (await request(h.app).get('/v1/intakes?differenceStatus=CLASSIFIED&caseId=CASE-DL-A').expect(200))
      .body;
    // The table's response schema holds the whole answer (the typed client parses it; nothing is dropped).
    expect(CUSTODY_ROUTES.listIntakes.response.parse(answer)).toEqual(answer);
    const listed = answer.intakes;
    expect(listed).toEqual([
      expect.objectContaining({
        intakeId: a.intakeId,
        caseId: 'CASE-DL-A',
        differenceStatus: 'CLASSIFIED',
        differenceClassification: expect.objectContaining({ classification: 'SHORT_DELIVERY' }),
        countersigners: { 'handing-officer': EVIDENCE.handedOverBy, custodian: EVIDENCE.receivedBy },
      }),
    ]);
    // The evidence of b corrected to name another receiving custodian: the list names who countersigns now.
    const trail = (await request(h.app).get(`/v1/intakes/${b.intakeId}/evidence`).expect(200)).body;
    await actPost(h.app, PEOPLE.secondCustodian, 'custody.evidence.correct', `/v1/intakes/${b.intakeId}/evidence`, {
      corrects: trail.currentEvidenceId,
      reason: 'the form named the wrong custodian',
      evidence: { ...EVIDENCE, receivedBy: PEOPLE.thirdCustodian.id },
    }).expect(201);
    const listedB = (await request(h.app).get('/v1/intakes?differenceStatus=CLASSIFIED&caseId=CASE-DL-B').expect(200))
      .body.intakes;
    expect(listedB[0].countersigners).toEqual({
      'handing-officer': EVIDENCE.handedOverBy,
      custodian: PEOPLE.thirdCustodian.id,
    });
    await sign(a.intakeId, PEOPLE.caseOfficer, 'handing-officer').expect(201);
    expect(await awaiting()).toEqual(expect.arrayContaining([a.intakeId, b.intakeId]));
    await sign(a.intakeId, PEOPLE.custodian, 'custodian').expect(201);
    const after = await awaiting();
    expect(after).not.toContain(a.intakeId);
    expect(after).toContain(b.intakeId);
    const bad = await request(h.app).get('/v1/intakes?differenceStatus=COUNTERSIGNED').expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'differenceStatus' })]);
  });

  test('an intake that received what was declared is final at once and has nothing to classify', async () => {
    const { intake } = await intakeOf('CASE-D5', '1', '1');
    expect(intake).toMatchObject({ status: 'RECEIVED', differenceStatus: 'NONE', final: true, countersignatures: [] });
    const res = await classify(intake.intakeId, {
      classification: 'OTHER',
      explanation: 'x',
      amount: '0',
    }).expect(409);
    expect(res.body.type).toBe('urn:vcdc:problem:no-difference');
    await sign(intake.intakeId, PEOPLE.custodian, 'custodian').expect(409);
    await classify('intake-nope', { classification: 'OTHER', explanation: 'x', amount: '1' }).expect(404);
  });

  test('classifications and countersignatures are append-only: the service role cannot change them, the owner neither', async () => {
    for (const table of ['intake_difference_classifications', 'intake_difference_countersignatures']) {
      await expect(h.servicePool.query(`UPDATE ${table} SET intake_id = intake_id`)).rejects.toMatchObject({
        code: '42501',
      });
      await expect(h.servicePool.query(`DELETE FROM ${table}`)).rejects.toMatchObject({ code: '42501' });
      await expect(h.pool.query(`UPDATE ${table} SET intake_id = intake_id`)).rejects.toThrow(/append-only/);
      await expect(h.pool.query(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
    }
    // Nor is there a route that would edit or delete one.
    await request(h.app).delete('/v1/intakes/x/difference').expect(404);
  });
});

/** The custody audit chain's refusals of requests on `path`. */
async function refusalsOn(path: string): Promise<Json[]> {
  const { records } = (await request(h.app).get('/v1/audit/records').expect(200)).body;
  return records.filter((r: Json) => r.kind === 'request.refused' && r.data.path === path);
}

/** A 422 naming feeTxHash, of `type`, audited, and nothing classified. */
async function feeRefused(intakeId: string, feeTxHash: string, type: string): Promise<Json> {
  const before = (await refusalsOn(difference(intakeId))).length;
  const intake = await getIntake(intakeId);
  const amount = new Decimal(intake.declaredAmount).minus(intake.receivedAmount).toFixed();
  const res = await classify(intakeId, {
    classification: 'NETWORK_FEE',
    explanation: 'the sweep paid its network fee',
    feeTxHash,
    amount,
  });
  expect(res.status).toBe(422);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
  expect(res.body.errors).toEqual([expect.objectContaining({ field: 'feeTxHash' })]);
  const after = await refusalsOn(difference(intakeId));
  expect(after.length).toBe(before + 1);
  expect(after[after.length - 1]).toMatchObject({
    actor: PEOPLE.custodian.id,
    data: { status: 422, type: `urn:vcdc:problem:${type}` },
  });
  expect((await getIntake(intakeId)).differenceStatus).toBe('UNCLASSIFIED');
  return res.body;
}

describe('the fee transaction of a NETWORK_FEE is checked on chain (intakes custody verified itself)', () => {
  test('a txid the chain does not know is refused, naming feeTxHash, and the refusal is audited', async () => {
    const { intake } = await intakeOf('CASE-F1', '1', '0.99998');
    await feeRefused(intake.intakeId, 'not-a-real-tx', 'fee-transaction-not-found');
  });

  test("a real transaction that is not from the case's source is refused", async () => {
    const { intake } = await intakeOf('CASE-F2', '1', '0.99998');
    // Another case's sweep: on the chain, the same flat fee, but from another wallet.
    const { txHash: other } = await sweepToCustody(h, 'CASE-F2-OTHER', '0.5');
    const body = await feeRefused(intake.intakeId, other, 'fee-transaction-mismatch');
    expect(body.detail).toContain('suspect-CASE-F2-OTHER-BTC');
  });

  test('a transaction from the source whose fee is not the difference is refused, with both amounts', async () => {
    const { intake, txHash } = await intakeOf('CASE-F3', '1', '0.9');
    const body = await feeRefused(intake.intakeId, txHash, 'fee-transaction-mismatch');
    expect(body).toMatchObject({ expectedFee: '0.1', actualFee: '0.00002' });
  });

  test('a transaction not yet mined is not evidence yet', async () => {
    const { intake, suspect } = await intakeOf('CASE-F4', '1', '0.99998');
    const pending = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: suspect,
      to: 'elsewhere',
      asset: 'BTC',
      amount: '0.1',
    });
    await feeRefused(intake.intakeId, pending.txHash, 'fee-transaction-unconfirmed');
  });

  test('a transaction mined but not yet as deep as an intake needs is not evidence yet', async () => {
    const { intake, suspect } = await intakeOf('CASE-F6', '1', '0.99998');
    const shallow = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: suspect,
      to: 'elsewhere',
      asset: 'BTC',
      amount: '0.1',
    });
    h.chainSim.mine('bitcoin', MIN_CONFIRMATIONS - 1);
    const body = await feeRefused(intake.intakeId, shallow.txHash, 'fee-transaction-unconfirmed');
    expect(body).toMatchObject({ confirmations: MIN_CONFIRMATIONS - 1, required: MIN_CONFIRMATIONS });
  });

  test("one transaction's fee explains one difference: naming it for a second intake is refused", async () => {
    const { intake, txHash } = await intakeOf('CASE-F7', '1', '0.99998');
    const fee = { classification: 'NETWORK_FEE', explanation: 'the sweep paid its fee', amount: '0.00002' };
    await classify(intake.intakeId, { ...fee, feeTxHash: txHash }).expect(201);
    // Another lot of the same wallet, short by the same fee: the first sweep's fee is spent as evidence.
    const { txHash: second } = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: 'suspect-CASE-F7-BTC',
      to: (await request(h.app).get('/v1/accounts/CASE-F7/BTC').expect(200)).body.address,
      asset: 'BTC',
      amount: '0.49998',
    });
    h.chainSim.mine('bitcoin', MIN_CONFIRMATIONS);
    const other = await post(h.app, '/v1/intakes', {
      caseId: 'CASE-F7',
      lotId: 'LOT-2',
      asset: 'BTC',
      chain: 'bitcoin',
      declaredAmount: '0.5',
      txHash: second,
      evidence: EVIDENCE,
    }).expect(201);
    const body = await feeRefused(other.body.intakeId, txHash, 'fee-transaction-already-used');
    expect(body.intakeId).toBe(intake.intakeId);
    // Its own sweep's fee is its evidence.
    await classify(other.body.intakeId, { ...fee, feeTxHash: second }).expect(201);
  });

  test("a fee paid from one of the lot's declared source addresses is accepted", async () => {
    const { intake } = await intakeOf('CASE-F5', '1', '0.99998', {
      sourceAddresses: ['suspect-CASE-F5-BTC', 'bc1q-case-f5-second-wallet'],
    });
    await chainCall(h, 'POST', '/v1/chains/bitcoin/faucet', {
      address: 'bc1q-case-f5-second-wallet',
      asset: 'BTC',
      amount: '1',
    });
    h.chainSim.mine('bitcoin');
    const paid = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: 'bc1q-case-f5-second-wallet',
      to: 'elsewhere',
      asset: 'BTC',
      amount: '0.5',
    });
    h.chainSim.mine('bitcoin', MIN_CONFIRMATIONS);
    const res = await classify(intake.intakeId, {
      classification: 'NETWORK_FEE',
      explanation: 'the consolidation from the second wallet paid the fee',
      feeTxHash: paid.txHash,
      amount: '0.00002',
    }).expect(201);
    expect(res.body.differenceClassification).toMatchObject({ feeTxHash: paid.txHash });
  });
});

describe('the fee transaction of an attested intake is attested by two custodians', () => {
  const custodian = (id: string) => ({ id, role: 'custodian' as const, unit: 'custody' });
  const FEE_TX = `btc-fee-${'e'.repeat(58)}`;

  async function attested(caseId: string): Promise<string> {
    await post(h.app, '/v1/accounts', { caseId, asset: 'BTC', chain: 'bitcoin' }).expect(201);
    const attest = (by: string) =>
      actPost(h.app, custodian(by), 'custody.intake.attest', '/v1/attestations', {
        caseId,
        lotId: 'LOT-1',
        asset: 'BTC',
        chain: 'bitcoin',
        declaredAmount: '1',
        txHash: `btc-sweep-${caseId}-${'f'.repeat(48)}`,
        amount: '0.9999',
        evidence: EVIDENCE,
      });
    await attest('custodian.wang').expect(201);
    const second = await attest('custodian.zhao').expect(201);
    expect(second.body.intake).toMatchObject({ verification: 'ATTESTED', status: 'DISCREPANCY' });
    return second.body.intake.intakeId;
  }
  const fee = (feeTxHash: string) => ({
    classification: 'NETWORK_FEE',
    explanation: 'the sweep paid its fee out of the seized amount',
    feeTxHash,
    amount: '0.0001',
  });
  const classifyAs = (person: Actor, intakeId: string, body: object) =>
    actPost(h.app, person, 'custody.intake.classify', difference(intakeId), body);

  test("the receiving custodian's countersignature attests the txid the classifier named; a different one is refused", async () => {
    const intakeId = await attested('CASE-FA1');
    // No node to ask: the classification is one custodian's attestation of the txid, not yet evidence.
    const classified = await classifyAs(PEOPLE.secondCustodian, intakeId, fee(FEE_TX)).expect(201);
    expect(classified.body).toMatchObject({ differenceStatus: 'CLASSIFIED', final: false });

    const before = (await refusalsOn(countersign(intakeId))).length;
    const bare = await sign(intakeId, PEOPLE.custodian, 'custodian').expect(422);
    expect(bare.body.type).toBe('urn:vcdc:problem:fee-attestation-required');
    expect(bare.body.errors).toEqual([expect.objectContaining({ field: 'feeTxHash' })]);
    const other = await sign(intakeId, PEOPLE.custodian, { role: 'custodian', feeTxHash: 'not-a-real-tx' }).expect(422);
    expect(other.body.type).toBe('urn:vcdc:problem:fee-attestation-mismatch');
    expect(other.body.errors).toEqual([expect.objectContaining({ field: 'feeTxHash' })]);
    expect((await refusalsOn(countersign(intakeId))).length).toBe(before + 2);
    expect((await getIntake(intakeId)).countersignatures).toEqual([]);

    const attestedFee = await sign(intakeId, PEOPLE.custodian, { role: 'custodian', feeTxHash: FEE_TX }).expect(201);
    expect(attestedFee.body.countersignatures).toEqual([
      expect.objectContaining({ role: 'custodian', signedBy: PEOPLE.custodian.id, feeTxHash: FEE_TX }),
    ]);
    const done = await sign(intakeId, PEOPLE.caseOfficer, 'handing-officer').expect(201);
    expect(done.body).toMatchObject({ differenceStatus: 'COUNTERSIGNED', final: true });
    expect(contracts.custody.Intake.parse(done.body)).toEqual(done.body);
  });

  test('the custodian who named the txid cannot attest it a second time', async () => {
    const intakeId = await attested('CASE-FA2');
    // Its own fee transaction: CASE-FA1's is spent as the evidence of that intake's difference.
    const FEE_TX_2 = `${FEE_TX}-2`;
    const spent = await classifyAs(PEOPLE.custodian, intakeId, fee(FEE_TX)).expect(422);
    expect(spent.body.type).toBe('urn:vcdc:problem:fee-transaction-already-used');
    await classifyAs(PEOPLE.custodian, intakeId, fee(FEE_TX_2)).expect(201);
    const self = await sign(intakeId, PEOPLE.custodian, { role: 'custodian', feeTxHash: FEE_TX_2 }).expect(409);
    expect(self.body.type).toBe('urn:vcdc:problem:same-fee-attester');
    // The way on: another custodian classifies anew (a correction), the receiving custodian attests.
    const current = (await getIntake(intakeId)).differenceClassification.classificationId;
    await classifyAs(PEOPLE.secondCustodian, intakeId, { ...fee(FEE_TX_2), corrects: current }).expect(201);
    await sign(intakeId, PEOPLE.custodian, { role: 'custodian', feeTxHash: FEE_TX_2 }).expect(201);
  });

  test('other classifications of an attested intake need no fee attestation', async () => {
    const intakeId = await attested('CASE-FA3');
    await classifyAs(PEOPLE.custodian, intakeId, {
      classification: 'SHORT_DELIVERY',
      explanation: 'the wallet held less',
      amount: '0.0001',
    }).expect(201);
    await sign(intakeId, PEOPLE.custodian, 'custodian').expect(201);
    // A feeTxHash on a countersignature that attests no fee is a mistake, named.
    const intake2 = await attested('CASE-FA4');
    await classifyAs(PEOPLE.custodian, intake2, {
      classification: 'SHORT_DELIVERY',
      explanation: 'the wallet held less',
      amount: '0.0001',
    }).expect(201);
    const stray = await sign(intake2, PEOPLE.custodian, { role: 'custodian', feeTxHash: FEE_TX }).expect(422);
    expect(stray.body.errors).toEqual([expect.objectContaining({ field: 'feeTxHash' })]);
  });
});

describe('the expected lot', () => {
  test('its seizure reference and source addresses are stored with the intake and returned', async () => {
    const { intake, suspect } = await intakeOf('CASE-D6', '1', '1', {
      seizureReference: 'Jing-Gong-Kou-2025-0042',
      sourceAddresses: ['suspect-CASE-D6-BTC', 'bc1qanotherseizedwallet'],
    });
    expect(intake).toMatchObject({
      seizureReference: 'Jing-Gong-Kou-2025-0042',
      sourceAddresses: [suspect, 'bc1qanotherseizedwallet'],
    });
    expect(await getIntake(intake.intakeId)).toEqual(intake);
    const { rows } = await h.pool.query(
      'SELECT seizure_reference, source_addresses FROM intakes WHERE intake_id = $1',
      [intake.intakeId],
    );
    expect(rows[0]).toEqual({
      seizure_reference: 'Jing-Gong-Kou-2025-0042',
      source_addresses: [suspect, 'bc1qanotherseizedwallet'],
    });
    // Both are optional; a malformed one is a 400 naming it.
    const { intake: plain } = await intakeOf('CASE-D7', '1', '1');
    expect(plain.seizureReference).toBeUndefined();
    const bad = await post(h.app, '/v1/intakes', {
      caseId: 'CASE-D7',
      lotId: 'LOT-2',
      asset: 'BTC',
      chain: 'bitcoin',
      declaredAmount: '1',
      txHash: 'x',
      evidence: EVIDENCE,
      sourceAddresses: [''],
    }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'sourceAddresses[0]' })]);
  });
});
