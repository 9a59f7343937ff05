/**
 * Sale routes (POST /v1/cases/:caseId/route-choices): the exchange service decides, on the direct
 * market's book as the venue simulator shows it through real ccxt, whether a coin lot sells directly
 * for fiat or through the stablecoin, and keeps the choice (append-only) for the best-execution
 * dossier. Each answer is held against the simulator's own book.
 */
import type { Pool } from '@vcdc/shared';
import { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import type { RunningVenueSimulator } from '../../../simulators/src/venue';
import { type SimulatedExchange, startSimulatedExchange } from '../../../test/support/simulated-exchange';

let chain: RunningChainSimulator;
let stack: SimulatedExchange;
let pool: Pool;
let sim: RunningVenueSimulator;
let app: Express;

beforeAll(async () => {
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  // A still market (no dynamics): the book the service reads is the one the test reads.
  stack = await startSimulatedExchange({
    database: 'exchange_route_choices',
    chainUrl: chain.url,
    venue: { seed: 8301 },
  });
  ({ pool, sim, app } = stack);
});

afterAll(async () => {
  await stack?.close();
  await chain?.close();
});

const AUTO = { mode: 'AUTO', bandBp: '50', minDepthMultiple: '3' };

/** What the simulator's own BTC/USD book holds within `bandBp` of its best bid. */
function simDepth(bandBp: string): { depth: Decimal; best: string } {
  const bids = sim.venue.state.books.BTCUSD?.bids ?? [];
  const best = bids[0]?.price ?? '0';
  const lowest = new Decimal(best).mul(new Decimal(1).minus(new Decimal(bandBp).div(10_000)));
  const depth = bids.filter((b) => new Decimal(b.price).gte(lowest)).reduce((s, b) => s.plus(b.qty), new Decimal(0));
  return { depth, best };
}

const choose = (caseId: string, body: object, key: string) =>
  request(app).post(`/v1/cases/${caseId}/route-choices`).set('Idempotency-Key', key).send(body);

describe('the choice, on the direct market’s book', () => {
  test('a lot the BTC/USD book holds three times over goes direct; one it does not, through the stablecoin', async () => {
    const { depth, best } = simDepth('50');
    expect(depth.gt(0)).toBe(true);
    const small = depth.div(4).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed();
    const large = depth.div(2).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed();

    const direct = await choose('RC-1', { asset: 'BTC', lot: small, fiat: 'USD', rule: AUTO }, 'rc-1/BTC').expect(201);
    expect(direct.body).toMatchObject({
      choiceId: expect.stringMatching(/^[1-9][0-9]*$/),
      caseId: 'RC-1',
      venue: 'hashkey',
      asset: 'BTC',
      lot: small,
      route: 'DIRECT',
      directSymbol: 'BTC/USD',
      required: new Decimal(small).mul(3).toFixed(),
      seen: depth.toFixed(),
      depth: { bestBid: best },
      rule: AUTO,
    });
    expect(direct.body.reason).toContain('sold directly for fiat');
    // what the workflow's activity parses it with
    expect(exchange.SaleRouteChoice.safeParse(direct.body).success).toBe(true);

    const via = await choose('RC-1', { asset: 'BTC', lot: large, fiat: 'USD', rule: AUTO }, 'rc-1/BTC-2').expect(201);
    expect(via.body).toMatchObject({ route: 'VIA_STABLECOIN', seen: depth.toFixed() });
    expect(via.body.reason).toContain('under 3 x the lot');
  });

  test('the plan’s own band and multiple are the ones applied', async () => {
    const { depth } = simDepth('20');
    const lot = depth.div(5).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed(); // 5x within 20 bp
    const rule = { mode: 'AUTO', bandBp: '20', minDepthMultiple: '6' };
    const res = await choose('RC-2', { asset: 'BTC', lot, fiat: 'USD', rule }, 'rc-2/BTC').expect(201);
    expect(res.body).toMatchObject({ route: 'VIA_STABLECOIN', seen: depth.toFixed(), rule });
    const looser = { ...rule, minDepthMultiple: '4' };
    const again = await choose('RC-2', { asset: 'BTC', lot, fiat: 'USD', rule: looser }, 'rc-2/BTC-2').expect(201);
    expect(again.body.route).toBe('DIRECT');
  });

  test('a plan that names the stablecoin route is kept to without reading the book', async () => {
    const rule = { ...AUTO, mode: 'VIA_STABLECOIN' };
    // Every venue call would fail now: a choice that read the book would say so (unread) and count a fault.
    const faultsBefore = sim.faults.injected.serverErrors;
    sim.faults.configure({ serverErrorRate: 1 });
    const res = await choose('RC-3', { asset: 'ETH', lot: '0.5', fiat: 'USD', rule }, 'rc-3/ETH');
    sim.faults.configure({});
    expect(res.status).toBe(201);
    expect(sim.faults.injected.serverErrors).toBe(faultsBefore);
    expect(res.body.unread).toBeUndefined();
    expect(res.body).toMatchObject({
      route: 'VIA_STABLECOIN',
      reason: 'the disposal plan sells through the stablecoin',
    });
    expect(res.body.seen).toBeUndefined();
    expect(res.body.depth).toBeUndefined();
  });

  test('an unlisted direct market, or a book the venue does not give, is recorded as unread: through the stablecoin', async () => {
    const unlisted = await choose('RC-4', { asset: 'BTC', lot: '0.01', fiat: 'HKD', rule: AUTO }, 'rc-4/BTC').expect(
      201,
    );
    expect(unlisted.body).toMatchObject({ route: 'VIA_STABLECOIN', directSymbol: 'BTC/HKD' });
    expect(unlisted.body.unread).toBe('hashkey does not list BTC/HKD');

    const before = sim.faults.injected.serverErrors;
    sim.faults.configure({ serverErrorRate: 1 });
    try {
      const down = await choose('RC-4', { asset: 'ETH', lot: '0.01', fiat: 'USD', rule: AUTO }, 'rc-4/ETH').expect(201);
      expect(down.body).toMatchObject({ route: 'VIA_STABLECOIN', directSymbol: 'ETH/USD' });
      expect(down.body.unread).toMatch(/^hashkey did not give the ETH\/USD book: /);
      expect(down.body.seen).toBeUndefined();
    } finally {
      sim.faults.configure({});
    }
    expect(sim.faults.injected.serverErrors).toBeGreaterThan(before);
  });
});

describe('kept once, for the dossier', () => {
  test('a replay of the key answers the kept choice; the key with another body is refused; one row per key', async () => {
    const body = { asset: 'ETH', lot: '1', fiat: 'USD', rule: AUTO };
    const first = await choose('RC-5', body, 'rc-5/ETH').expect(201);
    const replay = await choose('RC-5', body, 'rc-5/ETH').expect(201);
    expect(replay.body).toEqual(first.body);
    const other = await choose('RC-5', { ...body, lot: '2' }, 'rc-5/ETH').expect(409);
    expect(other.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM route_choices WHERE case_id = $1', ['RC-5']);
    expect(rows[0].n).toBe(1);
  });

  test('the best-execution report lists the case’s choices in order, each recomputed from what it saw', async () => {
    const report = await request(app).get('/v1/cases/RC-1/best-execution').expect(200);
    const parsed = exchange.BestExecutionReport.safeParse(report.body);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(
      report.body.routes.map((r: { route: string; recomputedRoute: string }) => [r.route, r.recomputedRoute]),
    ).toEqual([
      ['DIRECT', 'DIRECT'],
      ['VIA_STABLECOIN', 'VIA_STABLECOIN'],
    ]);
  });

  test('the table keeps what was decided: no rewrite, and never DIRECT without the depth the rule asks', async () => {
    await expect(pool.query("UPDATE route_choices SET route = 'DIRECT' WHERE case_id = 'RC-1'")).rejects.toThrow();
    await expect(pool.query("DELETE FROM route_choices WHERE case_id = 'RC-1'")).rejects.toThrow();
    await expect(
      pool.query(
        `INSERT INTO route_choices (case_id, venue, asset, lot, fiat, direct_symbol, mode, band_bp, min_depth_multiple,
                                    required, bid_depth, observed_at, route, reason, decided_at)
              VALUES ('RC-X', 'hashkey', 'BTC', 1, 'USD', 'BTC/USD', 'AUTO', 50, 3, 3, 2.9, now(), 'DIRECT', 'x', now())`,
      ),
    ).rejects.toThrow(/check constraint/);
    // `required` is the lot times the multiple, nothing else
    await expect(
      pool.query(
        `INSERT INTO route_choices (case_id, venue, asset, lot, fiat, direct_symbol, mode, band_bp, min_depth_multiple,
                                    required, route, reason, decided_at)
              VALUES ('RC-X', 'hashkey', 'BTC', 1, 'USD', 'BTC/USD', 'AUTO', 50, 3, 2, 'VIA_STABLECOIN', 'x', now())`,
      ),
    ).rejects.toThrow(/check constraint/);
  });
});

test('a bad request is refused with 400 naming each field, and nothing is kept', async () => {
  const res = await choose(
    'RC-6',
    { asset: 'USDT', lot: '-1', fiat: 'USD', rule: { mode: 'SOMETIMES', minDepthMultiple: '3' } },
    'rc-6/bad',
  ).expect(400);
  expect(res.body.type).toBe('urn:vcdc:problem:validation');
  expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
    'asset',
    'lot',
    'rule.bandBp',
    'rule.mode',
  ]);
  const bounds = await choose(
    'RC-6',
    { asset: 'BTC', lot: '0.123456789', fiat: 'USD', rule: { mode: 'AUTO', bandBp: '10000', minDepthMultiple: '0.5' } },
    'rc-6/bounds',
  ).expect(400);
  expect(bounds.body.errors).toEqual([
    expect.objectContaining({ field: 'rule.bandBp', message: expect.stringContaining('under 10000') }),
    expect.objectContaining({ field: 'rule.minDepthMultiple', message: 'must be at least 1' }),
    expect.objectContaining({ field: 'lot', message: 'must have at most 8 decimal places for BTC' }),
  ]);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM route_choices WHERE case_id = $1', ['RC-6']);
  expect(rows[0].n).toBe(0);
});
