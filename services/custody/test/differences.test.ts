/**
 * Intake differences: a DISCREPANCY is classified and countersigned by the handing-over officer and the
 * custodian before the receipt is final; the records are append-only. And the expected lot's seizure
 * reference and source addresses, kept with the intake.
 */

import type { Actor } from '@vcdc/shared';
import { contracts } from '@vcdc/shared';
import request from 'supertest';
import { actPost, EVIDENCE, type Harness, newKey, PEOPLE, post, startHarness, sweepToCustody } from './harness';

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
    const { intake, txHash } = await intakeOf('CASE-D1', '1', '0.9');
    expect(intake).toMatchObject({
      status: 'DISCREPANCY',
      difference: '-0.1',
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
      amount: '0.1',
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
        amount: '0.1',
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
