/**
 * Chain-of-custody evidence: the proof of exclusive control signed at receipt, handover evidence that
 * can only be added to (a correction is a new record naming the old one), and a database role that
 * cannot UPDATE or DELETE any of it.
 */
import { contracts } from '@vcdc/shared';
import { verifyMessage } from 'ethers';
import request from 'supertest';
import { CustodyKeyring } from '../src/custody-keyring';
import {
  actPost,
  EVIDENCE,
  type Harness,
  newKey,
  PEOPLE,
  post,
  startHarness,
  sweepToCustody,
  TEST_SECRET,
} from './harness';

/** A correction by the second custodian (a signed custody.evidence.correct act). */
const correct = (intakeId: string, body: object) =>
  actPost(h.app, PEOPLE.secondCustodian, 'custody.evidence.correct', `/v1/intakes/${intakeId}/evidence`, body);

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_evidence');
});
afterAll(() => h.close());

async function takeIn(caseId: string, declared = '2', received = declared) {
  const { txHash } = await sweepToCustody(h, caseId, received);
  const res = await post(h.app, '/v1/intakes', {
    caseId,
    lotId: 'LOT-1',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: declared,
    txHash,
    evidence: { ...EVIDENCE, handedOverAt: '2026-11-20T09:30:00.000Z' },
  }).expect(201);
  return res.body;
}

describe('proof of exclusive control', () => {
  test('at receipt the case wallet signs a message naming the case, lot and amount; the signature verifies', async () => {
    const intake = await takeIn('CASE-E1', '2', '1.5');
    expect(contracts.custody.Intake.parse(intake)).toEqual(intake);
    const { address, message, signature } = intake.controlProof;
    expect(message).toContain('case: CASE-E1');
    expect(message).toContain('lot: LOT-1');
    expect(message).toContain('received: 1.5 BTC on bitcoin');
    expect(message).toContain(`intake: ${intake.intakeId}`);
    expect(verifyMessage(message, signature)).toBe(address);
    expect(address).toBe(CustodyKeyring.fromSecret(TEST_SECRET).walletFor('CASE-E1', 'BTC').address);
    // Stored with the receipt: reading the intake again gives the same proof.
    const read = await request(h.app).get(`/v1/intakes/${intake.intakeId}`).expect(200);
    expect(read.body.controlProof).toEqual(intake.controlProof);
  });
});

describe('handover evidence', () => {
  test('the evidence given at intake is the original record of the trail', async () => {
    const intake = await takeIn('CASE-E2');
    const trail = await request(h.app).get(`/v1/intakes/${intake.intakeId}/evidence`).expect(200);
    expect(contracts.custody.HandoverEvidenceTrail.parse(trail.body)).toEqual(trail.body);
    expect(trail.body.records).toHaveLength(1);
    expect(trail.body.records[0]).toMatchObject({
      ...EVIDENCE,
      handedOverAt: '2026-11-20T09:30:00.000Z',
      intakeId: intake.intakeId,
      recordedBy: EVIDENCE.receivedBy,
    });
    expect(trail.body.records[0].corrects).toBeUndefined();
    expect(trail.body.currentEvidenceId).toBe(trail.body.records[0].evidenceId);
  });

  test('a correction is a new record that refers to the old one; the old one stays as it was', async () => {
    const intake = await takeIn('CASE-E3');
    const before = (await request(h.app).get(`/v1/intakes/${intake.intakeId}/evidence`).expect(200)).body;
    const original = before.records[0];
    const corrected = await correct(intake.intakeId, {
      corrects: original.evidenceId,
      reason: 'form number mistyped',
      evidence: { ...EVIDENCE, handoverFormNo: 'HF-2025-0002' },
    }).expect(201);
    expect(corrected.body).toMatchObject({
      corrects: original.evidenceId,
      reason: 'form number mistyped',
      handoverFormNo: 'HF-2025-0002',
      recordedBy: PEOPLE.secondCustodian.id,
    });
    const after = (await request(h.app).get(`/v1/intakes/${intake.intakeId}/evidence`).expect(200)).body;
    expect(after.records).toEqual([original, corrected.body]);
    expect(after.currentEvidenceId).toBe(corrected.body.evidenceId);

    // Only the record in force can be corrected: correcting the original again is a conflict.
    const stale = await correct(intake.intakeId, {
      corrects: original.evidenceId,
      reason: 'again',
      evidence: EVIDENCE,
    }).expect(409);
    expect(stale.body).toMatchObject({ currentEvidenceId: corrected.body.evidenceId });
    expect(stale.body.type).toMatch(/evidence-already-corrected/);

    const other = await takeIn('CASE-E3b');
    const foreign = await correct(other.intakeId, {
      corrects: corrected.body.evidenceId,
      reason: 'wrong intake',
      evidence: EVIDENCE,
    }).expect(422);
    expect(foreign.body.type).toMatch(/evidence-not-of-intake/);
  });

  test('a correction without a reason is refused, naming the field', async () => {
    const intake = await takeIn('CASE-E4');
    const res = await correct(intake.intakeId, {
      corrects: 'x',
      evidence: EVIDENCE,
    }).expect(400);
    expect(JSON.stringify(res.body)).toContain('reason');
  });

  test('evidence cannot be changed or removed through the API', async () => {
    const intake = await takeIn('CASE-E5');
    const path = `/v1/intakes/${intake.intakeId}/evidence`;
    const before = (await request(h.app).get(path).expect(200)).body;
    const id = before.records[0].evidenceId;
    for (const target of [path, `${path}/${id}`]) {
      await request(h.app)
        .put(target)
        .set('Idempotency-Key', newKey())
        .send({ ...EVIDENCE, handoverFormNo: 'X' })
        .expect(404);
      await request(h.app).patch(target).set('Idempotency-Key', newKey()).send({ handoverFormNo: 'X' }).expect(404);
      await request(h.app).delete(target).set('Idempotency-Key', newKey()).expect(404);
    }
    await request(h.app).delete(`/v1/intakes/${intake.intakeId}`).expect(404);
    expect((await request(h.app).get(path).expect(200)).body).toEqual(before);
  });
});

describe('the database role the service uses', () => {
  test('is the restricted service role (checked by /readyz)', async () => {
    const { rows } = await h.servicePool.query('SELECT current_user AS role');
    expect(rows[0].role).toBe('custody_service');
    await request(h.app).get('/readyz').expect(200);
  });

  test.each([
    ['UPDATE handover_evidence', `UPDATE handover_evidence SET handover_form_no = 'X'`],
    ['DELETE handover_evidence', 'DELETE FROM handover_evidence'],
    ['UPDATE intakes', `UPDATE intakes SET evidence = '{}'`],
    ['DELETE intakes', 'DELETE FROM intakes'],
    ['UPDATE ledger_entries', 'UPDATE ledger_entries SET amount = 1'],
    ['DELETE ledger_entries', 'DELETE FROM ledger_entries'],
    ['UPDATE custody_accounts', `UPDATE custody_accounts SET address = 'x'`],
    ['DELETE evm_signed_transactions', 'DELETE FROM evm_signed_transactions'],
    ['TRUNCATE handover_evidence', 'TRUNCATE handover_evidence CASCADE'],
    ['drop the append-only trigger', 'ALTER TABLE handover_evidence DISABLE TRIGGER handover_evidence_append_only'],
  ])('cannot %s (no privilege, whatever the triggers)', async (_what, sql) => {
    await takeIn(`CASE-R-${newKey()}`);
    await expect(h.servicePool.query(sql)).rejects.toMatchObject({ code: expect.stringMatching(/^42501$/) });
  });
});
