import { contracts } from '@vcdc/shared';
import request from 'supertest';
import {
  chainCall,
  EVIDENCE,
  type Harness,
  ledgerRows,
  MIN_CONFIRMATIONS,
  newKey,
  post,
  startHarness,
  sweepToCustody,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_intakes');
});
afterAll(() => h.close());

function intakeBody(caseId: string, txHash: string, declaredAmount: string, extra: Record<string, unknown> = {}) {
  return {
    caseId,
    lotId: 'LOT-1',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount,
    txHash,
    evidence: EVIDENCE,
    ...extra,
  };
}

describe('intake of seized coins', () => {
  test('when the sweep brought exactly the declared amount, the intake is RECEIVED and the account is credited', async () => {
    const { txHash, suspect } = await sweepToCustody(h, 'CASE-I1', '1.25');
    const res = await post(h.app, '/v1/intakes', intakeBody('CASE-I1', txHash, '1.25000000')).expect(201);
    expect(contracts.custody.Intake.parse(res.body)).toEqual(res.body);
    expect(res.body).toMatchObject({
      caseId: 'CASE-I1',
      lotId: 'LOT-1',
      declaredAmount: '1.25',
      receivedAmount: '1.25',
      difference: '0',
      status: 'RECEIVED',
      txHash,
      confirmations: MIN_CONFIRMATIONS,
      evidence: EVIDENCE,
    });
    expect((await request(h.app).get(`/v1/intakes/${res.body.intakeId}`).expect(200)).body).toEqual(res.body);
    expect((await request(h.app).get('/v1/accounts/CASE-I1/BTC').expect(200)).body.balance).toBe('1.25');

    const ledger = await request(h.app).get('/v1/cases/CASE-I1/ledger').expect(200);
    expect(contracts.custody.CustodyLedger.parse(ledger.body)).toEqual(ledger.body);
    expect(ledger.body.entries).toEqual([
      expect.objectContaining({ kind: 'INTAKE', amount: '1.25', asset: 'BTC', reference: res.body.intakeId }),
    ]);
    expect(ledger.body.balances).toEqual({ BTC: '1.25' });
    const { rows } = await h.pool.query('SELECT from_address FROM intakes WHERE intake_id = $1', [res.body.intakeId]);
    expect(rows[0].from_address).toBe(suspect);
  });

  test('a short receipt is a DISCREPANCY with a negative difference, credited with what actually arrived', async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I2', '0.9');
    const res = await post(h.app, '/v1/intakes', intakeBody('CASE-I2', txHash, '1')).expect(201);
    expect(res.body).toMatchObject({
      declaredAmount: '1',
      receivedAmount: '0.9',
      difference: '-0.1',
      status: 'DISCREPANCY',
    });
    expect((await request(h.app).get('/v1/cases/CASE-I2/ledger').expect(200)).body.balances).toEqual({ BTC: '0.9' });
  });

  test('while confirmations are pending the answer is 409 not-yet and nothing is stored; the retry with the same key succeeds once mined', async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I3', '2', { mine: 0 });
    const key = newKey('intake');
    const body = intakeBody('CASE-I3', txHash, '2');

    const unmined = await post(h.app, '/v1/intakes', body, key).expect(409);
    expect(unmined.body).toMatchObject({ type: 'urn:vcdc:problem:not-yet', confirmations: 0, required: 2 });
    h.chainSim.mine('bitcoin');
    const oneConfirmation = await post(h.app, '/v1/intakes', body, key).expect(409);
    expect(oneConfirmation.body).toMatchObject({ type: 'urn:vcdc:problem:not-yet', confirmations: 1 });
    expect(await ledgerRows(h, 'CASE-I3')).toBe(0);

    h.chainSim.mine('bitcoin');
    const done = await post(h.app, '/v1/intakes', body, key).expect(201);
    expect(done.body).toMatchObject({ status: 'RECEIVED', confirmations: 2 });
    expect(await ledgerRows(h, 'CASE-I3')).toBe(1);
  });

  test('a sweep to another address is refused as transaction-mismatch and nothing is credited', async () => {
    await sweepToCustody(h, 'CASE-I4', '1');
    // A transaction that really exists, but pays someone else.
    await chainCall(h, 'POST', '/v1/chains/bitcoin/faucet', { address: 'bc1qsomeoneelse', asset: 'BTC', amount: '1' });
    const elsewhere = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: 'suspect-CASE-I4-BTC',
      to: 'bc1qsomeoneelse',
      asset: 'BTC',
      amount: '1',
    });
    h.chainSim.mine('bitcoin', 3);
    const res = await post(h.app, '/v1/intakes', intakeBody('CASE-I4', elsewhere.txHash, '1')).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:transaction-mismatch');
    expect(res.body.actual.to).toBe('bc1qsomeoneelse');
    expect(await ledgerRows(h, 'CASE-I4')).toBe(0);
  });

  test("another case's sweep cannot be taken into this case", async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I5', '1');
    await post(h.app, '/v1/accounts', { caseId: 'CASE-I6', asset: 'BTC', chain: 'bitcoin' }).expect(201);
    const res = await post(h.app, '/v1/intakes', intakeBody('CASE-I6', txHash, '1')).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:transaction-mismatch');
  });

  test('an unknown transaction is refused as transaction-not-found', async () => {
    await post(h.app, '/v1/accounts', { caseId: 'CASE-I7', asset: 'BTC', chain: 'bitcoin' }).expect(201);
    const res = await post(h.app, '/v1/intakes', intakeBody('CASE-I7', 'f'.repeat(64), '1')).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:transaction-not-found');
  });

  test('the same sweep cannot be taken in twice, even with another Idempotency-Key', async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I8', '3');
    const first = await post(h.app, '/v1/intakes', intakeBody('CASE-I8', txHash, '3')).expect(201);
    const twice = await post(h.app, '/v1/intakes', intakeBody('CASE-I8', txHash, '3', { lotId: 'LOT-2' })).expect(409);
    expect(twice.body).toMatchObject({
      type: 'urn:vcdc:problem:transaction-already-received',
      intakeId: first.body.intakeId,
    });
    expect((await request(h.app).get('/v1/accounts/CASE-I8/BTC').expect(200)).body.balance).toBe('3');
  });

  test('two simultaneous intakes of one sweep credit it once', async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I9', '0.5');
    const answers = await Promise.all(
      [1, 2, 3].map((n) => post(h.app, '/v1/intakes', intakeBody('CASE-I9', txHash, '0.5', { lotId: `LOT-${n}` }))),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    expect((await request(h.app).get('/v1/accounts/CASE-I9/BTC').expect(200)).body.balance).toBe('0.5');
  });

  test('an intake for an account never opened is refused', async () => {
    const res = await post(h.app, '/v1/intakes', intakeBody('CASE-NEVER', 'a'.repeat(64), '1')).expect(422);
    expect(res.body.type).toBe('urn:vcdc:problem:custody-account-not-open');
  });

  test('an Idempotency-Key replay returns the stored intake; the key with another body is a 409', async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I10', '1');
    const key = newKey('intake');
    const first = await post(h.app, '/v1/intakes', intakeBody('CASE-I10', txHash, '1'), key).expect(201);
    const replay = await post(h.app, '/v1/intakes', intakeBody('CASE-I10', txHash, '1'), key).expect(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const reused = await post(h.app, '/v1/intakes', intakeBody('CASE-I10', txHash, '2'), key).expect(409);
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    expect(await ledgerRows(h, 'CASE-I10')).toBe(1);
  });

  test('validation errors are 400s naming the field', async () => {
    const noForm = await post(h.app, '/v1/intakes', {
      ...intakeBody('CASE-I1', 'abc', '1'),
      evidence: { ...EVIDENCE, handoverFormNo: '' },
    }).expect(400);
    expect(noForm.body.errors).toEqual([expect.objectContaining({ field: 'evidence.handoverFormNo' })]);
    const negative = await post(h.app, '/v1/intakes', intakeBody('CASE-I1', 'abc', '-1')).expect(400);
    expect(negative.body.errors).toEqual([expect.objectContaining({ field: 'declaredAmount' })]);
    const tooPrecise = await post(h.app, '/v1/intakes', intakeBody('CASE-I1', 'abc', '0.000000001')).expect(400);
    expect(tooPrecise.body.errors).toEqual([expect.objectContaining({ field: 'declaredAmount' })]);
    const badHash = await post(h.app, '/v1/intakes', {
      ...intakeBody('CASE-I1', 'abc', '1'),
      evidence: { ...EVIDENCE, videoSha256: 'xyz' },
    }).expect(400);
    expect(badHash.body.errors).toEqual([expect.objectContaining({ field: 'evidence.videoSha256' })]);
  });

  test('an unknown intake is a 404, and so is the ledger of an unknown case', async () => {
    await request(h.app).get('/v1/intakes/intake-nope').expect(404);
    const res = await request(h.app).get('/v1/cases/NO-CASE/ledger').expect(404);
    expect(res.body.type).toBe('urn:vcdc:problem:not-found');
  });

  test('ledger entries and intakes cannot be edited or deleted', async () => {
    const { txHash } = await sweepToCustody(h, 'CASE-I11', '1');
    await post(h.app, '/v1/intakes', intakeBody('CASE-I11', txHash, '1')).expect(201);
    await expect(h.pool.query(`UPDATE ledger_entries SET amount = 5 WHERE case_id = 'CASE-I11'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(h.pool.query(`DELETE FROM intakes WHERE case_id = 'CASE-I11'`)).rejects.toThrow(/append-only/);
  });
});
