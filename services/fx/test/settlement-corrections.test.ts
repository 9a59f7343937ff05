/**
 * Issue 13, part 2, in the FX service: a settled tranche's rate or CNY amount is corrected by one FX
 * officer's request and another person's approval (signed acts); the tranche stays as first recorded,
 * a REVERSAL of the version in force and a CORRECTION are booked, and the declaration and waterfall
 * show both versions. Refused with nothing changed: the author approving (422 four-eyes), figures that
 * do not convert or change nothing (naming the field), a correction of a version no longer in force.
 */
import { type Actor, Decimal, type Pool } from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { actHeader, PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { type StartedService, startFx } from '../../../test/support/fx-treasury';
import { FX_ROUTES } from '../src/api';

const acts = testActKeys();
let started: StartedService;
let pool: Pool;
let app: Express;
let keys = 0;

beforeAll(async () => {
  started = await startFx({ database: 'fx_corrections', verifyKeys: acts.verifyKeys, connections: 3 });
  ({ pool, app } = started);
});
afterAll(() => started?.close());

const post = (route: string, body: object, headers: Record<string, string> = {}) =>
  request(app).post(route).set('Idempotency-Key', `corr-${++keys}`).set(headers).send(body);
const party = { name: 'n', account: 'a', bank: 'b' };

/** A declaration of 1000.00 USD settled in one tranche at 7.1000 with 15.00 + 7.50 of charges: 6993.50 CNY. */
async function settledTranche(caseId: string) {
  const created = await post('/v1/declarations', {
    caseId,
    currency: 'USD',
    amount: '1000.00',
    transactionCode: '622011',
    purpose: 'disposal proceeds',
    remitter: party,
    beneficiary: party,
    workflowId: `case-${caseId}`,
  }).expect(201);
  const id = created.body.declarationId as string;
  await post(`/v1/declarations/${id}/submit`, { workflowId: `case-${caseId}` }).expect(200);
  const regulator = signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
    stage: 'FX_DECLARATION',
    outcome: 'APPROVE',
    reference: 'SAFE-1',
  });
  await post(`/v1/declarations/${id}/decision`, { decision: regulator }).expect(200);
  const decision = signedDecision(acts.signingKey, caseId, PEOPLE.fxOfficer, {
    stage: 'FX_SETTLEMENT',
    outcome: 'APPROVE',
    settlement: { amount: '1000.00', bankReference: `BANK-${caseId}`, bankCharges: '15.00', correspondentFees: '7.50' },
  });
  const s = await post(`/v1/declarations/${id}/settlements`, { decision }).expect(201);
  expect(s.body).toMatchObject({ netForeignAmount: '977.50', cnyAmount: '6940.25', rate: '7.1000' });
  return { declarationId: id, settlementId: s.body.settlementId as string };
}

function requestCorrection(settlementId: string, body: object, by: Actor = PEOPLE.fxOfficer) {
  const route = `/v1/settlements/${settlementId}/corrections`;
  return post(
    route,
    body,
    actHeader(acts.signingKey, {
      kind: 'fx.settlement.correct',
      actor: by,
      object: { type: 'settlement', id: settlementId },
      method: 'POST',
      path: route,
      body,
    }),
  );
}

function approve(correctionId: string, by: Actor = PEOPLE.secondFxOfficer) {
  const route = `/v1/settlement-corrections/${correctionId}/approval`;
  return post(
    route,
    {},
    actHeader(acts.signingKey, {
      kind: 'fx.correction.approve',
      actor: by,
      object: { type: 'correction', id: correctionId },
      method: 'POST',
      path: route,
      body: {},
    }),
  );
}

async function counts() {
  const { rows } = await pool.query<{ r: number; c: number; e: number }>(
    `SELECT (SELECT count(*)::int FROM settlement_correction_requests) AS r,
            (SELECT count(*)::int FROM settlement_corrections) AS c,
            (SELECT count(*)::int FROM settlement_entries) AS e`,
  );
  return rows[0]!;
}

describe('a settlement correction: one FX officer requests, another person approves', () => {
  test('a wrong rate corrected: the tranche stays, a reversal and a new entry are booked, every view shows both', async () => {
    const { declarationId, settlementId } = await settledTranche('CASE-FXC-1');
    const asked = await requestCorrection(settlementId, { rate: '7.0500', reason: 'the bank applied the wrong day' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      settlementId,
      declarationId,
      caseId: 'CASE-FXC-1',
      status: 'PENDING_APPROVAL',
      author: PEOPLE.fxOfficer.id,
      corrects: null,
      before: { netForeignAmount: '977.50', rate: '7.1', cnyAmount: '6940.25', roundingRemainder: '0' },
      // 977.50 × 7.05 = 6891.375: 6891.37 and 0.005 cut off.
      after: { netForeignAmount: '977.50', rate: '7.05', cnyAmount: '6891.37', roundingRemainder: '0.005' },
      cnyDifference: '-48.88',
    });
    expect((await counts()).e).toBe(0);

    const booked = await approve(asked.body.correctionId).expect(201);
    expect(booked.body).toMatchObject({ status: 'APPLIED', approver: PEOPLE.secondFxOfficer.id });

    const entries = await pool.query(
      'SELECT kind, net_foreign_amount::text AS net, rate::text, cny_amount::text AS cny FROM settlement_entries WHERE settlement_id = $1 ORDER BY kind DESC',
      [settlementId],
    );
    expect(entries.rows).toEqual([
      { kind: 'REVERSAL', net: '-977.5', rate: '7.1', cny: '-6940.25' },
      { kind: 'CORRECTION', net: '977.5', rate: '7.05', cny: '6891.37' },
    ]);

    const declaration = (await request(app).get(`/v1/declarations/${declarationId}`).expect(200)).body;
    const tranche = declaration.settlements[0];
    // The bank's tranche as first recorded, and the version in force beside it.
    expect(tranche).toMatchObject({ cnyAmount: '6940.25', rate: '7.1000' });
    expect(tranche.inForce).toEqual(booked.body.after);
    expect(tranche.corrections).toEqual([booked.body]);

    const waterfall = (await request(app).get(`/v1/declarations/${declarationId}/waterfall`).expect(200)).body;
    const line = (kind: string) => waterfall.lines.find((l: { kind: string }) => l.kind === kind)?.amount;
    expect([line('CNY_SETTLED'), line('CORRECTION_REVERSAL'), line('CORRECTION'), line('CNY_IN_FORCE')]).toEqual([
      '6940.25',
      '-6940.25',
      '6891.37',
      '6891.37',
    ]);
    expect(
      new Decimal(line('CNY_SETTLED'))
        .plus(line('CORRECTION_REVERSAL'))
        .plus(line('CORRECTION'))
        .eq(line('CNY_IN_FORCE')),
    ).toBe(true);
  });

  test('a corrected CNY amount alone, consistent with the rate in force, is booked; a second correction reverses the first', async () => {
    const { settlementId } = await settledTranche('CASE-FXC-2');
    const first = await requestCorrection(settlementId, { rate: '7.2', reason: 'rate typed wrong' }).expect(201);
    await approve(first.body.correctionId, PEOPLE.supervisor).expect(201);
    // 977.50 × 7.2 = 7038.00; the second correction takes the version in force back down.
    const second = await requestCorrection(settlementId, {
      rate: '7.15',
      cnyAmount: '6989.12',
      reason: 'again',
    }).expect(201);
    expect(second.body).toMatchObject({
      corrects: first.body.correctionId,
      before: { cnyAmount: '7038.00' },
      after: { cnyAmount: '6989.12', roundingRemainder: '0.005' },
    });
    await approve(second.body.correctionId).expect(201);
    const cny = await pool.query<{ total: string }>(
      `SELECT (SELECT cny_amount FROM settlements WHERE settlement_id = $1) + sum(cny_amount) AS total
         FROM settlement_entries WHERE settlement_id = $1`,
      [settlementId],
    );
    expect(new Decimal(cny.rows[0]!.total).toFixed(2)).toBe('6989.12');
  });

  test('refused, nothing booked: the author approving (422 four-eyes), bad figures naming the field, a stale version', async () => {
    const { settlementId } = await settledTranche('CASE-FXC-3');
    const before = await counts();
    const notConverting = await requestCorrection(settlementId, { cnyAmount: '7000.00', reason: 'x' }).expect(422);
    expect(notConverting.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(notConverting.body).toMatchObject({
      type: 'urn:vcdc:problem:correction-does-not-convert',
      errors: [{ field: 'cnyAmount' }],
    });
    const same = await requestCorrection(settlementId, { rate: '7.1', reason: 'x' }).expect(422);
    expect(same.body).toMatchObject({
      type: 'urn:vcdc:problem:correction-changes-nothing',
      errors: [{ field: 'rate' }],
    });
    const noFigure = await requestCorrection(settlementId, { reason: 'x' }).expect(400);
    expect(noFigure.body.errors[0].field).toBe('rate');
    const badScale = await requestCorrection(settlementId, { cnyAmount: '1.234', reason: 'x' }).expect(400);
    expect(badScale.body.errors).toEqual([expect.objectContaining({ field: 'cnyAmount' })]);
    const named = await requestCorrection(settlementId, { rate: '7', reason: 'x', author: 'someone' }).expect(400);
    expect(named.body.errors[0].field).toBe('author');
    expect(await counts()).toEqual(before);

    const a = await requestCorrection(settlementId, { rate: '7.0', reason: 'one' }).expect(201);
    const b = await requestCorrection(settlementId, { rate: '6.9', reason: 'two' }).expect(201);
    const self = await approve(a.body.correctionId, PEOPLE.fxOfficer).expect(422);
    expect(self.body).toMatchObject({ type: 'urn:vcdc:problem:four-eyes', errors: [{ field: 'approver' }] });
    expect((await counts()).c).toBe(before.c);
    await approve(a.body.correctionId).expect(201);
    // b was asked against the original; the original is no longer in force.
    const stale = await approve(b.body.correctionId).expect(409);
    expect(stale.body).toMatchObject({
      type: 'urn:vcdc:problem:settlement-corrected-since',
      inForce: a.body.correctionId,
    });
    expect((await approve(a.body.correctionId, PEOPLE.supervisor).expect(409)).body.type).toBe(
      'urn:vcdc:problem:correction-already-applied',
    );
    // A treasury officer cannot request one (the act kind's roles), and no act at all is refused.
    await requestCorrection(settlementId, { rate: '7.3', reason: 'x' }, PEOPLE.treasuryOfficer).expect(403);
    await post(`/v1/settlements/${settlementId}/corrections`, { rate: '7.3', reason: 'x' }).expect(403);
    expect(await counts()).toEqual({ r: before.r + 2, c: before.c + 1, e: before.e + 2 });
  });

  test('the corrections waiting for approval are listed (of one case, or all), and an approved one leaves the list', async () => {
    const a = await settledTranche('CASE-FXC-LIST-A');
    const b = await settledTranche('CASE-FXC-LIST-B');
    const ca = (await requestCorrection(a.settlementId, { rate: '7.0500', reason: 'wrong day' }).expect(201)).body;
    const cb = (await requestCorrection(b.settlementId, { rate: '7.0500', reason: 'wrong day' }).expect(201)).body;
    const ids = async (query: string) =>
      (
        (await request(app).get(`/v1/settlement-corrections?${query}`).expect(200)).body.corrections as Array<{
          correctionId: string;
        }>
      ).map((c) => c.correctionId);
    const answer = (
      await request(app).get('/v1/settlement-corrections?status=PENDING_APPROVAL&caseId=CASE-FXC-LIST-A').expect(200)
    ).body;
    // The table's response schema holds the whole answer (the typed client parses it; nothing is dropped).
    expect(FX_ROUTES.listSettlementCorrections.response.parse(answer)).toEqual(answer);
    const listed = answer.corrections;
    expect(listed).toEqual([
      expect.objectContaining({
        correctionId: ca.correctionId,
        settlementId: a.settlementId,
        caseId: 'CASE-FXC-LIST-A',
        author: PEOPLE.fxOfficer.id,
        status: 'PENDING_APPROVAL',
        after: expect.objectContaining({ rate: '7.05', cnyAmount: '6891.37' }),
      }),
    ]);
    expect(await ids('status=PENDING_APPROVAL')).toEqual(expect.arrayContaining([ca.correctionId, cb.correctionId]));
    await approve(ca.correctionId).expect(201);
    const after = await ids('status=PENDING_APPROVAL');
    expect(after).not.toContain(ca.correctionId);
    expect(after).toContain(cb.correctionId);
    const bad = await request(app).get('/v1/settlement-corrections?status=APPLIED').expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'status' })]);
  });

  test('the new tables are bound to the audit chain: the verifier finds them and their rows', async () => {
    const verify = (await request(app).get('/v1/audit/verify').expect(200)).body;
    const chain = verify.chains?.[0] ?? verify;
    const bound = (chain.tables ?? []) as Array<{ table: string; ok: boolean; rows: number }>;
    for (const t of ['settlement_correction_requests', 'settlement_corrections', 'settlement_entries']) {
      expect(bound.find((b) => b.table === t)).toMatchObject({ ok: true });
    }
    expect(chain.ok).toBe(true);
  });
});
