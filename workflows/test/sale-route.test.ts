/**
 * The route choice (sale-route.ts): a coin lot sold directly for fiat where the direct market is
 * liquid enough, else through the stablecoin. The rule alone (unit and property tests), then on what
 * the venue simulator shows through the real exchange service and ccxt (GET /v1/markets/:base/:quote/depth).
 */
import { contracts, listen, type RunningServer, ServiceClient } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import { chooseRoute, DEFAULT_ROUTE_RULE, needsDepth, routeRuleOf } from '@vcdc/shared/sale-route';
import fc from 'fast-check';
import { type RunningChainSimulator, startChainSimulator } from '../../simulators/src/chain';
import type { RunningVenueSimulator } from '../../simulators/src/venue';
import { type SimulatedExchange, startSimulatedExchange } from '../../test/support/simulated-exchange';

const depth = (bidDepth: string, bandBp = '50', symbol = 'BTC/USD') => ({ symbol, bandBp, bidDepth });

describe('the rule', () => {
  test('DIRECT when the visible depth within the band is at least k x the lot, else VIA_STABLECOIN', () => {
    const rule = { mode: 'AUTO' as const, bandBp: '50', minDepthMultiple: '3' };
    const at = (lot: string, seen: string) =>
      chooseRoute({ asset: 'BTC', fiat: 'USD', lot, direct: depth(seen), rule }).route;
    expect(at('1', '3')).toBe('DIRECT');
    expect(at('1', '2.99999')).toBe('VIA_STABLECOIN');
    expect(at('0.5', '10')).toBe('DIRECT');
    const choice = chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '2', direct: depth('4.5'), rule });
    expect(choice).toMatchObject({
      asset: 'BTC',
      lot: '2',
      route: 'VIA_STABLECOIN',
      directSymbol: 'BTC/USD',
      required: '6',
      seen: '4.5',
    });
    expect(choice.reason).toContain('under 3 x the lot');
  });

  test('a direct market that is not listed or not readable: through the stablecoin, saying why', () => {
    const choice = chooseRoute({ asset: 'ETH', fiat: 'USD', lot: '1', direct: undefined, unread: 'Market not found' });
    expect(choice.route).toBe('VIA_STABLECOIN');
    expect(choice.reason).toContain('ETH/USD');
    expect(choice.reason).toContain('Market not found');
  });

  test("the plan's rule: its band and multiple over the defaults; VIA_STABLECOIN needs no depth and ignores one", () => {
    expect(routeRuleOf(undefined)).toEqual(DEFAULT_ROUTE_RULE);
    const rule = routeRuleOf({ depthBandBp: '20', minDepthMultiple: '5' });
    expect(rule).toEqual({ mode: 'AUTO', bandBp: '20', minDepthMultiple: '5' });
    expect(needsDepth(rule)).toBe(true);
    expect(chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '1', direct: depth('4.9', '20'), rule }).route).toBe(
      'VIA_STABLECOIN',
    );
    expect(chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '1', direct: depth('5', '20'), rule }).route).toBe('DIRECT');
    const viaStable = routeRuleOf({ mode: 'VIA_STABLECOIN' });
    expect(needsDepth(viaStable)).toBe(false);
    const choice = chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '1', direct: depth('1000'), rule: viaStable });
    expect(choice.route).toBe('VIA_STABLECOIN');
    expect(choice.reason).toContain('disposal plan');
  });

  test('misuse is an error, never a silent answer: another band, another market, no lot', () => {
    expect(() => chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '1', direct: depth('9', '100') })).toThrow(/bp/);
    expect(() => chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '1', direct: depth('9', '50', 'ETH/USD') })).toThrow(
      /ETH\/USD/,
    );
    expect(() => chooseRoute({ asset: 'BTC', fiat: 'USD', lot: '0', direct: depth('9') })).toThrow(/lot/);
  });

  test('property: a smaller lot or a deeper book never turns DIRECT into VIA_STABLECOIN', () => {
    const amount = fc.integer({ min: 1, max: 10_000_000 }).map((n) => new Decimal(n).div(100_000).toFixed());
    fc.assert(
      fc.property(amount, amount, amount, amount, (lot, smaller, seen, more) => {
        const direct = (l: string, d: string) =>
          chooseRoute({ asset: 'BTC', fiat: 'USD', lot: l, direct: depth(d) }).route === 'DIRECT';
        if (!direct(lot, seen)) return true;
        const s = Decimal.min(lot, smaller).toFixed();
        const m = Decimal.max(seen, more).toFixed();
        return direct(s, seen) && direct(lot, m) && direct(s, m);
      }),
    );
  });
});

describe('on the venue simulator, through the exchange service', () => {
  let chain: RunningChainSimulator;
  let stack: SimulatedExchange;
  let sim: RunningVenueSimulator;
  let exchange: RunningServer;

  beforeAll(async () => {
    chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
    stack = await startSimulatedExchange({ database: 'sale_route', chainUrl: chain.url, venue: { seed: 8201 } });
    sim = stack.sim;
    exchange = await listen(stack.app, 0);
  });

  /** The bids the exchange service shows within `bandBp` under the best bid, as its contract has them. */
  const getMarketDepth = async (symbol: string, bandBp: string) =>
    contracts.exchange.MarketDepth.parse(
      await new ServiceClient({ service: 'exchange', baseUrl: exchange.url, timeoutMs: 5000 }).get(
        `/v1/markets/${symbol}/depth`,
        { bandBp },
      ),
    );

  afterAll(async () => {
    await exchange?.close();
    await stack?.close();
    await chain?.close();
  });

  test('a small lot goes direct, a lot the thin BTC/USD book cannot hold goes through USDT', async () => {
    const shown = await getMarketDepth('BTC/USD', DEFAULT_ROUTE_RULE.bandBp);
    // what the simulator's own book holds within 50 bp of its best bid
    const bids = sim.venue.state.books.BTCUSD!.bids;
    const lowest = new Decimal(bids[0]!.price).mul('0.995');
    const expected = bids
      .filter((b) => new Decimal(b.price).gte(lowest))
      .reduce((s, b) => s.plus(b.qty), new Decimal(0));
    expect(shown.bidDepth).toBe(expected.toFixed());
    const seen = new Decimal(shown.bidDepth);
    expect(seen.gt(0)).toBe(true);

    const small = seen.div(4).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed(); // depth is 4x the lot
    const large = seen.div(2).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed(); // only 2x
    expect(chooseRoute({ asset: 'BTC', fiat: 'USD', lot: small, direct: shown }).route).toBe('DIRECT');
    expect(chooseRoute({ asset: 'BTC', fiat: 'USD', lot: large, direct: shown }).route).toBe('VIA_STABLECOIN');
    // the stablecoin pair is far deeper: the same large lot would be direct there
    const viaStable = await getMarketDepth('BTC/USDT', DEFAULT_ROUTE_RULE.bandBp);
    expect(new Decimal(viaStable.bidDepth).gte(new Decimal(large).mul(3))).toBe(true);
  });

  test('a market the venue does not list is a 404 refusal, which the caller answers with VIA_STABLECOIN', async () => {
    await expect(getMarketDepth('BTC/HKD', '50')).rejects.toMatchObject({ status: 404, retryable: false });
    expect(chooseRoute({ asset: 'BTC', fiat: 'HKD', lot: '1', direct: undefined }).route).toBe('VIA_STABLECOIN');
  });
});
