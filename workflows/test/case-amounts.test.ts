/**
 * The status's amounts in base units (case-amounts.ts): per lot and in totals across lots, exact,
 * including the large case whose status keeps only the intakes with a difference.
 */
import { fromBaseUnits } from '@vcdc/shared/base-units';
import fc from 'fast-check';
import { amountIn, caseAmounts } from '../src/workflow/case-amounts';
import type { CaseProgress } from '../src/workflow/case-state';

type Intake = CaseProgress['intakes'][number];

function intake(lotId: string, asset: string, declared: string, received: string): Intake {
  return {
    intakeId: `intake-${lotId}`,
    caseId: 'C-1',
    lotId,
    asset,
    chain: asset === 'BTC' ? 'bitcoin' : 'ethereum',
    declaredAmount: declared,
    receivedAmount: received,
    difference: '0',
    status: declared === received ? 'RECEIVED' : 'DISCREPANCY',
    txHash: `tx-${lotId}`,
    confirmations: 6,
    evidence: { handoverFormNo: 'HF', handedOverBy: 'a', receivedBy: 'b', documents: [] },
    recordedAt: '2026-01-01T00:00:00Z',
  } as Intake;
}

function progress(over: Partial<CaseProgress>): CaseProgress {
  return {
    intakes: [],
    transfers: [],
    sales: [],
    leftovers: [],
    ...over,
  } as CaseProgress;
}

const lot = (asset: 'BTC' | 'ETH' | 'USDT', declaredAmount: string) => ({ asset, declaredAmount });

describe('case amounts in base units', () => {
  test('three short BTC lots: each lot and the total across them in satoshi; ETH in wei', () => {
    const lots = [lot('BTC', '1'), lot('BTC', '2'), lot('BTC', '0.5'), lot('ETH', '10.5')];
    const p = progress({
      intakeProgress: { lots: 4, recorded: 4, discrepancies: 3, batches: 1, batchesDone: 1 },
      intakes: [
        intake('L1', 'BTC', '1', '0.99995'),
        intake('L2', 'BTC', '2', '1.99994'),
        intake('L3', 'BTC', '0.5', '0.49998'),
        intake('L4', 'ETH', '10.5', '10.5'),
      ],
    });
    const amounts = caseAmounts(p, lots);
    expect(amounts.lots[0]).toEqual({
      lotId: 'L1',
      asset: 'BTC',
      unit: 'satoshi',
      declared: { amount: '1', baseUnits: '100000000' },
      received: { amount: '0.99995', baseUnits: '99995000' },
      difference: { amount: '-0.00005', baseUnits: '-5000' },
    });
    expect(amounts.totals).toEqual([
      {
        asset: 'BTC',
        unit: 'satoshi',
        lots: 3,
        declared: { amount: '3.5', baseUnits: '350000000' },
        received: { amount: '3.49987', baseUnits: '349987000' },
        difference: { amount: '-0.00013', baseUnits: '-13000' },
      },
      {
        asset: 'ETH',
        unit: 'wei',
        lots: 1,
        declared: { amount: '10.5', baseUnits: '10500000000000000000' },
        received: { amount: '10.5', baseUnits: '10500000000000000000' },
        difference: { amount: '0', baseUnits: '0' },
      },
    ]);
  });

  test('while lots are still being recorded only the declared total is known', () => {
    const p = progress({ intakeProgress: { lots: 2, recorded: 1, discrepancies: 0, batches: 1, batchesDone: 0 } });
    const [btc] = caseAmounts(p, [lot('BTC', '1'), lot('BTC', '0.25')]).totals;
    expect(btc).toEqual({
      asset: 'BTC',
      unit: 'satoshi',
      lots: 2,
      declared: { amount: '1.25', baseUnits: '125000000' },
    });
  });

  test('a large case: the status keeps only the lots with a difference, the totals still cover every lot', () => {
    const lots = Array.from({ length: 250 }, () => lot('BTC', '0.001'));
    const p = progress({
      intakeProgress: { lots: 250, recorded: 250, discrepancies: 2, batches: 3, batchesDone: 3 },
      intakes: [intake('L7', 'BTC', '0.001', '0.00099'), intake('L90', 'BTC', '0.001', '0.000997')],
    });
    const amounts = caseAmounts(p, lots);
    expect(amounts.lots.map((l) => l.difference.baseUnits)).toEqual(['-1000', '-300']);
    expect(amounts.totals[0]).toMatchObject({
      lots: 250,
      declared: { amount: '0.25', baseUnits: '25000000' },
      received: { amount: '0.249987', baseUnits: '24998700' },
      difference: { amount: '-0.000013', baseUnits: '-1300' },
    });
  });

  test('what went to the venue, its fees, what was sold and what is left over, per asset', () => {
    const transfer = (amount: string, fee: string, netAmount: string) => ({ amount, fee, netAmount });
    const p = progress({
      intakeProgress: { lots: 1, recorded: 1, discrepancies: 0, batches: 1, batchesDone: 1 },
      intakes: [intake('L1', 'BTC', '1.25', '1.25')],
      transfers: [
        {
          asset: 'BTC',
          testTransfer: transfer('0.001', '0.00002', '0.00098'),
          transfer: transfer('1.249', '0.00002', '1.24898'),
        },
      ] as unknown as CaseProgress['transfers'],
      sales: [
        { symbol: 'BTC/USDT', filled: '0.6' },
        { symbol: 'BTC/USDT', filled: '0.62' },
        { symbol: 'USDT/USD', filled: '70000.123456' },
      ] as CaseProgress['sales'],
      leftovers: [{ asset: 'BTC', amount: '0.00996', where: 'venue', reason: 'below the lot size' }],
    });
    expect(caseAmounts(p, [lot('BTC', '1.25')]).totals[0]).toMatchObject({
      sentToVenue: { amount: '1.24996', baseUnits: '124996000' },
      networkFees: { amount: '0.00004', baseUnits: '4000' },
      sold: { amount: '1.22', baseUnits: '122000000' },
      leftOver: { amount: '0.00996', baseUnits: '996000' },
    });
  });

  test('totals across lots in base units are the sums of the lots in base units (any lots, any size)', () => {
    const asset = fc.constantFrom('BTC' as const, 'ETH' as const, 'USDT' as const);
    const units = fc.bigInt({ min: 1n, max: 10n ** 30n });
    fc.assert(
      fc.property(asset, fc.array(fc.tuple(units, units), { minLength: 1, maxLength: 20 }), (a, pairs) => {
        const declared = pairs.map(([d]) => fromBaseUnits(d, a));
        const received = pairs.map(([, r]) => fromBaseUnits(r, a));
        const p = progress({
          intakeProgress: { lots: pairs.length, recorded: pairs.length, discrepancies: 0, batches: 1, batchesDone: 1 },
          intakes: pairs.map((_, i) => intake(`L${i}`, a, declared[i] as string, received[i] as string)),
        });
        const [total] = caseAmounts(
          p,
          declared.map((d) => lot(a, d)),
        ).totals;
        const sumOf = (xs: bigint[]) => xs.reduce((s, x) => s + x, 0n).toString();
        expect(total?.declared.baseUnits).toBe(sumOf(pairs.map(([d]) => d)));
        expect(total?.received?.baseUnits).toBe(sumOf(pairs.map(([, r]) => r)));
        expect(total?.difference?.baseUnits).toBe(sumOf(pairs.map(([d, r]) => r - d)));
        expect(BigInt(total?.difference?.baseUnits ?? 'x')).toBe(
          BigInt(total?.received?.baseUnits ?? 'x') - BigInt(total?.declared.baseUnits ?? 'x'),
        );
      }),
    );
  });

  test('an amount finer than the unit is shown without base units instead of failing the status', () => {
    expect(amountIn('0.000000001', 'BTC')).toEqual({ amount: '0.000000001' });
    expect(amountIn('12.5', 'XYZ')).toEqual({ amount: '12.5' });
    expect(amountIn('12.50', 'USD')).toEqual({ amount: '12.5', baseUnits: '1250' });
  });
});
