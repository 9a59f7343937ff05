/**
 * Issue #11, custody's side: people act only as themselves (a signed act, never a name in a body), the
 * whitelist is under four eyes and a cooling-off period with every event in the audit chain, and no coin
 * leaves a case wallet without the case's signed DISPOSAL_PLAN authorisation, which custody checks itself.
 * Every refusal is in the custody audit chain.
 */
import request from 'supertest';
import { actHeader, signedDecision, testActKeys } from '../../../test/support/acts';
import {
  ACTS,
  actPost,
  approvalsFor,
  approveEntry,
  authorisationFor,
  caseHolding,
  chainCall,
  chainOutgoing,
  EVIDENCE,
  endCoolingOff,
  type Harness,
  type Json,
  PEOPLE,
  post,
  proveDestination,
  requestEntry,
  revokeEntry,
  startHarness,
  sweepToCustody,
  venueDeposit,
  whitelistActive,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_trust');
});
afterAll(() => h.close());

const HOUR = 60 * 60;

const records = async (): Promise<Json[]> =>
  (await request(h.app).get('/v1/audit/records?view=acts&limit=1000').expect(200)).body.records;
const refusalsOf = async (type: string): Promise<Json[]> =>
  (await records()).filter((r) => r.kind === 'request.refused' && r.data.type === `urn:vcdc:problem:${type}`);
const entryCount = async () =>
  (await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM whitelist_entries')).rows[0]!.n;

describe('the whitelist: one custodian requests, two other custodians approve, ACTIVE after the cooling-off', () => {
  test('with only the custody service credential (no act) no entry is created or approved', async () => {
    const before = await entryCount();
    const bare = await post(h.app, '/v1/whitelist', {
      chain: 'bitcoin',
      address: 'bc1qattacker0000000000000000000000000',
      label: 'attacker',
      venue: 'hashkey',
    }).expect(403);
    expect(bare.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bare.body.type).toBe('urn:vcdc:problem:act-missing');
    expect(await entryCount()).toBe(before);

    const listed = await requestEntry(h.app, {
      chain: 'bitcoin',
      address: 'bc1qpendingnoact000000000000000000',
    }).expect(201);
    const approve = await post(h.app, `/v1/whitelist/${listed.body.entryId}/approvals`, {}).expect(403);
    expect(approve.body.type).toBe('urn:vcdc:problem:act-missing');
    expect((await request(h.app).get(`/v1/whitelist/${listed.body.entryId}`).expect(200)).body).toMatchObject({
      status: 'PENDING_APPROVAL',
      approvals: [],
    });
    expect((await refusalsOf('act-missing')).length).toBeGreaterThanOrEqual(2);
  });

  test('"approvals" by invented names in the body are refused 400 naming the field, even with a signed act', async () => {
    const listed = await requestEntry(h.app, {
      chain: 'bitcoin',
      address: 'bc1qnamedapprovers0000000000000000',
    }).expect(201);
    const path = `/v1/whitelist/${listed.body.entryId}/approvals`;
    const named = await actPost(h.app, PEOPLE.secondCustodian, 'custody.whitelist.approve', path, {
      approvedBy: 'custodian.invented',
    }).expect(400);
    expect(named.body.errors).toEqual([expect.objectContaining({ field: 'approvedBy' })]);
    const requestedBy = await requestEntry(h.app, {
      chain: 'bitcoin',
      address: 'bc1qnamedrequester0000000000000000',
      requestedBy: 'custodian.invented',
    } as never).expect(400);
    expect(requestedBy.body.errors).toEqual([expect.objectContaining({ field: 'requestedBy' })]);
    const revokedBy = await actPost(
      h.app,
      PEOPLE.thirdCustodian,
      'custody.whitelist.revoke',
      `/v1/whitelist/${listed.body.entryId}/revocation`,
      {
        reason: 'x',
        revokedBy: 'nobody',
      },
    ).expect(400);
    expect(revokedBy.body.errors).toEqual([expect.objectContaining({ field: 'revokedBy' })]);
    expect((await request(h.app).get(`/v1/whitelist/${listed.body.entryId}`)).body.status).toBe('PENDING_APPROVAL');
  });

  test('the requester cannot approve; one custodian cannot approve twice; a supervisor cannot approve', async () => {
    const listed = await requestEntry(h.app, { chain: 'bitcoin', address: 'bc1qfoureyes000000000000000000000' }).expect(
      201,
    );
    expect(listed.body).toMatchObject({
      requestedBy: PEOPLE.custodian.id,
      venue: 'hashkey',
      status: 'PENDING_APPROVAL',
    });
    const own = await approveEntry(h.app, listed.body.entryId, PEOPLE.custodian).expect(403);
    expect(own.body.type).toBe('urn:vcdc:problem:approver-is-requester');
    await approveEntry(h.app, listed.body.entryId, PEOPLE.secondCustodian).expect(201);
    const twice = await approveEntry(h.app, listed.body.entryId, PEOPLE.secondCustodian).expect(409);
    expect(twice.body.type).toBe('urn:vcdc:problem:already-approved-by');
    const supervisor = await approveEntry(h.app, listed.body.entryId, PEOPLE.supervisor).expect(403);
    expect(supervisor.body.type).toBe('urn:vcdc:problem:act-role');
    const entry = (await request(h.app).get(`/v1/whitelist/${listed.body.entryId}`).expect(200)).body;
    expect(entry.status).toBe('PENDING_APPROVAL');
    expect(entry.approvals.map((a: Json) => a.approvedBy)).toEqual([PEOPLE.secondCustodian.id]);
    expect((await refusalsOf('approver-is-requester'))[0]).toMatchObject({ actor: PEOPLE.custodian.id });
    expect((await refusalsOf('already-approved-by'))[0]).toMatchObject({ actor: PEOPLE.secondCustodian.id });
  });

  test('an act signed for another entry, or replayed under a new Idempotency-Key, is refused', async () => {
    const a = await requestEntry(h.app, { chain: 'bitcoin', address: 'bc1qreplaya00000000000000000000000' }).expect(
      201,
    );
    const b = await requestEntry(h.app, { chain: 'bitcoin', address: 'bc1qreplayb00000000000000000000000' }).expect(
      201,
    );
    const other = await actPost(
      h.app,
      PEOPLE.secondCustodian,
      'custody.whitelist.approve',
      `/v1/whitelist/${b.body.entryId}/approvals`,
      {},
      {
        object: { type: 'whitelist-entry', id: a.body.entryId },
      },
    ).expect(403);
    expect(other.body.type).toBe('urn:vcdc:problem:act-object');

    // The same signed act, sent again under another Idempotency-Key: a replay.
    const path = `/v1/whitelist/${a.body.entryId}/approvals`;
    const act = actHeader(ACTS.signingKey, {
      kind: 'custody.whitelist.approve',
      actor: PEOPLE.secondCustodian,
      object: { type: 'whitelist-entry', id: a.body.entryId },
      method: 'POST',
      path,
      body: {},
    });
    await post(h.app, path, {}).set(act).expect(201);
    const replay = await post(h.app, path, {}).set(act).expect(409);
    expect(replay.body.type).toBe('urn:vcdc:problem:act-replayed');
    expect((await refusalsOf('act-replayed')).length).toBeGreaterThanOrEqual(1);
  });

  test('the entry stays COOLING_OFF until the period passes; every whitelist event is in the audit chain', async () => {
    const app = h.appWith(h.chainClient, { whitelistCoolingOffSeconds: HOUR });
    const address = 'bc1qcoolingvenue000000000000000000000';
    const listed = await requestEntry(app, { chain: 'bitcoin', address }).expect(201);
    const { entryId } = listed.body;
    await approveEntry(app, entryId, PEOPLE.secondCustodian).expect(201);
    const approved = await approveEntry(app, entryId, PEOPLE.thirdCustodian).expect(201);
    expect(approved.body.status).toBe('COOLING_OFF');
    expect(Date.parse(approved.body.activeFrom) - Date.now()).toBeGreaterThan(HOUR * 1000 - 60_000);
    expect((await request(app).get(`/v1/whitelist/${entryId}`).expect(200)).body.status).toBe('COOLING_OFF');

    // A transfer there waits; nothing moves.
    await caseHolding(h, 'CASE-TR-COOL', '1');
    const waiting = await post(app, '/v1/transfers', transferTo('CASE-TR-COOL', address)).expect(409);
    expect(waiting.body.type).toBe('urn:vcdc:problem:not-yet');

    await endCoolingOff(h, entryId);
    const found = await request(app).get(`/v1/whitelist?chain=bitcoin&address=${address}`).expect(200);
    expect(found.body.entries).toEqual([expect.objectContaining({ entryId, status: 'ACTIVE', venue: 'hashkey' })]);
    // Looked at again: the activation is recorded once.
    await request(app).get(`/v1/whitelist/${entryId}`).expect(200);
    await revokeEntry(app, entryId, 'address rotated by the venue').expect(201);

    const events = (await records()).filter(
      (r) => r.data?.entryId === entryId && r.kind.startsWith('custody.whitelist.'),
    );
    expect(events.map((r) => [r.kind, r.actor])).toEqual([
      ['custody.whitelist.requested', PEOPLE.custodian.id],
      ['custody.whitelist.approved', PEOPLE.secondCustodian.id],
      ['custody.whitelist.approved', PEOPLE.thirdCustodian.id],
      ['custody.whitelist.cooling-off-started', PEOPLE.thirdCustodian.id],
      ['custody.whitelist.active', 'service:custody'],
      ['custody.whitelist.revoked', PEOPLE.thirdCustodian.id],
    ]);
    expect(events[0].data).toMatchObject({ address, venue: 'hashkey', chain: 'bitcoin' });
    expect(events[5].data).toMatchObject({ reason: 'address rotated by the venue' });
    expect((await request(app).get('/v1/audit/verify').expect(200)).body).toMatchObject({ ok: true });
  });

  test('a replacement becoming ACTIVE records the old entry superseded', async () => {
    const old = await whitelistActive(h.app, 'bitcoin', 'bc1qsupersededold0000000000000000000');
    const change = await requestEntry(h.app, {
      chain: 'bitcoin',
      address: 'bc1qsupersedingnew000000000000000000',
      replaces: old.entryId,
    }).expect(201);
    await approveEntry(h.app, change.body.entryId, PEOPLE.secondCustodian).expect(201);
    await approveEntry(h.app, change.body.entryId, PEOPLE.thirdCustodian).expect(201);
    const superseded = (await records()).filter((r) => r.kind === 'custody.whitelist.superseded');
    expect(superseded).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ entryId: old.entryId, supersededBy: change.body.entryId }),
      }),
    ]);
  });
});

// Fresh approvals on every request unless given: a signed act presented again is another matter (act-replayed).
const transferTo = (caseId: string, toAddress: string, amount = '0.1', approvals = approvalsFor(caseId)) =>
  venueDeposit(caseId, toAddress, amount, approvals);

describe('custody enforces the case authorisation itself', () => {
  const VENUE = 'bc1qhashkeydeposit00000000000000000000';
  const OTHER_VENUE = 'bc1qothervenuedeposit000000000000000';
  let custody: string;
  const outgoing = () => chainOutgoing(h, custody);

  beforeAll(async () => {
    await whitelistActive(h.app, 'bitcoin', VENUE);
    await proveDestination(h, VENUE);
    await whitelistActive(h.app, 'bitcoin', OTHER_VENUE, 'another venue', 'othervenue');
    custody = await caseHolding(h, 'CASE-AUTH', '2');
  });

  /** Refused 403 with `type`, nothing sent, and the refusal in the audit chain. */
  async function refused(body: object, type: string, status = 403): Promise<Json> {
    const before = await outgoing();
    const before403 = (await refusalsOf(type)).length;
    const res = await post(h.app, '/v1/transfers', body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
    expect(await outgoing()).toEqual(before);
    const after = await refusalsOf(type);
    expect(after.length).toBe(before403 + 1);
    expect(after[after.length - 1]).toMatchObject({
      caseId: (body as { caseId?: string }).caseId,
      data: { path: '/v1/transfers', status },
    });
    return res.body;
  }

  test('with only the service credential (no approvals) no coin moves', async () => {
    const { approvals: _none, ...bare } = transferTo('CASE-AUTH', VENUE);
    await refused(bare, 'transfer-unauthorised');
    await refused({ ...bare, approvals: [] }, 'transfer-unauthorised');
    // A test deposit needs it as much.
    await refused({ ...bare, amount: '0.001', purpose: 'TEST_DEPOSIT' }, 'transfer-unauthorised');
  });

  test('a forged or altered decision, a REJECT, or another case’s decision is refused', async () => {
    const forger = testActKeys();
    const forged = [
      signedDecision(forger.signingKey, 'CASE-AUTH', PEOPLE.supervisor, {
        stage: 'DISPOSAL_PLAN',
        outcome: 'APPROVE',
        authorisation: authorisationFor('CASE-AUTH'),
      }),
    ];
    expect((await refused(transferTo('CASE-AUTH', VENUE, '0.1', forged), 'transfer-unauthorised')).reason).toBe(
      'act-signature',
    );

    const genuine = approvalsFor(
      'CASE-AUTH',
      authorisationFor('CASE-AUTH', { assets: [{ asset: 'BTC', maxAmount: '0.01' }] }),
    );
    const altered = [{ ...genuine[0]!, authorisation: authorisationFor('CASE-AUTH') }];
    expect((await refused(transferTo('CASE-AUTH', VENUE, '0.1', altered), 'transfer-unauthorised')).reason).toBe(
      'act-content',
    );

    const rejected = approvalsFor('CASE-AUTH', undefined, undefined, { outcome: 'REJECT' });
    expect((await refused(transferTo('CASE-AUTH', VENUE, '0.1', rejected), 'transfer-unauthorised')).reason).toBe(
      'act-kind',
    );

    const salePrice = approvalsFor('CASE-AUTH', undefined, undefined, { stage: 'SALE_PRICE' });
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', salePrice), 'transfer-unauthorised');

    // Signed for another case (and its authorisation names that case).
    const otherCase = approvalsFor('CASE-OTHER');
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', otherCase), 'transfer-unauthorised');
    // Signed for this case, but authorising another case's coins.
    const wrongAuth = approvalsFor('CASE-AUTH', authorisationFor('CASE-OTHER'));
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', wrongAuth), 'transfer-unauthorised');

    // Two approvals that authorise different things.
    const a = approvalsFor('CASE-AUTH', authorisationFor('CASE-AUTH'), [PEOPLE.supervisor]);
    const b = approvalsFor('CASE-AUTH', authorisationFor('CASE-AUTH', { venue: 'othervenue' }), [
      PEOPLE.seniorSupervisor,
    ]);
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', [...a, ...b]), 'transfer-unauthorised');
  });

  test('too few distinct approvers or units, or no senior supervisor when the policy asks, is refused', async () => {
    const two = (over: Partial<ReturnType<typeof authorisationFor>['policy']>) =>
      authorisationFor('CASE-AUTH', { policy: { ...authorisationFor('CASE-AUTH').policy, ...over } });

    const needsTwo = two({ approvals: 2 });
    const sameTwice = [...approvalsFor('CASE-AUTH', needsTwo), ...approvalsFor('CASE-AUTH', needsTwo)];
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', sameTwice), 'transfer-quorum-not-met');

    const needsUnits = two({ approvals: 2, units: 2 });
    // supervisor.li and officer… no: two supervisors of the same unit (case-handling) are one unit.
    const sameUnit = approvalsFor('CASE-AUTH', needsUnits, [
      PEOPLE.supervisor,
      { id: 'supervisor.qian', role: 'supervisor', unit: 'case-handling' },
    ]);
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', sameUnit), 'transfer-quorum-not-met');

    const needsSenior = two({ approvals: 2, units: 2, senior: true });
    const noSenior = approvalsFor('CASE-AUTH', needsSenior, [PEOPLE.supervisor, PEOPLE.secondSupervisor]);
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', noSenior), 'transfer-quorum-not-met');

    const withSenior = approvalsFor('CASE-AUTH', needsSenior, [PEOPLE.supervisor, PEOPLE.seniorSupervisor]);
    const sent = await post(h.app, '/v1/transfers', transferTo('CASE-AUTH', VENUE, '0.1', withSenior)).expect(201);
    expect(sent.body.authorisationSha256).toMatch(/^[0-9a-f]{64}$/);
    const { rows } = await h.pool.query(
      `SELECT actor_id, kind FROM signed_acts WHERE case_id = 'CASE-AUTH' AND kind = 'case.decision' ORDER BY actor_id`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { actor_id: PEOPLE.seniorSupervisor.id, kind: 'case.decision' },
        { actor_id: PEOPLE.supervisor.id, kind: 'case.decision' },
      ]),
    );
  });

  test('an asset the authorisation does not name, or more than its maximum (cumulative), is refused', async () => {
    const ethOnly = approvalsFor(
      'CASE-AUTH',
      authorisationFor('CASE-AUTH', { assets: [{ asset: 'ETH', maxAmount: '1' }] }),
    );
    await refused(transferTo('CASE-AUTH', VENUE, '0.1', ethOnly), 'transfer-asset-not-authorised');

    // 0.1 has left already (above); at most 0.35 in all: 0.2 more fits, another 0.1 does not.
    const capped = approvalsFor(
      'CASE-AUTH',
      authorisationFor('CASE-AUTH', { assets: [{ asset: 'BTC', maxAmount: '0.35' }] }),
    );
    await post(h.app, '/v1/transfers', transferTo('CASE-AUTH', VENUE, '0.2', capped)).expect(201);
    const above = await refused(transferTo('CASE-AUTH', VENUE, '0.1', capped), 'transfer-above-authorisation');
    expect(above).toMatchObject({ maxAmount: '0.35', alreadyOut: '0.3' });
    expect(above.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
  });

  test('a destination of another venue, or one not ACTIVE, is refused', async () => {
    const res = await refused(transferTo('CASE-AUTH', OTHER_VENUE), 'destination-not-authorised');
    expect(res.errors).toEqual([expect.objectContaining({ field: 'toAddress' })]);
    // A plan that names the other venue too (a case sold by sale plans) passes this check; the register's
    // still applies (this venue is not in it).
    const both = approvalsFor('CASE-AUTH', authorisationFor('CASE-AUTH', { venues: ['othervenue'] }));
    const next = await post(h.app, '/v1/transfers', transferTo('CASE-AUTH', OTHER_VENUE, '0.1', both)).expect(422);
    expect(next.body).toMatchObject({ type: 'urn:vcdc:problem:provider-not-registered', providerId: 'othervenue' });

    const pending = await requestEntry(h.app, {
      chain: 'bitcoin',
      address: 'bc1qnotactiveyet0000000000000000000',
    }).expect(201);
    const waiting = await refused(transferTo('CASE-AUTH', 'bc1qnotactiveyet0000000000000000000'), 'not-yet', 409);
    expect(waiting.entryId).toBe(pending.body.entryId);
    await refused(transferTo('CASE-AUTH', 'bc1qnotlistedatall000000000000000000'), 'destination-not-whitelisted', 422);
  });

  test('coins a stopped case got back count no more against its authorisation: they may leave again under it, never more', async () => {
    // A held case resumed under the plan it had approved (HOLD_RESOLUTION RESUME) sends the returned coins again.
    const address = await caseHolding(h, 'CASE-BACK', '1');
    const plan = approvalsFor(
      'CASE-BACK',
      authorisationFor('CASE-BACK', { assets: [{ asset: 'BTC', maxAmount: '0.5' }] }),
    );
    const sent = await post(h.app, '/v1/transfers', transferTo('CASE-BACK', VENUE, '0.5', plan)).expect(201);
    await refused(transferTo('CASE-BACK', VENUE, '0.1', plan), 'transfer-above-authorisation');

    const back = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: VENUE,
      to: address,
      asset: 'BTC',
      amount: '0.3',
    });
    h.chainSim.mine('bitcoin', 2);
    await post(h.app, '/v1/returns', {
      caseId: 'CASE-BACK',
      transferId: sent.body.transferId,
      txHash: back.txHash,
    }).expect(201);
    // 0.5 left, 0.3 came back: 0.2 is out, so 0.3 may leave again and nothing more.
    await post(h.app, '/v1/transfers', transferTo('CASE-BACK', VENUE, '0.3', plan)).expect(201);
    const above = await refused(transferTo('CASE-BACK', VENUE, '0.01', plan), 'transfer-above-authorisation');
    expect(above).toMatchObject({ maxAmount: '0.5', alreadyOut: '0.5' });
  });

  test('a return into the case wallet needs no authorisation', async () => {
    const transfer = await proveDestination(h, VENUE);
    const { address } = (await request(h.app).get(`/v1/accounts/${transfer.caseId}/BTC`).expect(200)).body;
    const back = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
      from: VENUE,
      to: address,
      asset: 'BTC',
      amount: '0.0002',
    });
    h.chainSim.mine('bitcoin', 2);
    await post(h.app, '/v1/returns', {
      caseId: transfer.caseId,
      transferId: transfer.transferId,
      txHash: back.txHash,
    }).expect(201);
  });
});

describe('people act as themselves on intakes', () => {
  async function discrepancy(caseId: string) {
    const { txHash } = await sweepToCustody(h, caseId, '0.9');
    const res = await post(h.app, '/v1/intakes', {
      caseId,
      lotId: 'LOT-1',
      asset: 'BTC',
      chain: 'bitcoin',
      declaredAmount: '1',
      txHash,
      evidence: EVIDENCE,
    }).expect(201);
    const intakeId = res.body.intakeId as string;
    const classified = await actPost(
      h.app,
      PEOPLE.custodian,
      'custody.intake.classify',
      `/v1/intakes/${intakeId}/difference`,
      {
        classification: 'SHORT_DELIVERY',
        explanation: 'the suspect wallet held less than declared',
        amount: '0.1',
      },
    ).expect(201);
    expect(classified.body.differenceClassification.classifiedBy).toBe(PEOPLE.custodian.id);
    return intakeId;
  }
  const countersign = (intakeId: string, person: (typeof PEOPLE)[keyof typeof PEOPLE], role: string) =>
    actPost(h.app, person, 'custody.intake.countersign', `/v1/intakes/${intakeId}/difference/countersignatures`, {
      role,
    });

  test('a countersigner not named in the handover evidence is refused; the named ones sign', async () => {
    const intakeId = await discrepancy('CASE-CS1');
    const stranger = await countersign(intakeId, PEOPLE.seizingOfficer, 'handing-officer').expect(403);
    expect(stranger.body.type).toBe('urn:vcdc:problem:countersigner-not-named');
    const otherCustodian = await countersign(intakeId, PEOPLE.secondCustodian, 'custodian').expect(403);
    expect(otherCustodian.body.type).toBe('urn:vcdc:problem:countersigner-not-named');
    expect((await refusalsOf('countersigner-not-named')).length).toBeGreaterThanOrEqual(2);

    await countersign(intakeId, PEOPLE.caseOfficer, 'handing-officer').expect(201);
    const done = await countersign(intakeId, PEOPLE.custodian, 'custodian').expect(201);
    expect(done.body).toMatchObject({ differenceStatus: 'COUNTERSIGNED', final: true });
    expect(done.body.countersignatures.map((c: Json) => [c.role, c.signedBy])).toEqual([
      ['handing-officer', PEOPLE.caseOfficer.id],
      ['custodian', PEOPLE.custodian.id],
    ]);
  });

  test('the evidence in force names the countersigners: after a correction, the new names', async () => {
    const intakeId = await discrepancy('CASE-CS2');
    const trail = (await request(h.app).get(`/v1/intakes/${intakeId}/evidence`).expect(200)).body;
    const corrected = await actPost(
      h.app,
      PEOPLE.custodian,
      'custody.evidence.correct',
      `/v1/intakes/${intakeId}/evidence`,
      {
        corrects: trail.currentEvidenceId,
        reason: 'the form names officer Zhao as handing over',
        evidence: { ...EVIDENCE, handedOverBy: PEOPLE.seizingOfficer.id },
      },
    ).expect(201);
    expect(corrected.body.recordedBy).toBe(PEOPLE.custodian.id);
    await countersign(intakeId, PEOPLE.caseOfficer, 'handing-officer').expect(403);
    await countersign(intakeId, PEOPLE.seizingOfficer, 'handing-officer').expect(201);
  });

  test('names in bodies are refused 400 naming the field', async () => {
    const intakeId = await discrepancy('CASE-CS3');
    const signed = await actPost(
      h.app,
      PEOPLE.caseOfficer,
      'custody.intake.countersign',
      `/v1/intakes/${intakeId}/difference/countersignatures`,
      {
        role: 'handing-officer',
        signedBy: PEOPLE.caseOfficer.id,
      },
    ).expect(400);
    expect(signed.body.errors).toEqual([expect.objectContaining({ field: 'signedBy' })]);
    const attested = await actPost(h.app, PEOPLE.custodian, 'custody.intake.attest', '/v1/attestations', {
      caseId: 'CASE-CS3',
      lotId: 'LOT-2',
      asset: 'BTC',
      chain: 'bitcoin',
      declaredAmount: '1',
      txHash: 'x',
      amount: '1',
      attestedBy: 'custodian.invented',
      evidence: EVIDENCE,
    }).expect(400);
    expect(attested.body.errors).toEqual([expect.objectContaining({ field: 'attestedBy' })]);
    const bare = await post(h.app, `/v1/intakes/${intakeId}/difference/countersignatures`, {
      role: 'custodian',
    }).expect(403);
    expect(bare.body.type).toBe('urn:vcdc:problem:act-missing');
    expect((await request(h.app).get(`/v1/intakes/${intakeId}`).expect(200)).body.countersignatures).toEqual([]);
  });
});
