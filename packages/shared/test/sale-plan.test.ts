import fc from 'fast-check';
import { Decimal } from '../src/money';
import { deskHurdle, engineCostBp, type PlanInput, planSale, type VenueWay, walkCostBp } from '../src/sale-plan';

/** A book of `levels` bids from `top` down by `gap` per level, `size` each. */
function book(top: number, gap: number, size: string, levels: number): Array<[string, string]> {
  return Array.from({ length: levels }, (_, i) => [String(top - i * gap), size]);
}

const hashkey: VenueWay = {
  venue: 'hashkey',
  route: 'VIA_STABLECOIN',
  symbol: 'BTC/USDT',
  reference: '60000',
  bids: book(59990, 10, '0.5', 40),
  takerFee: '0.001',
  engineFee: '0.0004',
  extraCostBp: '1.5',
};
const osl: VenueWay = {
  venue: 'osl',
  route: 'DIRECT',
  symbol: 'BTC/USD',
  reference: '60000',
  bids: book(59994, 12, '0.4', 40),
  takerFee: '0.0012',
  engineFee: '0.0006',
  extraCostBp: '0',
};
const input: PlanInput = { asset: 'BTC', lot: '6', stepSize: '0.00001', slices: 6, ways: [hashkey, osl] };

describe('the sale plan of a lot', () => {
  it('walks the book: a quantity the top level holds costs that level; one beyond the book is unfillable', () => {
    expect(walkCostBp(hashkey.bids, new Decimal('0.5'), '60000').costBp.toFixed()).toBe(
      new Decimal(10).div(60000).mul(10000).toFixed(),
    );
    expect(walkCostBp(hashkey.bids, new Decimal('20.00001'), '60000').fillable).toBe(false);
  });

  it('costs every alternative and splits the engine across both venues when both are liquid', () => {
    const plan = planSale(input);
    const kinds = plan.alternatives.map((a) => `${a.kind}${'venue' in a ? `:${a.venue}` : ''}`);
    expect(kinds).toEqual(['MARKET_ORDER:hashkey', 'MARKET_ORDER:osl', 'ENGINE:hashkey', 'ENGINE:osl', 'ENGINE_SPLIT']);
    expect(plan.legs.map((l) => (l.kind === 'VENUE' ? l.venue : l.desk))).toEqual(['hashkey', 'osl']);
    const total = plan.legs.reduce((s, l) => s.plus(l.amount), new Decimal(0));
    expect(total.toFixed()).toBe('6');
    // The split is no dearer than the engine on either venue alone, and far cheaper than one market order.
    const cost = (k: string, v?: string) =>
      new Decimal(
        plan.alternatives.find((a) => a.kind === k && (v === undefined || ('venue' in a && a.venue === v)))
          ?.expectedCostBp as string,
      );
    expect(cost('ENGINE_SPLIT').lte(cost('ENGINE', 'hashkey'))).toBe(true);
    expect(cost('ENGINE_SPLIT').lte(cost('ENGINE', 'osl'))).toBe(true);
    expect(cost('ENGINE_SPLIT').lt(cost('MARKET_ORDER', 'osl'))).toBe(true);
  });

  it('sends nothing to a venue whose book cannot take a slice while another can', () => {
    const thin: VenueWay = { ...osl, bids: book(59994, 12, '0.001', 3) };
    const plan = planSale({ ...input, ways: [hashkey, thin] });
    expect(plan.legs).toEqual([expect.objectContaining({ venue: 'hashkey', amount: '6' })]);
  });

  it('takes a desk block at the hurdle and sells the rest on the venues; refuses a trade under it', () => {
    const hurdle = deskHurdle(input, '60000');
    const offer = {
      rfqId: 'r1',
      desk: 'desk-a',
      symbol: 'BTC/USD',
      reference: '60000',
      amount: '4',
      price: hurdle.price,
    };
    const plan = planSale(input, offer);
    expect(plan.legs[0]).toEqual(expect.objectContaining({ kind: 'DESK', desk: 'desk-a', amount: '4' }));
    expect(
      plan.legs
        .slice(1)
        .reduce((s, l) => s.plus(l.amount), new Decimal(0))
        .toFixed(),
    ).toBe('2');
    expect(plan.alternatives.at(-1)).toEqual(expect.objectContaining({ kind: 'RFQ_BLOCK', rfqId: 'r1' }));
    const under = new Decimal(hurdle.price).minus('0.01').toFixed();
    expect(() => planSale(input, { ...offer, price: under })).toThrow(/under the hurdle/);
  });

  it('property: the legs add up to the lot exactly, and the plan costs no more than the engine on any one venue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 10 }),
        (steps, gapA, slices) => {
          const lot = new Decimal(steps).mul('0.00001').toFixed();
          const ways = [hashkey, { ...osl, bids: book(59994, gapA, '0.4', 40) }];
          const plan = planSale({ ...input, lot, slices, ways });
          const total = plan.legs.reduce((s, l) => s.plus(l.amount), new Decimal(0));
          expect(total.toFixed()).toBe(new Decimal(lot).toFixed());
          for (const l of plan.legs) expect(new Decimal(l.amount).mod('0.00001').isZero()).toBe(true);
          const best = Decimal.min(...ways.map((w) => engineCostBp(w, new Decimal(lot), slices).costBp));
          // The split's parts are whole steps, so it may lose up to a part's rounding; never more than 0.01 bp.
          expect(new Decimal(plan.expectedCostBp).lte(best.plus('0.01'))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
