/**
 * The three values of a case (case-values.ts) as victims and courts ask for them: at seizure (the
 * verified intake at the reference price), at disposal (what the sale realised, in fiat and in CNY
 * credited) and distributed (to the treasury, the victims, the owner).
 */
import fc from 'fast-check';
import type { CaseProgress } from '../src/workflow/case-state';
import { caseValues } from '../src/workflow/case-values';

function progress(over: Partial<CaseProgress>): CaseProgress {
  return { sales: [], credits: [], settlements: [], leftovers: [], ...over } as CaseProgress;
}

const leg = (symbol: string, cost: string, fee: string, feeCurrency: string | null) =>
  ({
    symbol,
    clientOrderId: 'x',
    amount: '1',
    limitPrice: '1',
    reference: '1',
    filled: '1',
    cost,
    fee,
    feeCurrency,
  }) as CaseProgress['sales'][number];

const VALUATION: CaseProgress['valuation'] = {
  usdCny: '7.1',
  rateDate: '2026-01-02',
  lines: [
    { asset: 'BTC', amount: '1.25', priceUsd: '60000', valueCny: '532500.00' },
    { asset: 'ETH', amount: '10.5', priceUsd: '3000', valueCny: '223650.00' },
  ],
  valueCny: '756150.00',
};

describe('the three values of a case', () => {
  test('before the intake is valued, none is known', () => {
    expect(caseValues(progress({}))).toEqual({ currency: 'CNY' });
  });

  test('at seizure: the verified intake at the reference price, each line with its base units', () => {
    const values = caseValues(progress({ valuation: VALUATION }));
    expect(values.atSeizure).toEqual({
      valueCny: '756150.00',
      usdCny: '7.1',
      rateDate: '2026-01-02',
      lines: [
        { asset: 'BTC', amount: { amount: '1.25', baseUnits: '125000000' }, priceUsd: '60000', valueCny: '532500.00' },
        {
          asset: 'ETH',
          amount: { amount: '10.5', baseUnits: '10500000000000000000' },
          priceUsd: '3000',
          valueCny: '223650.00',
        },
      ],
    });
    expect(values.atDisposal).toBeUndefined();
    expect(values.distributed).toBeUndefined();
  });

  test('at disposal: the fiat the sales realised net of venue fees (not the stablecoin legs), then the CNY credited', () => {
    const sold = progress({
      valuation: VALUATION,
      sales: [
        leg('BTC/USDT', '74000', '74', 'USDT'),
        leg('USDT/USD', '73900.5', '73.9', 'USD'),
        leg('ETH/USD', '31000', '31', 'USD'),
        leg('USDT/USD', '26', '0.03', 'USDT'),
      ],
    });
    expect(caseValues(sold).atDisposal).toEqual({ proceeds: [{ currency: 'USD', amount: '104821.6' }] });
    const credited = progress({
      ...sold,
      credits: [{ amount: '500000.00' }, { amount: '244000.10' }] as CaseProgress['credits'],
    });
    expect(caseValues(credited).atDisposal).toEqual({
      proceeds: [{ currency: 'USD', amount: '104821.6' }],
      valueCny: '744000.10',
      baseUnits: { unit: 'fen', valueCny: '74400010' },
    });
  });

  test('distributed: to the treasury, the victims and the owner, and their total', () => {
    const values = caseValues(
      progress({
        valuation: VALUATION,
        credits: [{ amount: '744000.10' }] as CaseProgress['credits'],
        restitution: { totalToVictims: '500000.00', toTreasury: '244000.10' } as CaseProgress['restitution'],
        remittance: { amount: '244000.10' } as CaseProgress['remittance'],
      }),
    );
    expect(values.distributed).toEqual({
      toTreasury: '244000.10',
      toVictims: '500000.00',
      toOwner: '0.00',
      valueCny: '744000.10',
      baseUnits: { unit: 'fen', valueCny: '74400010' },
    });
    const acquitted = caseValues(progress({ ownerReturn: { amount: '744000.10' } as CaseProgress['ownerReturn'] }));
    expect(acquitted.distributed).toMatchObject({ toOwner: '744000.10', toTreasury: '0.00', valueCny: '744000.10' });
  });

  test('the distributed value is the sum of what went to each payee, to the fen', () => {
    const cny = fc.bigInt({ min: 0n, max: 10n ** 15n });
    const asYuan = (fen: bigint) => `${fen / 100n}.${String(fen % 100n).padStart(2, '0')}`;
    fc.assert(
      fc.property(cny, cny, cny, (t, v, o) => {
        const values = caseValues(
          progress({
            remittance: { amount: asYuan(t) } as CaseProgress['remittance'],
            restitution: { totalToVictims: asYuan(v) } as CaseProgress['restitution'],
            ownerReturn: { amount: asYuan(o) } as CaseProgress['ownerReturn'],
          }),
        );
        expect(values.distributed?.baseUnits.valueCny).toBe((t + v + o).toString());
        expect(values.distributed?.valueCny).toBe(asYuan(t + v + o));
      }),
    );
  });
});
