/**
 * Best execution, the pure part (src/best-execution.ts): lot figures, the reference in force at a
 * fill, the share of the venue's volume, the floor result; and the reference evaluation whose every
 * outcome is recorded (src/reference-price.ts). Properties with fast-check.
 */
import { Decimal } from '@vcdc/shared/money';
import fc from 'fast-check';
import {
  bestExecution,
  intervalStart,
  type LotFill,
  lotSummary,
  type RecordedFill,
  type RecordedOrder,
  referenceAt,
} from '../src/best-execution';
import { evaluateReference, referenceOf } from '../src/reference-price';

/** A price of up to 8 decimal places in (0, 10^7]. */
const price = fc.bigInt({ min: 1n, max: 10n ** 15n }).map((units) => new Decimal(units.toString()).div(1e8).toFixed());
/** An amount of whole satoshis in (0, 10]. */
const amount = fc.bigInt({ min: 1n, max: 10n ** 9n }).map((units) => new Decimal(units.toString()).div(1e8).toFixed());
const fee = fc.bigInt({ min: 0n, max: 10n ** 8n }).map((units) => new Decimal(units.toString()).div(1e6).toFixed());

const lotFill = (p: string, a: string, i: number, f = '0', floor: string | null = null): LotFill => ({
  tradeId: `T${i}`,
  price: p,
  amount: a,
  fee: f,
  feeCurrency: 'USDT',
  floor,
});

describe('lot figures', () => {
  test('property: the average price lies between the lowest and the highest fill price', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(price, amount, fee), { minLength: 1, maxLength: 40 }), price, (fills, arrival) => {
        const s = lotSummary(
          fills.map(([p, a, f], i) => lotFill(p, a, i, f)),
          arrival,
          'USDT',
        );
        const avg = new Decimal(s.averagePrice!);
        expect(avg.gte(s.minFillPrice!)).toBe(true);
        expect(avg.lte(s.maxFillPrice!)).toBe(true);
        expect(s.sold).toBe(fills.reduce((t, [, a]) => t.plus(a), new Decimal(0)).toFixed());
        expect(s.fillCount).toBe(fills.length);
      }),
      { numRuns: 300 },
    );
  });

  test('property: the shortfall is 0 when every fill is at the arrival price, whatever the sizes', () => {
    fc.assert(
      fc.property(price, fc.array(amount, { minLength: 1, maxLength: 40 }), (arrival, amounts) => {
        const s = lotSummary(
          amounts.map((a, i) => lotFill(arrival, a, i)),
          arrival,
          'USDT',
        );
        expect(s.shortfallBp).toBe('0');
        expect(s.shortfallWithFeesBp).toBe('0');
        expect(s.averagePrice).toBe(new Decimal(arrival).toFixed());
      }),
      { numRuns: 300 },
    );
  });

  test('property: selling under the arrival price is a shortfall (>= 0), above it a gain (<= 0)', () => {
    fc.assert(
      fc.property(price, price, amount, (arrival, fillPrice, a) => {
        const shortfall = new Decimal(lotSummary([lotFill(fillPrice, a, 0)], arrival, 'USDT').shortfallBp!);
        const under = new Decimal(fillPrice).comparedTo(arrival);
        if (under < 0) expect(shortfall.gte(0)).toBe(true);
        if (under > 0) expect(shortfall.lte(0)).toBe(true);
        if (under === 0) expect(shortfall.isZero()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('volume-weighted average, shortfall in bp cut to 4 places, fees per currency, with-fee shortfall', () => {
    const s = lotSummary(
      [lotFill('100', '1', 1, '0.1'), lotFill('97', '2', 2, '0.194'), lotFill('99.5', '1', 3, '0.0995')],
      '100',
      'USDT',
    );
    // proceeds 100 + 194 + 99.5 = 393.5 over 4: 98.375; (100 - 98.375) / 100 = 162.5 bp
    expect(s).toMatchObject({
      sold: '4',
      proceeds: '393.5',
      averagePrice: '98.375',
      minFillPrice: '97',
      maxFillPrice: '100',
      shortfallBp: '162.5',
      fees: [{ currency: 'USDT', amount: '0.3935' }],
    });
    // net (393.5 - 0.3935) / 4 = 98.276625: 172.3375 bp
    expect(s.shortfallWithFeesBp).toBe('172.3375');
    const thirds = lotSummary([lotFill('100', '1', 1), lotFill('99', '2', 2)], '100', 'USDT');
    expect(thirds.averagePrice).toBe('99.333333333333'); // cut at 12 places
    expect(thirds.shortfallBp).toBe('66.6666'); // cut toward zero
  });

  test('fees in another currency leave the with-fee shortfall open; no arrival price, no shortfall', () => {
    const s = lotSummary([{ ...lotFill('100', '1', 1), fee: '0.001', feeCurrency: 'BTC' }], '100', 'USDT');
    expect(s.fees).toEqual([{ currency: 'BTC', amount: '0.001' }]);
    expect(s.shortfallBp).toBe('0');
    expect(s.shortfallWithFeesBp).toBeNull();
    expect(lotSummary([lotFill('100', '1', 1)], null, 'USDT').shortfallBp).toBeNull();
  });

  test('against the floor: OK, BREACH naming the fills, NO_FLOOR, NO_FILLS', () => {
    expect(lotSummary([lotFill('100', '1', 1, '0', '99')], '100', 'USDT').floor).toEqual({
      minFillPrice: '100',
      result: 'OK',
      breaches: [],
    });
    expect(
      lotSummary([lotFill('100', '1', 1, '0', '99'), lotFill('98.99', '1', 2, '0', '99')], '100', 'USDT').floor,
    ).toEqual({ minFillPrice: '98.99', result: 'BREACH', breaches: ['T2'] });
    expect(lotSummary([lotFill('100', '1', 1)], '100', 'USDT').floor.result).toBe('NO_FLOOR');
    expect(lotSummary([], '100', 'USDT')).toMatchObject({
      sold: '0',
      averagePrice: null,
      shortfallBp: null,
      floor: { result: 'NO_FILLS', minFillPrice: null },
    });
  });
});

describe('the reference at a fill', () => {
  const refs = [
    { computationId: '1', symbol: 'BTC/USDT', price: '100', at: new Date('2026-01-01T10:00:00Z') },
    { computationId: '2', symbol: 'BTC/USDT', price: '101', at: new Date('2026-01-01T10:00:30Z') },
    { computationId: '3', symbol: 'BTC/USDT', price: '102', at: new Date('2026-01-01T10:00:30Z') },
    { computationId: '4', symbol: 'ETH/USDT', price: '3', at: new Date('2026-01-01T10:00:40Z') },
    { computationId: '5', symbol: 'BTC/USDT', price: '103', at: new Date('2026-01-01T10:01:00Z') },
  ];

  test('is the latest of the symbol at or before the fill (a tie: the later computation)', () => {
    expect(referenceAt(refs, 'BTC/USDT', new Date('2026-01-01T09:59:59Z'))).toBeUndefined();
    expect(referenceAt(refs, 'BTC/USDT', new Date('2026-01-01T10:00:00Z'))?.computationId).toBe('1');
    expect(referenceAt(refs, 'BTC/USDT', new Date('2026-01-01T10:00:45Z'))?.computationId).toBe('3');
    expect(referenceAt(refs, 'ETH/USDT', new Date('2026-01-01T10:05:00Z'))?.computationId).toBe('4');
  });

  test('property: never after the fill, and no later one of the symbol is at or before it', () => {
    const point = fc.record({
      computationId: fc.integer({ min: 1, max: 10_000 }).map(String),
      symbol: fc.constantFrom('BTC/USDT', 'ETH/USDT'),
      price: price,
      at: fc.integer({ min: 0, max: 1_000_000 }).map((ms) => new Date(ms)),
    });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 30 }), fc.integer({ min: 0, max: 1_000_000 }), (points, ms) => {
        const at = new Date(ms);
        const found = referenceAt(points, 'BTC/USDT', at);
        const candidates = points.filter((p) => p.symbol === 'BTC/USDT' && p.at.getTime() <= ms);
        if (!found) {
          expect(candidates).toEqual([]);
          return;
        }
        expect(found.at.getTime()).toBeLessThanOrEqual(ms);
        for (const c of candidates) expect(c.at.getTime()).toBeLessThanOrEqual(found.at.getTime());
      }),
    );
  });
});

describe('the report', () => {
  const order = (over: Partial<RecordedOrder>): RecordedOrder => ({
    clientOrderId: 'o1',
    parentOrderId: 'case-C1/sale/BTC-USDT/1',
    venue: 'hashkey',
    venueOrderId: 'V1',
    symbol: 'BTC/USDT',
    type: 'limit',
    amount: '2',
    limitPrice: '99',
    status: 'closed',
    createdAt: new Date('2026-01-01T10:00:05Z'),
    arrivalPrice: '100',
    referencePrice: '100',
    floor: '95',
    checkReferenceId: '7',
    pricedReferenceId: '6',
    ...over,
  });
  const fill = (over: Partial<RecordedFill>): RecordedFill => ({
    clientOrderId: 'o1',
    venue: 'hashkey',
    tradeId: 'T1',
    price: '99',
    amount: '1',
    fee: '0.099',
    feeCurrency: 'USDT',
    tradedAt: new Date('2026-01-01T10:00:10Z'),
    ...over,
  });
  const minute = new Date('2026-01-01T10:00:00Z');
  const base = {
    caseId: 'C1',
    generatedAt: new Date('2026-01-01T10:05:00Z'),
    events: [],
    references: [{ computationId: '7', symbol: 'BTC/USDT', price: '100', at: new Date('2026-01-01T10:00:05Z') }],
    computations: [],
  };

  test('per fill: reference at its minute, distance to it, floor, share of the venue volume; per lot: the figures', () => {
    const report = bestExecution({
      ...base,
      orders: [
        order({}),
        // adopted on a retry: no floor of its own, the lot's applies
        order({ clientOrderId: 'o2', venueOrderId: 'V2', floor: null, createdAt: new Date('2026-01-01T10:01:00Z') }),
        order({
          clientOrderId: 'solo',
          parentOrderId: null,
          venueOrderId: 'V3',
          type: 'market',
          limitPrice: null,
          arrivalPrice: '100',
          createdAt: new Date('2026-01-01T10:02:00Z'),
        }),
      ],
      fills: [
        fill({}),
        fill({ tradeId: 'T2', price: '98', amount: '0.5', tradedAt: new Date('2026-01-01T10:00:20Z') }),
        fill({ clientOrderId: 'o2', tradeId: 'T3', price: '94', amount: '0.5', fee: '0.047' }),
        fill({
          clientOrderId: 'solo',
          tradeId: 'T4',
          price: '100',
          amount: '1',
          tradedAt: new Date('2026-01-01T10:03:00Z'),
        }),
      ],
      volumes: [
        {
          venue: 'hashkey',
          symbol: 'BTC/USDT',
          start: minute,
          seconds: 60,
          volume: '5',
          observedAt: new Date('2026-01-01T10:00:30Z'),
        },
        {
          venue: 'hashkey',
          symbol: 'BTC/USDT',
          start: minute,
          seconds: 60,
          volume: '8',
          observedAt: new Date('2026-01-01T10:01:30Z'),
        },
      ],
    });
    const o1 = report.orders.find((o) => o.clientOrderId === 'o1')!;
    expect(o1.fills[0]).toMatchObject({
      tradeId: 'T1',
      reference: { computationId: '7', price: '100' },
      vsReferenceBp: '100',
      floor: '95',
      belowFloor: false,
      interval: {
        start: minute.toISOString(),
        seconds: 60,
        venueVolume: '8',
        final: true,
        share: '0.125',
        caseShare: '0.25',
      },
    });
    expect(report.orders.find((o) => o.clientOrderId === 'o2')!.fills[0]).toMatchObject({
      floor: '95',
      belowFloor: true,
    });
    // no volume observed for 10:03
    expect(report.orders.find((o) => o.clientOrderId === 'solo')!.fills[0]!.interval).toMatchObject({
      venueVolume: null,
      final: false,
      share: null,
    });

    expect(report.lots.map((l) => [l.lotId, l.parentOrderId])).toEqual([
      ['case-C1/sale/BTC-USDT/1', 'case-C1/sale/BTC-USDT/1'],
      ['solo', null],
    ]);
    const [lot, solo] = report.lots;
    // 99 + 49 + 47 = 195 over 2: 97.5, 250 bp under the arrival price of 100
    expect(lot).toMatchObject({
      clientOrderIds: ['o1', 'o2'],
      sold: '2',
      proceeds: '195',
      averagePrice: '97.5',
      shortfallBp: '250',
      fees: [{ currency: 'USDT', amount: '0.245' }],
      floor: { price: '95', minFillPrice: '94', result: 'BREACH', breaches: ['T3'] },
      firstFillAt: '2026-01-01T10:00:10.000Z',
      lastFillAt: '2026-01-01T10:00:20.000Z',
    });
    expect(solo).toMatchObject({ sold: '1', averagePrice: '100', shortfallBp: '0', floor: { result: 'OK' } });
  });

  test('intervals are whole UTC minutes', () => {
    expect(intervalStart(new Date('2026-01-01T10:00:59.999Z')).toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(intervalStart(new Date('2026-01-01T10:01:00.000Z')).toISOString()).toBe('2026-01-01T10:01:00.000Z');
  });
});

describe('reference evaluation (every outcome is recorded)', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const policy = { maxAgeMs: 5000, maxDispersionBp: '50', minSources: 2 };
  const quote = (venue: string, bid: string, ask: string, ageMs = 0) => ({
    venue,
    bid,
    ask,
    mid: new Decimal(bid).plus(ask).div(2).toFixed(),
    at: new Date(now.getTime() - ageMs),
  });

  test('ok: the median of the fresh mids and their dispersion', () => {
    const e = evaluateReference(
      'BTC/USDT',
      [quote('a', '99', '101'), quote('b', '100', '102'), quote('c', '1', '2', 60_000)],
      policy,
      now,
    );
    expect(e).toMatchObject({ outcome: 'ok', median: '100.5', dispersionBp: '49.7512' });
    expect(e.quotes[2]!.excluded).toBe('stale');
    expect(referenceOf(e, '42')).toMatchObject({ id: '42', price: '100.5' });
  });

  test('stale and diverging keep what was seen, and the reference is refused with 503', () => {
    const stale = evaluateReference(
      'BTC/USDT',
      [quote('a', '99', '101'), quote('b', '99', '101', 10_000)],
      policy,
      now,
    );
    expect(stale).toMatchObject({ outcome: 'stale' });
    expect(stale.median).toBeUndefined();
    expect(() => referenceOf(stale)).toThrow(
      expect.objectContaining({ status: 503, type: 'urn:vcdc:problem:reference-stale' }),
    );
    const diverging = evaluateReference('BTC/USDT', [quote('a', '99', '101'), quote('b', '109', '111')], policy, now);
    expect(diverging).toMatchObject({ outcome: 'diverging', median: '105' });
    expect(() => referenceOf(diverging)).toThrow(
      expect.objectContaining({ type: 'urn:vcdc:problem:reference-diverging' }),
    );
  });
});
