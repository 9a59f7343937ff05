/**
 * A held case closed on acquittal: custody hands everything the case wallet holds of an asset back to
 * the owner's address, on two supervisors' signed HOLD_RESOLUTION (CLOSE to the OWNER) and nothing
 * else; on real PostgreSQL and the ledger-chain simulator (bitcoin and ethereum).
 */
import { type CarriedDecision, canonicalJson, contracts, type HoldResolution, sha256Hex } from '@vcdc/shared';
import request from 'supertest';
import { signedDecision } from '../../../test/support/acts';
import type { ChainAdapter } from '../src/chain-adapter';
import {
  ACTS,
  approvalsFor,
  chainCall,
  chainOutgoing,
  type Harness,
  caseHolding as holding,
  type Json,
  newKey,
  PEOPLE,
  post,
  startHarness,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('custody_owner_returns');
});
afterAll(() => h.close());

const OWNER_BTC = 'bc1qownerofthecoins000000000000000000000';
const OWNER_ETH = '0x00000000000000000000000000000000000a11ce';
const COURT_ORDER = '(2026) Jing 01 Xing Zhong 123';

type Asset = 'BTC' | 'ETH';
const chainOf = (asset: Asset) => (asset === 'BTC' ? 'bitcoin' : 'ethereum');

/** A case whose `asset` account holds `amount` (a real sweep and intake of lot LOT-<asset>). */
const caseHolding = (caseId: string, amount: string, asset: Asset = 'BTC') =>
  holding(h, caseId, amount, { asset, lotId: `LOT-${asset}` });

function toOwner(
  addresses = [
    { asset: 'BTC' as const, address: OWNER_BTC },
    { asset: 'ETH' as const, address: OWNER_ETH },
  ],
): HoldResolution {
  return { path: 'CLOSE', handBackTo: 'OWNER', owner: { courtOrder: COURT_ORDER, name: 'Wang Wu', addresses } };
}

/** The case's HOLD_RESOLUTION APPROVE decisions, one per supervisor, each signing `resolution`. */
function resolvedBy(
  caseId: string,
  resolution: HoldResolution = toOwner(),
  supervisors = [PEOPLE.supervisor, PEOPLE.secondSupervisor],
): CarriedDecision[] {
  return supervisors.map((s) =>
    signedDecision(ACTS.signingKey, caseId, s, {
      stage: 'HOLD_RESOLUTION',
      outcome: 'APPROVE',
      reason: 'acquitted: the court orders the property returned',
      resolution,
    }),
  );
}

function handBack(caseId: string, amount: string, approvals: CarriedDecision[], asset: Asset = 'BTC', to?: string) {
  return {
    caseId,
    asset,
    chain: chainOf(asset),
    toAddress: to ?? (asset === 'BTC' ? OWNER_BTC : OWNER_ETH),
    amount,
    purpose: 'OWNER_RETURN' as const,
    approvals,
  };
}

async function balanceOf(caseId: string, asset: Asset = 'BTC'): Promise<string> {
  return (await request(h.app).get(`/v1/accounts/${caseId}/${asset}`).expect(200)).body.balance;
}

async function transfersOf(caseId: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM transfers WHERE case_id = $1', [
    caseId,
  ]);
  return rows[0]!.n;
}

async function auditOf(caseId: string, kind: string): Promise<Json[]> {
  const { rows } = await h.pool.query<{ data: Json }>(
    'SELECT data FROM audit_records WHERE case_id = $1 AND kind = $2 ORDER BY seq',
    [caseId, kind],
  );
  return rows.map((r) => r.data);
}

describe.each([
  { asset: 'BTC' as const, held: '1.5', fee: '0.00002', net: '1.49998', owner: OWNER_BTC },
  { asset: 'ETH' as const, held: '2', fee: null, net: null, owner: OWNER_ETH },
])('the whole $asset balance goes back to the owner', ({ asset, held, fee, net, owner }) => {
  test('two supervisors sign CLOSE to the OWNER: OWNER_RETURN and NETWORK_FEE lines, balance 0, the owner paid, once', async () => {
    const caseId = `CASE-OWN-${asset}`;
    const custody = await caseHolding(caseId, held, asset);
    const resolution = toOwner();
    const body = handBack(caseId, held, resolvedBy(caseId, resolution), asset);
    const key = newKey('owner-return');

    const res = await post(h.app, '/v1/transfers', body, key).expect(201);
    expect(contracts.custody.Transfer.parse(res.body)).toEqual(res.body);
    const resolutionSha256 = sha256Hex(canonicalJson(resolution));
    expect(res.body).toMatchObject({
      caseId,
      asset,
      toAddress: owner,
      amount: held,
      purpose: 'OWNER_RETURN',
      status: 'BROADCAST',
      authorisationSha256: resolutionSha256,
      ...(fee ? { fee, netAmount: net } : {}),
    });
    const sentFee = res.body.fee as string;
    const sentNet = res.body.netAmount as string;
    expect(Number(sentFee)).toBeGreaterThan(0);
    expect(await balanceOf(caseId, asset)).toBe('0');

    const ledger = (await request(h.app).get(`/v1/cases/${caseId}/ledger`).expect(200)).body;
    expect(contracts.custody.CustodyLedger.parse(ledger)).toEqual(ledger);
    expect(ledger.entries.map((e: Json) => [e.kind, e.amount, e.reference])).toEqual([
      ['INTAKE', held, expect.any(String)],
      ['OWNER_RETURN', `-${sentNet}`, res.body.transferId],
      ['NETWORK_FEE', `-${sentFee}`, res.body.transferId],
    ]);
    expect(ledger.balances).toEqual({ [asset]: '0' });

    // The owner received the net amount from the case wallet, on the chain.
    const onChain = await chainCall(h, 'GET', `/v1/chains/${chainOf(asset)}/transactions/${res.body.txHash}`);
    expect(onChain).toMatchObject({ from: custody, to: owner, asset, amount: sentNet, fee: sentFee });

    // A retry (same Idempotency-Key) is the same transfer: nothing sent or booked twice.
    const again = await post(h.app, '/v1/transfers', body, key).expect(201);
    expect(again.body).toEqual(res.body);
    expect(await chainOutgoing(h, custody, chainOf(asset))).toHaveLength(1);
    expect((await request(h.app).get(`/v1/cases/${caseId}/ledger`).expect(200)).body.entries).toHaveLength(3);

    // The audit chain names the court's order, the owner and the resolution the supervisors signed.
    expect(await auditOf(caseId, 'custody.owner-return.sent')).toEqual([
      expect.objectContaining({
        transferId: res.body.transferId,
        asset,
        toAddress: owner,
        sent: sentNet,
        fee: sentFee,
        txHash: res.body.txHash,
        courtOrder: COURT_ORDER,
        owner: 'Wang Wu',
        resolutionSha256,
      }),
    ]);
    // Both supervisors' acts are kept (bounded use).
    const { rows: acts } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM signed_acts WHERE act_id = ANY($1)`,
      [body.approvals.map((a) => a.nonce)],
    );
    expect(acts[0]!.n).toBe(2);
  });
});

test('a lost broadcast answer: the retry finds the written hand-back and its court order, and sends nothing new', async () => {
  const caseId = 'CASE-OWN-LOST';
  const custody = await caseHolding(caseId, '1');
  let sends = 0;
  // The chain really accepts the transaction; then the answer is lost (as if the process died).
  const losesFirstAnswer: ChainAdapter = {
    getHead: (chain) => h.chainClient.getHead(chain),
    getFees: (chain) => h.chainClient.getFees(chain),
    getTransaction: (chain, txHash) => h.chainClient.getTransaction(chain, txHash),
    send: async (chain, req) => {
      sends += 1;
      const tx = await h.chainClient.send(chain, req);
      if (sends === 1) throw new Error('connection reset after the broadcast was accepted');
      return tx;
    },
  };
  const app = h.appWith(losesFirstAnswer);
  const body = handBack(caseId, '1', resolvedBy(caseId));
  const key = newKey('owner-return');

  const lost = await post(app, '/v1/transfers', body, key).expect(503);
  expect(lost.body.type).toBe('urn:vcdc:problem:broadcast-outcome-unknown');
  const { rows: pending } = await h.pool.query(
    'SELECT status, whitelist_entry, court_order, owner_name FROM transfers WHERE case_id = $1',
    [caseId],
  );
  expect(pending).toEqual([
    { status: 'PENDING_BROADCAST', whitelist_entry: null, court_order: COURT_ORDER, owner_name: 'Wang Wu' },
  ]);
  // The whole balance is reserved: a second hand-back under another key finds nothing available.
  const second = await post(app, '/v1/transfers', handBack(caseId, '1', resolvedBy(caseId))).expect(422);
  expect(second.body).toMatchObject({ type: 'urn:vcdc:problem:insufficient-custody-balance', available: '0' });

  const retried = await post(app, '/v1/transfers', body, key).expect(201);
  expect(sends).toBe(2);
  const outgoing = await chainOutgoing(h, custody);
  expect(outgoing).toHaveLength(1);
  expect(retried.body).toMatchObject({ transferId: lost.body.transferId, txHash: outgoing[0]!.txHash });
  expect(await balanceOf(caseId)).toBe('0');
  const ledger = (await request(app).get(`/v1/cases/${caseId}/ledger`).expect(200)).body;
  expect(ledger.entries.map((e: Json) => e.kind)).toEqual(['INTAKE', 'OWNER_RETURN', 'NETWORK_FEE']);
  expect(await auditOf(caseId, 'custody.owner-return.sent')).toEqual([
    expect.objectContaining({ transferId: lost.body.transferId, courtOrder: COURT_ORDER, owner: 'Wang Wu' }),
  ]);

  // Coins sent into the case wallet afterwards are not a venue's return of this transfer: not credited.
  const back = await chainCall(h, 'POST', '/v1/chains/bitcoin/transactions', {
    from: OWNER_BTC,
    to: custody,
    asset: 'BTC',
    amount: '0.5',
  });
  h.chainSim.mine('bitcoin', 2);
  const returned = await post(app, '/v1/returns', {
    caseId,
    transferId: lost.body.transferId,
    txHash: back.txHash,
  }).expect(422);
  expect(returned.body.type).toBe('urn:vcdc:problem:transfer-not-to-venue');
  expect(await balanceOf(caseId)).toBe('0');
});

describe('anything but two supervisors handing this asset back to the named address is refused, and changes nothing', () => {
  const caseId = 'CASE-OWN-REFUSED';
  let custody: string;
  beforeAll(async () => {
    custody = await caseHolding(caseId, '1');
  });

  async function refused(body: object, status: number, type: string): Promise<Json> {
    const res = await post(h.app, '/v1/transfers', body).expect(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe(`urn:vcdc:problem:${type}`);
    expect(await balanceOf(caseId)).toBe('1');
    expect(await transfersOf(caseId)).toBe(0);
    return res.body;
  }

  test('no approvals, one supervisor, or the same supervisor twice', async () => {
    await refused(handBack(caseId, '1', []), 403, 'transfer-unauthorised');
    const one = await refused(
      handBack(caseId, '1', resolvedBy(caseId, toOwner(), [PEOPLE.supervisor])),
      403,
      'transfer-quorum-not-met',
    );
    expect(one.deciders).toEqual([PEOPLE.supervisor.id]);
    await refused(
      handBack(caseId, '1', resolvedBy(caseId, toOwner(), [PEOPLE.supervisor, PEOPLE.supervisor])),
      403,
      'transfer-quorum-not-met',
    );
  });

  test('two supervisors signing different resolutions', async () => {
    const [a] = resolvedBy(caseId, toOwner(), [PEOPLE.supervisor]);
    const [b] = resolvedBy(caseId, toOwner([{ asset: 'BTC', address: 'bc1qsomeoneelse00000000000000000000000' }]), [
      PEOPLE.secondSupervisor,
    ]);
    const res = await refused(handBack(caseId, '1', [a!, b!]), 403, 'transfer-unauthorised');
    expect(res.errors).toEqual([expect.objectContaining({ field: 'approvals[1].resolution' })]);
  });

  test('a resolution that keeps the coins in custody, resumes or amends', async () => {
    for (const resolution of [
      { path: 'CLOSE', handBackTo: 'CUSTODY' },
      { path: 'RESUME' },
      { path: 'AMEND', dispose: [{ asset: 'BTC', amount: '1' }] },
    ] as HoldResolution[]) {
      const res = await refused(
        handBack(caseId, '1', resolvedBy(caseId, resolution)),
        403,
        'owner-return-not-authorised',
      );
      expect(res.errors).toEqual([expect.objectContaining({ field: 'approvals[0].resolution' })]);
    }
  });

  test('DISPOSAL_PLAN approvals, or HOLD_RESOLUTION rejections, do not hand coins back', async () => {
    const plan = approvalsFor(caseId, undefined, [PEOPLE.supervisor, PEOPLE.seniorSupervisor]);
    expect((await refused(handBack(caseId, '1', plan), 403, 'transfer-unauthorised')).reason).toBe('act-kind');
    const rejected = [PEOPLE.supervisor, PEOPLE.secondSupervisor].map((s) =>
      signedDecision(ACTS.signingKey, caseId, s, {
        stage: 'HOLD_RESOLUTION',
        outcome: 'REJECT',
        resolution: toOwner(),
      }),
    );
    expect((await refused(handBack(caseId, '1', rejected), 403, 'transfer-unauthorised')).reason).toBe('act-kind');
    // Signed for another case.
    await refused(handBack(caseId, '1', resolvedBy('CASE-OTHER')), 403, 'transfer-unauthorised');
  });

  test('another destination than the owner address the resolution names, or an asset it does not name', async () => {
    const elsewhere = await refused(
      handBack(caseId, '1', resolvedBy(caseId), 'BTC', 'bc1qattacker00000000000000000000000000'),
      403,
      'owner-return-not-authorised',
    );
    expect(elsewhere.errors).toEqual([expect.objectContaining({ field: 'toAddress' })]);
    const ethOnly = resolvedBy(caseId, toOwner([{ asset: 'ETH', address: OWNER_ETH }]));
    const unnamed = await refused(handBack(caseId, '1', ethOnly), 403, 'owner-return-not-authorised');
    expect(unnamed.errors).toEqual([expect.objectContaining({ field: 'asset' })]);
  });

  test('a partial hand-back is refused with what the wallet holds; more than it holds too', async () => {
    const partial = await refused(handBack(caseId, '0.5', resolvedBy(caseId)), 422, 'owner-return-partial');
    expect(partial).toMatchObject({ available: '1', errors: [expect.objectContaining({ field: 'amount' })] });
    await refused(handBack(caseId, '1.1', resolvedBy(caseId)), 422, 'insufficient-custody-balance');
  });

  test('the signed hand-back does not authorise a venue deposit', async () => {
    const venue = { ...handBack(caseId, '1', resolvedBy(caseId)), purpose: 'VENUE_DEPOSIT' };
    expect((await refused(venue, 403, 'transfer-unauthorised')).reason).toBe('act-kind');
    await refused({ ...venue, purpose: 'TEST_DEPOSIT', amount: '0.001' }, 403, 'transfer-unauthorised');
  });

  test('nothing left the case wallet, and each refusal is in the custody audit chain', async () => {
    expect(await chainOutgoing(h, custody)).toEqual([]);
    const { rows } = await h.pool.query<{ type: string }>(
      `SELECT data->>'type' AS type FROM audit_records WHERE kind = 'request.refused' AND data->>'path' = '/v1/transfers'`,
    );
    const types = rows.map((r) => r.type);
    expect(types).toContain('urn:vcdc:problem:owner-return-not-authorised');
    expect(types).toContain('urn:vcdc:problem:owner-return-partial');
    expect(types).toContain('urn:vcdc:problem:transfer-quorum-not-met');
  });
});

test('the audit chain still verifies: the rebound transfers rows and the OWNER_RETURN lines match their images', async () => {
  const verified = (await request(h.app).get('/v1/audit/verify').expect(200)).body;
  expect(verified).toMatchObject({ ok: true });
  const { rows } = await h.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_records
     WHERE kind = 'row.inserted' AND data->>'table' = 'ledger_entries' AND data->'row'->>'kind' = 'OWNER_RETURN'`,
  );
  expect(rows[0]!.n).toBe(3);
});

test('the database refuses a venue transfer without a whitelist entry, and an owner return without its order', async () => {
  await caseHolding('CASE-OWN-DB', '1');
  const insert = (purpose: string, extra: { court_order?: string; owner_name?: string; sha?: string } = {}) =>
    h.pool.query(
      `INSERT INTO transfers (transfer_id, request_key, case_id, asset, chain, from_address, to_address, whitelist_entry,
                              purpose, amount, fee, client_ref, status, authorisation_sha256, court_order, owner_name)
       VALUES ($1, $1, 'CASE-OWN-DB', 'BTC', 'bitcoin', 'from', $2, NULL, $3, 1, 0.00002, $1, 'PENDING_BROADCAST', $4, $5, $6)`,
      [newKey('db'), OWNER_BTC, purpose, extra.sha ?? null, extra.court_order ?? null, extra.owner_name ?? null],
    );
  await expect(insert('VENUE_DEPOSIT')).rejects.toMatchObject({
    code: '23514',
    constraint: 'transfers_whitelisted_unless_owner_return',
  });
  await expect(insert('OWNER_RETURN')).rejects.toMatchObject({
    code: '23514',
    constraint: 'transfers_owner_return_names_order',
  });
  expect(await transfersOf('CASE-OWN-DB')).toBe(0);
});
