/**
 * RFQ to OTC desks (issue 16) on real PostgreSQL, the app working as exchange_service, the simulated
 * desks each its own HTTP server on loopback: every desk's answer is kept (accepted, losing, expired,
 * refused at last look, missing, declined, under the floor, out of the band, not asked); a price under
 * the legal floor or out of the band is never taken even when it is the best; a last-look refusal
 * falls back to the next quote, and all refused sends the caller to the engine; a desk whose licence
 * has expired, or that is not registered, is never asked and the refusal is recorded; a retried RFQ
 * trades once; the trade settles once through the venue records and the case reconciles to the unit.
 */
import { createPool, migrate, type Pool, type ProviderTerms, silentLogger } from '@vcdc/shared';
import type { custody, exchange } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { type DeskTerms, devDeskCredentials, type RunningDesk, startDesk } from '../../../simulators/src/desks';
import { servicePoolFor } from '../../../test/support/audit';
import { createTestDatabase } from '../../../test/support/database';
import { enterProvider } from '../../../test/support/provider-register';
import { reconcile } from '../../../workflows/src/workflow/reconcile';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { CcxtVenue } from '../src/ccxt-venue';
import { DeskClient } from '../src/rfq/desk-client';

let owner: Pool;
let rolePool: Pool;
let app: Express;
let chain: RunningChainSimulator;
const desks = new Map<string, RunningDesk>();

// The service's and the desks' clock: fixed, so a quote's validity is exact.
let now = new Date('2026-12-04T10:00:00Z');
const clock = () => now;
// The prices RFQs are judged by: reference 60000, floor 59000, band 2 % (58800 – 61200).
const prices = { reference: '60000', floor: '59000' as string | undefined };

const NAMES = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'lapsed', 'unknown'] as const;
type Name = (typeof NAMES)[number];
const id = (n: Name) => `desk-${n}`;

function deskTerms(n: Name): DeskTerms {
  return {
    id: id(n),
    credentials: devDeskCredentials(id(n)),
    seed: 7,
    reference: () => prices.reference,
    spreadBp: 10,
    minAmount: '0.1',
    maxAmount: '50',
    validityMs: 5000,
    lastLook: 0,
    noAnswer: 0,
    clock,
  };
}

function registered(n: Name, expires = '2027-12-31'): ProviderTerms {
  return {
    providerId: id(n),
    kind: 'desk',
    name: `Test desk ${n}`,
    licence: { regulator: 'SFC', number: `T-${n}`, expires },
    bond: { amount: '1000000', currency: 'HKD', expires: '2027-12-31' },
    verification: { department: 'Compliance', reference: `V-${n}`, verifiedOn: '2026-01-15' },
  };
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_rfq');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  owner = createPool(databaseUrl, 'exchange', 2);
  rolePool = (await servicePoolFor(databaseUrl, 'exchange')).pool;
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  // Each desk looks deliveries up on the ledger chain.
  for (const n of NAMES) desks.set(n, await startDesk({ ...deskTerms(n), chain: { ledgerUrl: chain.url } }));
  for (const n of NAMES) {
    if (n === 'unknown') continue;
    await enterProvider(owner, registered(n, n === 'lapsed' ? '2026-11-30' : '2027-12-31'));
  }
  // No venue is asked anything by an RFQ: the prices are given, the desks are HTTP servers of their own.
  const venue = new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: 'http://127.0.0.1:9',
    apiKey: 'unused',
    secret: 'unused',
    timeoutMs: 500,
    enableRateLimit: false,
  });
  app = createApp({
    pool: rolePool,
    logger: silentLogger(),
    venue,
    clock,
    desks: NAMES.map(
      (n) =>
        new DeskClient({ id: id(n), url: desks.get(n)?.url as string, credentials: devDeskCredentials(id(n)) }, 2000),
    ),
    rfqPrices: {
      reference: async () => ({ price: prices.reference }),
      floor: async () => (prices.floor ? { rule: 'average-close:20', price: prices.floor } : { rule: 'none' }),
      band: () => '0.02',
      now: clock,
    },
  });
});

afterAll(async () => {
  for (const d of desks.values()) await d.close();
  await chain.close();
  await rolePool.end();
  await owner.end();
});

const desk = (n: Name) => desks.get(n) as RunningDesk;

/** Each desk's behaviour for the next RFQ: by default a good quote 10 bp under the reference. */
function behave(changes: Partial<Record<Name, Partial<DeskTerms>>>) {
  for (const n of NAMES) {
    desk(n).state.set({ spreadBp: 10, lastLook: 0, noAnswer: 0, answerLost: 0, validityMs: 5000, ...changes[n] });
  }
}

let key = 0;
function rfq(body: Record<string, unknown>, idempotencyKey = `rfq-${++key}`) {
  return request(app).post('/v1/rfqs').set('Idempotency-Key', idempotencyKey).send(body);
}

const statusOf = (r: { quotes: { desk: string; status: string }[] }) =>
  Object.fromEntries(r.quotes.map((q) => [q.desk.replace('desk-', ''), q.status]));
const trades = () => NAMES.reduce((n, d) => n + desk(d).state.trades.size, 0);
const accepts = () => NAMES.reduce((n, d) => n + desk(d).state.log.accepts, 0);

describe('one RFQ, every answer kept', () => {
  let body: Record<string, unknown> & { quotes: { desk: string; status: string; detail?: string }[] };

  beforeAll(async () => {
    behave({
      d1: { spreadBp: 10, lastLook: 1 }, // the best valid price: refused at last look
      d2: { spreadBp: 15, validityMs: 0 }, // the next: lapsed before it could be accepted
      d3: { spreadBp: 20 }, // the next: taken
      d4: { spreadBp: 30 }, // valid, worse: losing
      d5: { spreadBp: 300 }, // 58200: under the floor
      d6: { spreadBp: -500 }, // 63000: the best price of all, out of the band
      d7: { noAnswer: 1 }, // silent
    });
    desk('d8').state.terms.minAmount = '100'; // the block is under its appetite
    // Long enough that no answering desk misses it on a busy machine (the first requests of a cold process);
    // the silent d7 makes the RFQ wait it out whole.
    const res = await rfq({ rfqId: 'rfq-all', caseId: 'CASE-RFQ-1', symbol: 'BTC/USD', amount: '2', deadlineMs: 4000 });
    desk('d8').state.terms.minAmount = '0.1';
    body = res.body;
    expect({ status: res.status, outcome: body.outcome }).toEqual({ status: 201, outcome: 'TRADED' });
  });

  test('each desk has its status; the best valid quote after a refusal and a lapse is taken', () => {
    expect(statusOf(body)).toEqual({
      d1: 'REFUSED',
      d2: 'EXPIRED',
      d3: 'ACCEPTED',
      d4: 'LOSING',
      d5: 'BELOW_FLOOR',
      d6: 'OUT_OF_BAND',
      d7: 'MISSING',
      d8: 'DECLINED',
      lapsed: 'NOT_ASKED',
      unknown: 'NOT_ASKED',
    });
    expect(body).toMatchObject({
      outcome: 'TRADED',
      useEngine: false,
      floorPrice: '59000',
      bandLow: '58800',
      bandHigh: '61200',
      trade: { desk: 'desk-d3', price: '59880', amount: '2', cost: '119760', currency: 'USD' },
    });
    // One trade in all: d1 refused, d2 was never sent an acceptance, d6 (best) and d5 never accepted.
    expect(trades()).toBe(1);
    expect(desk('d3').state.trades.size).toBe(1);
    expect(desk('d2').state.log.accepts).toBe(0);
    expect(desk('d5').state.log.accepts + desk('d6').state.log.accepts).toBe(0);
  });

  test('a desk whose licence has expired, or that is not registered, is never asked; the refusal is recorded', async () => {
    expect(desk('lapsed').state.log.quoteRequests).toBe(0);
    expect(desk('unknown').state.log.quoteRequests).toBe(0);
    const detail = (n: string) => body.quotes.find((q) => q.desk === `desk-${n}`)?.detail;
    expect(detail('lapsed')).toMatch(/licence-expired/);
    expect(detail('unknown')).toMatch(/not-registered/);
    const records = (await request(app).get('/v1/audit/records?limit=1000').expect(200)).body.records as {
      kind: string;
      data: Record<string, unknown>;
    }[];
    const refused = records.filter((r) => r.kind === 'exchange.rfq.desk-refused' && r.data.rfqId === 'rfq-all');
    expect(refused.map((r) => r.data.desk).sort()).toEqual(['desk-lapsed', 'desk-unknown']);
    const decided = records.find((r) => r.kind === 'exchange.rfq.traded' && r.data.rfqId === 'rfq-all');
    expect(decided?.data.quotes).toHaveLength(10);
    expect((await request(app).get('/v1/audit/verify').expect(200)).body.ok).toBe(true);
  });

  test('the trade is in the case statement as a sale, and GET answers the RFQ as kept', async () => {
    const statement = (await request(app).get('/v1/cases/CASE-RFQ-1/statement').expect(200)).body;
    expect(statement.orders).toHaveLength(1);
    expect(statement.orders[0]).toMatchObject({
      venue: 'desk-d3',
      clientOrderId: 'rfq-all',
      filled: '2',
      cost: '119760',
      fee: '0',
      status: 'closed',
    });
    const got = (await request(app).get('/v1/rfqs/rfq-all').expect(200)).body;
    expect(got).toEqual(body);
    // The best-execution file: the desk's order and fill among the orders, and every quote of the RFQ.
    const report = (await request(app).get('/v1/cases/CASE-RFQ-1/best-execution').expect(200)).body;
    expect(report.orders.map((o: { venue: string }) => o.venue)).toEqual(['desk-d3']);
    expect(report.rfqs).toEqual([body]);
  });

  test('a retry trades once: the same key replays, another key finds the decision without asking again', async () => {
    const asked = desk('d3').state.log.quoteRequests;
    const again = await rfq({
      rfqId: 'rfq-all',
      caseId: 'CASE-RFQ-1',
      symbol: 'BTC/USD',
      amount: '2',
      deadlineMs: 400,
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(body);
    expect(desk('d3').state.log.quoteRequests).toBe(asked);
    expect(trades()).toBe(1);
    const other = await rfq({ rfqId: 'rfq-all', caseId: 'CASE-RFQ-1', symbol: 'BTC/USD', amount: '3' });
    expect(other.status).toBe(409);
    expect(other.body.field).toBe('rfqId');
  });

  /** Coins sent on the ledger chain (from its faucet), mined unless told otherwise: the transaction's hash. */
  async function send(to: string, amount: string, mine = true): Promise<string> {
    const res = await fetch(`${chain.url}/v1/chains/bitcoin/faucet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: to, asset: 'BTC', amount }),
    });
    const tx = (await res.json()) as { txHash: string };
    if (mine) chain.mine('bitcoin', 1);
    return tx.txHash;
  }
  const settle = (txHash: string, k: string) =>
    request(app)
      .post('/v1/rfqs/rfq-all/settlement')
      .set('Idempotency-Key', k)
      .send({ caseId: 'CASE-RFQ-1', txHash, bankAccountId: 'trust-usd' });

  test('the desk pays only for coins it sees on the chain: a transaction elsewhere, for less, unknown or unmined is refused, nothing booked', async () => {
    const deskAddress = (body.trade as { deliverTo: { address: string } }).deliverTo.address;
    const refusals: [string, string][] = [
      [await send('somebody-else', '2'), 'delivery-elsewhere'],
      [await send(deskAddress, '1.99999999'), 'wrong-amount'],
      ['0xnot-on-the-chain', 'delivery-not-found'],
    ];
    for (const [i, [txHash, why]] of refusals.entries()) {
      const res = await settle(txHash, `refused-${i}`);
      expect({
        status: res.status,
        type: res.body.type,
        deskRefusal: res.body.deskRefusal,
        field: res.body.field,
      }).toEqual({
        status: 409,
        type: expect.stringContaining('desk-delivery-refused'),
        deskRefusal: why,
        field: 'txHash',
      });
    }
    const unmined = await settle(await send(deskAddress, '2', false), 'refused-unmined');
    expect({ status: unmined.status, type: unmined.body.type }).toEqual({
      status: 409,
      type: expect.stringContaining('not-yet'),
    });
    // Nothing booked: no coins at the desk, no fiat from it, the desk has paid nothing.
    const statement = (await request(app).get('/v1/cases/CASE-RFQ-1/statement').expect(200)).body;
    expect(statement.deposits).toEqual([]);
    expect(statement.withdrawals).toEqual([]);
    expect((await request(app).get('/v1/rfqs/rfq-all/settlement').expect(200)).body.paidAt).toBe('');
    expect([...desk('d3').state.trades.values()][0]?.payment).toBeUndefined();
    chain.mine('bitcoin', 1); // the unmined one is mined now; it stays unused (a fresh key would be needed to use it)
  });

  test('settled once: coins to the desk, fiat from it, through the venue records; the case reconciles to the unit', async () => {
    const deskAddress = (body.trade as { deliverTo: { address: string } }).deliverTo.address;
    const delivery = await send(deskAddress, '2');
    const first = await settle(delivery, 's1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ desk: 'desk-d3', amount: '2', paidAmount: '119760', fiatCurrency: 'USD' });
    expect((await settle(delivery, 's2')).body).toEqual(first.body);
    expect((await settle(await send(deskAddress, '2'), 's3')).status).toBe(409);
    const paid = [...desk('d3').state.trades.values()][0];
    expect(paid?.delivery?.txHash).toBe(delivery);

    const statement: exchange.ExchangeStatement = (await request(app).get('/v1/cases/CASE-RFQ-1/statement').expect(200))
      .body;
    expect(statement.deposits).toEqual([
      expect.objectContaining({ venue: 'desk-d3', amount: '2', status: 'CREDITED' }),
    ]);
    expect(statement.withdrawals).toEqual([
      expect.objectContaining({ venue: 'desk-d3', currency: 'USD', amount: '119760', netAmount: '119760' }),
    ]);
    // Custody took in 2 BTC and sent them to the desk's address; the reconciliation of the exchange's side.
    const ledger: custody.CustodyLedger = {
      caseId: 'CASE-RFQ-1',
      entries: [
        {
          entryId: 'e1',
          caseId: 'CASE-RFQ-1',
          asset: 'BTC',
          kind: 'INTAKE',
          amount: '2',
          reference: 'seizure',
          createdAt: now.toISOString(),
        },
        {
          entryId: 'e2',
          caseId: 'CASE-RFQ-1',
          asset: 'BTC',
          kind: 'TRANSFER_OUT',
          amount: '-2',
          reference: delivery,
          createdAt: now.toISOString(),
        },
      ],
      balances: { BTC: '0' },
    };
    const r = reconcile({
      stablecoin: 'USDT',
      fiat: 'USD',
      ledger,
      statement,
      declarations: [],
      // Nothing reached the treasury yet: only the custody and exchange checks are asked about below.
      treasury: {
        caseId: 'CASE-RFQ-1',
        totalCredited: '0',
        totalRecoverable: '0',
        totalRemitted: '0',
        totalToVictims: '0',
        totalReturnedToOwner: '0',
        balance: '0',
      } as never,
      leftovers: [],
    });
    const exchangeSide = r.checks.filter((c) => /^(custody BTC|BTC:|venue )/.test(c.name));
    expect(exchangeSide.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'BTC: transferred out of custody = credited at the venue',
        'venue BTC: deposited = sold + leftover',
        'venue USD: sale proceeds = withdrawn + leftover',
      ]),
    );
    expect(exchangeSide.filter((c) => !c.pass)).toEqual([]);
  });

  test("a delivery in two transactions (custody's test deposit to the desk's new address, then the rest): paid once, each booked as a deposit at the desk", async () => {
    behave({ d4: { spreadBp: 5 } });
    const traded = await rfq({ rfqId: 'rfq-two-tx', caseId: 'CASE-RFQ-8', symbol: 'BTC/USD', amount: '1' });
    expect(traded.body).toMatchObject({ outcome: 'TRADED', trade: { desk: 'desk-d4' } });
    const address = traded.body.trade.deliverTo.address as string;
    const settleTwo = (body: Record<string, unknown>, k: string) =>
      request(app)
        .post('/v1/rfqs/rfq-two-tx/settlement')
        .set('Idempotency-Key', k)
        .send({ caseId: 'CASE-RFQ-8', bankAccountId: 'trust-usd', ...body });
    const test = await send(address, '0.001');
    const rest = await send(address, '0.999');
    const same = await settleTwo({ txHash: rest, testTxHash: rest }, 'two-same');
    expect({ status: same.status, field: same.body.errors?.[0]?.field }).toEqual({ status: 400, field: 'testTxHash' });
    // The rest alone is short of the trade by the test deposit: refused, nothing booked.
    const alone = await settleTwo({ txHash: rest }, 'two-alone');
    expect({ status: alone.status, deskRefusal: alone.body.deskRefusal }).toEqual({
      status: 409,
      deskRefusal: 'wrong-amount',
    });
    expect((await request(app).get('/v1/cases/CASE-RFQ-8/statement').expect(200)).body.deposits).toEqual([]);

    const first = await settleTwo({ txHash: rest, testTxHash: test }, 'two-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      desk: 'desk-d4',
      amount: '1',
      txHash: rest,
      testTxHash: test,
      paidAmount: '59970',
    });
    expect((await settleTwo({ txHash: rest, testTxHash: test }, 'two-2')).body).toEqual(first.body);
    const other = await settleTwo({ txHash: rest }, 'two-3');
    expect({ status: other.status, field: other.body.field }).toEqual({ status: 409, field: 'testTxHash' });
    const statement: exchange.ExchangeStatement = (await request(app).get('/v1/cases/CASE-RFQ-8/statement').expect(200))
      .body;
    const byAmount = [...statement.deposits].sort((x, y) => Number(x.amount) - Number(y.amount));
    expect(byAmount.map((d) => [d.venue, d.txHash, d.amount, d.status])).toEqual([
      ['desk-d4', test, '0.001', 'CREDITED'],
      ['desk-d4', rest, '0.999', 'CREDITED'],
    ]);
    expect(statement.withdrawals.map((w) => [w.venue, w.amount])).toEqual([['desk-d4', '59970']]);
  });
});

test('a quote under the legal floor is never taken, even the best: no trade, the caller uses the engine', async () => {
  behave({ d6: { spreadBp: 5 } });
  prices.floor = '59990'; // above every desk's price (the best is d6 at 59970)
  const before = accepts();
  const res = await rfq({ rfqId: 'rfq-floor', caseId: 'CASE-RFQ-2', symbol: 'BTC/USD', amount: '1' });
  prices.floor = '59000';
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ outcome: 'NO_DESK', useEngine: true });
  const s = statusOf(res.body);
  expect(s.d6).toBe('BELOW_FLOOR');
  expect(Object.values(s).filter((v) => v === 'BELOW_FLOOR')).toHaveLength(8);
  expect(accepts()).toBe(before);
  expect((await request(app).get('/v1/cases/CASE-RFQ-2/statement').expect(200)).body.orders).toEqual([]);
});

test('last look refuses every valid quote: each falls back to the next, then no trade and the engine', async () => {
  const allRefuse = Object.fromEntries(NAMES.map((n) => [n, { lastLook: 1 }]));
  behave(allRefuse);
  const before = trades();
  const res = await rfq({ rfqId: 'rfq-refused', caseId: 'CASE-RFQ-3', symbol: 'BTC/USD', amount: '1' });
  expect(res.body).toMatchObject({ outcome: 'NO_DESK', useEngine: true });
  const s = statusOf(res.body);
  expect(Object.values(s).filter((v) => v === 'REFUSED')).toHaveLength(8);
  expect(trades()).toBe(before);
});

test('out of the band is never taken even when it is the best; the next valid quote is', async () => {
  behave({ d1: { spreadBp: -1000 }, d2: { spreadBp: 12 } });
  const res = await rfq({ rfqId: 'rfq-band', caseId: 'CASE-RFQ-4', symbol: 'BTC/USD', amount: '1' });
  expect(statusOf(res.body).d1).toBe('OUT_OF_BAND');
  expect(res.body.trade).toMatchObject({ price: '59940' });
  expect(desk('d1').state.trades.size).toBe(0);
});

test('an acceptance whose answer is lost: the RFQ stays open, its retry asks the desk again and trades once', async () => {
  behave({ d1: { spreadBp: 5, answerLost: 1 } });
  const body = { rfqId: 'rfq-lost', caseId: 'CASE-RFQ-6', symbol: 'BTC/USD', amount: '1' };
  const first = await rfq(body, 'rfq-lost-key');
  expect(first.status).toBe(502);
  // The desk traded; we do not know it yet, and the RFQ is not decided.
  expect(desk('d1').state.trades.size).toBe(1);
  expect((await request(app).get('/v1/rfqs/rfq-lost').expect(200)).body.outcome).toBe('DECIDING');
  const asked = desk('d1').state.log.quoteRequests;
  desk('d1').state.set({ answerLost: 0 });
  // Later than the quote held: an acceptance already sent is asked again all the same.
  now = new Date(now.getTime() + 60_000);
  const retry = await rfq(body, 'rfq-lost-key');
  expect(retry.status).toBe(201);
  expect(retry.body).toMatchObject({ outcome: 'TRADED', trade: { desk: 'desk-d1', price: '59970' } });
  expect(retry.body.trade.tradeId).toBe([...desk('d1').state.trades.keys()][0]);
  expect(desk('d1').state.trades.size).toBe(1);
  expect(desk('d1').state.log.quoteRequests).toBe(asked);
  expect(statusOf(retry.body).d2).toBe('LOSING');
});

test('two requests for one RFQ at once (two keys): one decides, the other is told to ask again; one trade', async () => {
  behave({ d1: { spreadBp: 5 } });
  const before = trades();
  const body = { rfqId: 'rfq-race', caseId: 'CASE-RFQ-7', symbol: 'BTC/USD', amount: '1' };
  const [a, b] = await Promise.all([rfq(body, 'race-a'), rfq(body, 'race-b')]);
  // Overlapping, the second is told to ask again (409); on a busy machine the first may have decided
  // before the second reads, and the second then gets that same decision. Never two decisions.
  const statuses = [a.status, b.status].sort();
  expect([
    [201, 409],
    [201, 201],
  ]).toContainEqual(statuses);
  if (statuses[1] === 201) expect(b.body).toEqual(a.body);
  const decided = a.status === 201 ? a.body : b.body;
  expect(decided).toMatchObject({ outcome: 'TRADED', trade: { desk: 'desk-d1' } });
  expect(trades()).toBe(before + 1);
  // The one told to wait, asking again, gets the decision.
  const later = await rfq(body, a.status === 201 ? 'race-b' : 'race-a');
  expect(later.status).toBe(201);
  expect(later.body).toEqual(decided);
  expect(trades()).toBe(before + 1);
});

test('bad input: a problem naming the field, nothing recorded, no desk asked', async () => {
  const asked = desk('d1').state.log.quoteRequests;
  const res = await rfq({ rfqId: 'rfq-bad', caseId: 'CASE-RFQ-5', symbol: 'BTC/USD', amount: '-1' });
  expect(res.status).toBe(400);
  expect(res.type).toBe('application/problem+json');
  expect(JSON.stringify(res.body)).toContain('amount');
  expect(desk('d1').state.log.quoteRequests).toBe(asked);
  await request(app).get('/v1/rfqs/rfq-bad').expect(404);
});
