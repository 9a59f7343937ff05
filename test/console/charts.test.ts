/**
 * What the case page's charts are drawn from (pure; the browser test sees them drawn): exact sums of
 * decimal strings, the FX waterfall's steps from the gross fills to the CNY credited, and the sale's
 * fills placed in their engine rounds with the pauses between them.
 */
import type { fx } from '@vcdc/shared/contracts';
import { negateDecimal, sumDecimals } from '../../console/src/decimal';
import { chartOf } from '../../console/src/sale-chart';
import { waterfallSteps } from '../../console/src/waterfall-steps';
import type { CaseProgress, SaleLeg, SaleRound } from '../../workflows/src/workflow/case-state';

describe('exact sums of decimal strings', () => {
  test('add without floating point error, keeping the largest scale, signs included', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumDecimals(['61234.56', '-0.061234560000', '1'])).toBe('61235.498765440000');
    expect(sumDecimals(['-10.00', '3.5'])).toBe('-6.50');
    expect(sumDecimals(['0.000001', '-0.000002'])).toBe('-0.000001');
    expect(sumDecimals(['123456789012345678901234567890.12', '0.01'])).toBe('123456789012345678901234567890.13');
    expect(sumDecimals([])).toBe('0');
    expect(negateDecimal('12.30')).toBe('-12.30');
    expect(negateDecimal('-12.30')).toBe('12.30');
    expect(negateDecimal('0.00')).toBe('0.00');
    expect(() => sumDecimals(['1e3'])).toThrow(/not a decimal/);
  });
});

const leg = (over: Partial<SaleLeg>): SaleLeg => ({
  symbol: 'BTC/USD',
  clientOrderId: 'o',
  amount: '1',
  limitPrice: '100',
  reference: '100',
  filled: '0',
  cost: '0',
  fee: '0',
  feeCurrency: 'USD',
  ...over,
});

const line = (kind: fx.Waterfall['lines'][number]['kind'], currency: string, amount: string, ids: string[] = []) => ({
  kind,
  currency,
  amount,
  settlementIds: ids,
});

describe('the FX waterfall, from the gross fills to the CNY credited', () => {
  const wf: fx.Waterfall = {
    declarationId: 'D1',
    caseId: 'C1',
    currency: 'USD',
    unsettled: '0',
    lines: [
      line('WITHDRAWN_AT_VENUE', 'USD', '1000.10'),
      line('VENUE_WITHDRAWAL_FEE', 'USD', '-0.10'),
      line('ARRIVED_AT_BANK', 'USD', '1000.00'),
      line('CORRESPONDENT_FEES', 'USD', '-15.00'),
      line('BANK_CHARGES', 'USD', '-5.00'),
      line('CONVERTED', 'USD', '980.00', ['S1']),
      line('CNY_AT_CENTRAL_PARITY', 'CNY', '6958.000000', ['S1']),
      line('FX_SPREAD', 'CNY', '-13.916000', ['S1']),
      line('ROUNDING', 'CNY', '-0.004000', ['S1']),
      line('CNY_SETTLED', 'CNY', '6944.08', ['S1']),
    ],
  };
  const progress = {
    sales: [
      leg({ clientOrderId: 'a', filled: '0.1', cost: '600.1', fee: '0.3' }),
      leg({ clientOrderId: 'b', filled: '0.2', cost: '400.2', fee: '0.2' }),
      leg({ clientOrderId: 'c' }),
      leg({ symbol: 'BTC/USDT', clientOrderId: 'd', filled: '1', cost: '9', fee: '0.1', feeCurrency: 'USDT' }),
    ],
    credits: [
      { amount: '6000.08', fxSettlementId: 'S1' },
      { amount: '944.00', fxSettlementId: 'S1' },
      { amount: '1.00', fxSettlementId: 'OTHER' },
    ],
  } as unknown as Pick<CaseProgress, 'sales' | 'credits'>;

  test('the sale on the fiat market, each itemised line as the FX service gave it, and the credits of its tranches', () => {
    const steps = waterfallSteps(wf, progress, true);
    expect(steps.map((s) => [s.label, s.currency, s.amount, s.total])).toEqual([
      ['Gross fills (2 on the USD market)', 'USD', '1000.3', true],
      ['Trading fees', 'USD', '-0.5', false],
      ['Net proceeds at the venue', 'USD', '999.8', true],
      ['Withdrawn from the venue (gross)', 'USD', '1000.10', true],
      ['Venue withdrawal fee', 'USD', '-0.10', false],
      ['Arrived at the bank', 'USD', '1000.00', true],
      ['Correspondent bank fees', 'USD', '-15.00', false],
      ['Bank charges', 'USD', '-5.00', false],
      ['Converted', 'USD', '980.00', true],
      ['CNY at the central parity', 'CNY', '6958.000000', true],
      ['FX spread', 'CNY', '-13.916000', false],
      ['Rounding to the fen', 'CNY', '-0.004000', false],
      ['CNY settled', 'CNY', '6944.08', true],
      // Only the credits of this declaration's tranches, summed exactly.
      ['Credited to the special account (2 credit(s))', 'CNY', '6944.08', true],
    ]);
  });

  test('what is not settled yet is its own step before the conversion; the sale is shown once, before the first', () => {
    const steps = waterfallSteps({ ...wf, unsettled: '20.00' }, progress, false);
    expect(steps[0]?.label).toBe('Withdrawn from the venue (gross)');
    const converted = steps.findIndex((s) => s.label === 'Converted');
    expect(steps[converted - 1]).toEqual({ label: 'Not settled yet', currency: 'USD', amount: '-20.00', total: false });
  });
});

describe('the sale chart: fills in their engine rounds, pauses between them', () => {
  const round = (over: Partial<SaleRound>): SaleRound => ({
    symbol: 'BTC/USDT',
    round: 1,
    arrivalPrice: '61234.56',
    band: { bp: '300', lowest: '59397.5232' },
    floor: null,
    status: 'COMPLETED',
    orders: 0,
    endedAt: '2026-12-01T10:00:00.000Z',
    ...over,
  });
  const btc = (id: string, filled: string) =>
    leg({ symbol: 'BTC/USDT', clientOrderId: id, filled, cost: filled === '0' ? '0' : '61000' });

  test('each fill takes its round’s band and floor; a pause sits after the fills before it, an open one has no end', () => {
    const p = {
      sales: [
        btc('a', '0.5'),
        btc('b', '0'),
        leg({ clientOrderId: 'x', filled: '1' }),
        btc('c', '0.2'),
        btc('d', '0.3'),
      ],
      saleRounds: [
        round({
          orders: 2,
          status: 'PAUSED',
          breach: { kind: 'PRICE_BAND', detail: 'fell' },
          pause: {
            why: 'PRICE_BAND: fell',
            until: '2026-12-01T11:00:00.000Z',
            outcome: 'APPROVE',
            decidedBy: 'supervisor.li',
          },
        }),
        round({
          round: 2,
          arrivalPrice: '55000',
          band: { bp: '300', lowest: '53350' },
          floor: '50000',
          orders: 2,
          endedAt: '2026-12-01T12:00:00.000Z',
          pause: { why: 'remainder' },
        }),
      ],
      holds: [],
    } as unknown as CaseProgress;
    const { fills, pauses } = chartOf('BTC/USDT', p);
    expect(fills.map((f) => [f.leg.clientOrderId, f.round?.round, f.round?.band.lowest, f.round?.floor])).toEqual([
      ['a', 1, '59397.5232', null],
      ['c', 2, '53350', '50000'],
      ['d', 2, '53350', '50000'],
    ]);
    expect(pauses).toEqual([
      {
        after: 1,
        since: '2026-12-01T10:00:00.000Z',
        until: '2026-12-01T11:00:00.000Z',
        why: 'PRICE_BAND: fell',
        ended: 'APPROVE by supervisor.li',
      },
      { after: 3, since: '2026-12-01T12:00:00.000Z', why: 'remainder' },
    ]);
  });

  test('a case from before the rounds were kept charts its fills alone, and a hold in the sale as a pause', () => {
    const p = {
      sales: [btc('a', '0.5')],
      holds: [
        {
          stage: 'SALE',
          since: '2026-12-02T00:00:00.000Z',
          reason: 'stopped',
          resolution: {
            approvedBy: [{ decidedAt: '2026-12-03T00:00:00.000Z' }, { decidedAt: '2026-12-02T12:00:00.000Z' }],
            outcome: 'resumed',
          },
        },
        { stage: 'TRANSFER', since: '2026-12-01T00:00:00.000Z', reason: 'not the sale' },
      ],
    } as unknown as CaseProgress;
    const { fills, pauses } = chartOf('BTC/USDT', p);
    expect(fills.map((f) => [f.leg.clientOrderId, f.round])).toEqual([['a', undefined]]);
    expect(pauses).toEqual([
      {
        after: 1,
        since: '2026-12-02T00:00:00.000Z',
        until: '2026-12-03T00:00:00.000Z',
        why: 'held: stopped',
        ended: 'resolved: resumed',
      },
    ]);
  });
});
