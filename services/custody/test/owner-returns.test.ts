/**
 * A held case closed on acquittal hands its coins back to the owner (issue 13, part 3): an OWNER_RETURN
 * transfer, authorised by two supervisors' signed HOLD_RESOLUTION approvals carrying the same CLOSE to the
 * OWNER resolution, to the address it names, of everything the case wallet holds. Against real
 * PostgreSQL and the chain simulator; every refusal changes nothing and is in the custody audit chain.
 */
import { type CarriedDecision, contracts, Decimal } from '@vcdc/shared';
import request from 'supertest';
import { signedDecision } from '../../../test/support/acts';
import {
  ACTS,
  approvalsFor,
  chainCall,
  EVIDENCE,
  type Harness,
  type Json,
  ledgerRows,
  MIN_CONFIRMATIONS,
  newKey,
  PEOPLE,
  post,
  startHarness,
  sweepToCustody,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_owner_returns');
});
afterAll(() => h.close());

const OWNER_BTC = 'bc1qowner000000000000000000000000000000';

type Resolution = NonNullable<CarriedDecision['resolution']>;
const toOwner = (
  addresses: Array<{ asset: 'BTC' | 'ETH' | 'USDT'; address: string }> = [{ asset: 'BTC', address: OWNER_BTC }],
): Resolution => ({
  path: 'CLOSE',
  handBackTo: 'OWNER',
  owner: { courtOrder: '(2026) Jing 0105 Xing Chu 1234', name: 'Li Ming', addresses },
});

/** The case's HOLD_RESOLUTION approvals as the workflow carries them: by `by`, each signing `resolution`. */
function resolvedBy(caseId: string, resolution: Resolution, by = [PEOPLE.supervisor, PEOPLE.secondSupervisor]) {
  return by.map((supervisor) =>
    signedDecision(ACTS.signingKey, caseId, supervisor, {
      stage: 'HOLD_RESOLUTION',
      outcome: 'APPROVE',
      reason: `${supervisor.id}: acquitted, the court orders the coins returned`,
      resolution,
    } as Parameters<typeof signedDecision>[3]),
  );
}

/** A case whose BTC account holds `amount` (taken in through a real sweep and intake). */
async function caseHolding(caseId: string, amount: string): Promise<void> {
  const { txHash } = await sweepToCustody(h, caseId, amount);
  await post(h.app, '/v1/intakes', {
    caseId,
    lotId: 'LOT-1',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: amount,
    txHash,
    evidence: EVIDENCE,
  }).expect(201);
}

const handBack = (caseId: string, approvals: CarriedDecision[], over: Record<string, unknown> = {}) => ({
  caseId,
  asset: 'BTC',
  chain: 'bitcoin',
  toAddress: OWNER_BTC,
  amount: '1.5',
  purpose: 'OWNER_RETURN',
  approvals,
  ...over,
});

async function balanceOf(caseId: string): Promise<string> {
  return (await request(h.app).get(`/v1/accounts/${caseId}/BTC`).expect(200)).body.balance;
}

async function refusalsOf(type: string): Promise<Json[]> {
  const records = (await request(h.app).get('/v1/audit/records?limit=1000').expect(200)).body.records as Json[];
  return records.filter((r) => r.kind === 'request.refused' && r.data.type === `urn:vcdc:problem:${type}`);
}

test("two supervisors' CLOSE to the OWNER sends everything the case wallet holds to the named address, booked OWNER_RETURN and NETWORK_FEE; a retry is the same transfer", async () => {
  await caseHolding('CASE-OWN-1', '1.5');
  const approvals = resolvedBy('CASE-OWN-1', toOwner());
  const key = newKey('owner');
  const sent = await post(h.app, '/v1/transfers', handBack('CASE-OWN-1', approvals), key).expect(201);
  const transfer = contracts.custody.Transfer.parse(sent.body);
  expect(transfer).toMatchObject({ purpose: 'OWNER_RETURN', toAddress: OWNER_BTC, amount: '1.5', status: 'BROADCAST' });
  expect(transfer.authorisationSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(await balanceOf('CASE-OWN-1')).toBe('0');

  const ledger = (await request(h.app).get('/v1/cases/CASE-OWN-1/ledger').expect(200))
    .body as contracts.custody.CustodyLedger;
  const lines = ledger.entries.filter((e) => e.kind === 'OWNER_RETURN' || e.kind === 'NETWORK_FEE');
  expect(lines.map((e) => [e.kind, e.amount])).toEqual([
    ['OWNER_RETURN', new Decimal(transfer.netAmount).neg().toFixed()],
    ['NETWORK_FEE', new Decimal(transfer.fee).neg().toFixed()],
  ]);
  expect(ledger.entries.some((e) => e.kind === 'TRANSFER_OUT')).toBe(false);

  // The chain moved it to the owner, once.
  const incoming = await chainCall(h, 'GET', `/v1/chains/bitcoin/addresses/${OWNER_BTC}/transactions?direction=in`);
  expect(incoming.transactions.map((t: Json) => [t.txHash, t.amount])).toEqual([[transfer.txHash, transfer.netAmount]]);
  const again = await post(h.app, '/v1/transfers', handBack('CASE-OWN-1', approvals), key).expect(201);
  expect(again.body.transferId).toBe(transfer.transferId);
  h.chainSim.mine('bitcoin', MIN_CONFIRMATIONS);
  const now = await request(h.app).get(`/v1/transfers/${transfer.transferId}`).expect(200);
  expect(now.body.status).toBe('CONFIRMED');

  // Once the wallet is empty there is nothing more to hand back.
  const more = await post(h.app, '/v1/transfers', handBack('CASE-OWN-1', approvals, { amount: '0.1' }));
  expect(more.status).toBe(422);
});

describe('refused, changing nothing, each in the audit chain', () => {
  const cases: Array<[string, (caseId: string) => Record<string, unknown>, number, string, string]> = [
    [
      'one supervisor only',
      (c) => handBack(c, resolvedBy(c, toOwner(), [PEOPLE.supervisor])),
      403,
      'transfer-quorum-not-met',
      'needs 2 distinct supervisors',
    ],
    [
      'the same supervisor twice',
      (c) => handBack(c, resolvedBy(c, toOwner(), [PEOPLE.supervisor, PEOPLE.supervisor])),
      403,
      'transfer-quorum-not-met',
      'needs 2 distinct supervisors',
    ],
    [
      'two approvals of different resolutions',
      (c) =>
        handBack(c, [
          ...resolvedBy(c, toOwner(), [PEOPLE.supervisor]),
          ...resolvedBy(c, toOwner([{ asset: 'BTC', address: 'bc1qsomeoneelse' }]), [PEOPLE.secondSupervisor]),
        ]),
      403,
      'transfer-unauthorised',
      'approvals[1].resolution',
    ],
    [
      'a CLOSE to CUSTODY resolution',
      (c) => handBack(c, resolvedBy(c, { path: 'CLOSE', handBackTo: 'CUSTODY' })),
      403,
      'owner-return-not-authorised',
      'not CLOSE to the OWNER',
    ],
    [
      'the DISPOSAL_PLAN approvals',
      (c) => handBack(c, approvalsFor(c)),
      403,
      'transfer-unauthorised',
      'needs HOLD_RESOLUTION',
    ],
    [
      'another destination than the named one',
      (c) => handBack(c, resolvedBy(c, toOwner()), { toAddress: 'bc1qthief' }),
      403,
      'owner-return-not-authorised',
      `toAddress: the resolution names ${OWNER_BTC}`,
    ],
    [
      'an asset the resolution does not name',
      (c) =>
        handBack(c, resolvedBy(c, toOwner([{ asset: 'ETH', address: '0x00000000000000000000000000000000000000aa' }]))),
      403,
      'owner-return-not-authorised',
      'asset: the resolution names',
    ],
    [
      'part of the balance',
      (c) => handBack(c, resolvedBy(c, toOwner()), { amount: '1' }),
      422,
      'owner-return-not-whole',
      'holds 1.5 BTC available',
    ],
    [
      'approvals signed for another case',
      (c) => handBack(c, resolvedBy('CASE-OTHER', toOwner())),
      403,
      'transfer-unauthorised',
      'approvals[0]',
    ],
    [
      'HOLD_RESOLUTION approvals for a venue deposit',
      (c) => ({ ...handBack(c, resolvedBy(c, toOwner())), purpose: 'VENUE_DEPOSIT' }),
      403,
      'transfer-unauthorised',
      'needs DISPOSAL_PLAN',
    ],
  ];

  test.each(cases)('%s', async (_what, body, status, type, detail) => {
    const caseId = `CASE-OWN-R-${Math.random().toString(36).slice(2, 8)}`;
    await caseHolding(caseId, '1.5');
    const rows = await ledgerRows(h, caseId);
    const before = (await refusalsOf(type)).length;
    const refused = await post(h.app, '/v1/transfers', body(caseId));
    expect(refused.status).toBe(status);
    expect(refused.body.type).toBe(`urn:vcdc:problem:${type}`);
    expect(refused.body.detail).toContain(detail);
    expect(await balanceOf(caseId)).toBe('1.5');
    expect(await ledgerRows(h, caseId)).toBe(rows);
    const { rows: transfers } = await h.pool.query('SELECT 1 FROM transfers WHERE case_id = $1', [caseId]);
    expect(transfers).toHaveLength(0);
    expect((await refusalsOf(type)).length).toBe(before + 1);
  });
});

test("the database keeps a transfer's purpose and authority: a venue deposit cannot be turned into a hand-back", async () => {
  await caseHolding('CASE-OWN-2', '1.5');
  await post(h.app, '/v1/transfers', handBack('CASE-OWN-2', resolvedBy('CASE-OWN-2', toOwner()))).expect(201);
  await expect(
    h.pool.query(`UPDATE transfers SET authorisation_sha256 = $2 WHERE case_id = $1`, ['CASE-OWN-2', 'f'.repeat(64)]),
  ).rejects.toThrow(/purpose, authority/);
  await expect(
    h.pool.query(`UPDATE transfers SET purpose = 'VENUE_DEPOSIT' WHERE case_id = $1`, ['CASE-OWN-2']),
  ).rejects.toThrow(/purpose, authority|transfers_destination_check/);
});
