import { Decimal } from '@vcdc/shared';
import fc from 'fast-check';
import { type AllocationMethod, allocateRestitution, type VictimClaim } from '../src/restitution-allocation';

const cny = (s: string) => new Decimal(s);

// Amounts in fen up to 10 billion CNY: big enough that float arithmetic would have lost fen.
const amountFen = fc
  .bigInt({ min: 0n, max: 1_000_000_000_000n })
  .map((n) => new Decimal(n.toString()).div(100).toFixed(2));
const claims = fc
  .array(fc.record({ loss: amountFen, recoveredShare: fc.double({ min: 0, max: 1.2, noNaN: true }) }), {
    minLength: 1,
    maxLength: 12,
  })
  .map((rows) =>
    rows.map(
      (row, i): VictimClaim => ({
        victimId: `V${String(i + 1).padStart(2, '0')}`,
        claimOrder: i + 1,
        loss: row.loss,
        // Recovered may exceed the loss (then the net loss is zero).
        recovered: cny(row.loss).mul(row.recoveredShare).toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2),
      }),
    ),
  );
const method = fc.constantFrom<AllocationMethod>('CLAIM_ORDER', 'PRO_RATA');

const netOf = (c: VictimClaim) => Decimal.max(cny(c.loss).minus(c.recovered), 0);

describe('restitution allocation (properties)', () => {
  test('conserves the available amount to the fen: victims + treasury = available', () => {
    fc.assert(
      fc.property(amountFen, method, claims, (available, m, cs) => {
        const a = allocateRestitution(available, m, cs);
        const victims = a.victims.reduce((s, v) => s.plus(v.amount), new Decimal(0));
        expect(victims.toFixed(2)).toBe(a.totalToVictims);
        expect(victims.plus(a.toTreasury).toFixed(2)).toBe(cny(available).toFixed(2));
      }),
    );
  });

  test('never negative, whole fen, never above a victim net loss', () => {
    fc.assert(
      fc.property(amountFen, method, claims, (available, m, cs) => {
        const a = allocateRestitution(available, m, cs);
        expect(cny(a.toTreasury).gte(0)).toBe(true);
        for (const v of a.victims) {
          const claim = cs.find((c) => c.victimId === v.victimId)!;
          expect(cny(v.amount).gte(0)).toBe(true);
          expect(cny(v.amount).mul(100).isInteger()).toBe(true);
          expect(cny(v.amount).lte(netOf(claim))).toBe(true);
          expect(v.netLoss).toBe(netOf(claim).toFixed(2));
        }
      }),
    );
  });

  test('victims are paid in full before the treasury gets anything', () => {
    fc.assert(
      fc.property(amountFen, method, claims, (available, m, cs) => {
        const a = allocateRestitution(available, m, cs);
        if (cny(a.toTreasury).gt(0)) for (const v of a.victims) expect(v.amount).toBe(v.netLoss);
      }),
    );
  });

  test('deterministic: the same input (in any listing order) gives the same allocation', () => {
    fc.assert(
      fc.property(amountFen, method, claims, (available, m, cs) => {
        const first = allocateRestitution(available, m, cs);
        expect(allocateRestitution(available, m, [...cs].reverse())).toEqual(first);
        expect(allocateRestitution(available, m, cs)).toEqual(first);
      }),
    );
  });

  test('pro rata: each share is within one fen of the exact share (net of recoveries)', () => {
    fc.assert(
      fc.property(amountFen, claims, (available, cs) => {
        const a = allocateRestitution(available, 'PRO_RATA', cs);
        const totalNet = cs.reduce((s, c) => s.plus(netOf(c)), new Decimal(0));
        const pool = Decimal.min(cny(available), totalNet);
        for (const v of a.victims) {
          const claim = cs.find((c) => c.victimId === v.victimId)!;
          const exact = totalNet.isZero() ? new Decimal(0) : pool.mul(netOf(claim)).div(totalNet);
          expect(cny(v.amount).minus(exact).abs().lt('0.01')).toBe(true);
        }
      }),
    );
  });

  test('claim order: a later victim gets something only when every earlier one is paid in full', () => {
    fc.assert(
      fc.property(amountFen, claims, (available, cs) => {
        const a = allocateRestitution(available, 'CLAIM_ORDER', cs);
        a.victims.forEach((v, i) => {
          if (cny(v.amount).gt(0))
            for (const earlier of a.victims.slice(0, i)) expect(earlier.amount).toBe(earlier.netLoss);
        });
      }),
    );
  });
});

describe('restitution allocation (examples)', () => {
  const three: VictimClaim[] = [
    { victimId: 'A', claimOrder: 1, loss: '100.00', recovered: '0.00' },
    { victimId: 'B', claimOrder: 2, loss: '100.00', recovered: '0.00' },
    { victimId: 'C', claimOrder: 3, loss: '150.00', recovered: '50.00' },
  ];

  test('pro rata 100.00 among three equal net losses: 33.34 / 33.33 / 33.33, the extra fen by claim order', () => {
    const a = allocateRestitution('100.00', 'PRO_RATA', three);
    expect(a.victims.map((v) => v.amount)).toEqual(['33.34', '33.33', '33.33']);
    expect(a.toTreasury).toBe('0.00');
    expect(a.rounding).toEqual([
      {
        victimId: 'A',
        exactShareFen: { numerator: '100000000', denominator: '30000' },
        roundedDown: '33.33',
        extraFen: 1,
      },
      {
        victimId: 'B',
        exactShareFen: { numerator: '100000000', denominator: '30000' },
        roundedDown: '33.33',
        extraFen: 0,
      },
      {
        victimId: 'C',
        exactShareFen: { numerator: '100000000', denominator: '30000' },
        roundedDown: '33.33',
        extraFen: 0,
      },
    ]);
  });

  test('claim order 150.00: A in full, B half, C nothing', () => {
    const a = allocateRestitution('150.00', 'CLAIM_ORDER', three);
    expect(a.victims.map((v) => v.amount)).toEqual(['100.00', '50.00', '0.00']);
  });

  test('more than the net losses: every victim in full (C net of recovered 50.00), the rest to the treasury', () => {
    const a = allocateRestitution('1000.00', 'PRO_RATA', three);
    expect(a.victims.map((v) => v.amount)).toEqual(['100.00', '100.00', '100.00']);
    expect(a.toTreasury).toBe('700.00');
  });

  test('a victim who recovered everything gets nothing, the largest remainder wins the extra fen', () => {
    const a = allocateRestitution('0.10', 'PRO_RATA', [
      { victimId: 'X', claimOrder: 1, loss: '10.00', recovered: '10.00' },
      { victimId: 'Y', claimOrder: 2, loss: '1.00', recovered: '0.00' },
      { victimId: 'Z', claimOrder: 3, loss: '2.00', recovered: '0.00' },
    ]);
    // exact: Y 0.0333…, Z 0.0666… → rounded down 0.03 / 0.06, one fen left, Z's remainder is larger.
    expect(a.victims.map((v) => [v.victimId, v.amount])).toEqual([
      ['X', '0.00'],
      ['Y', '0.03'],
      ['Z', '0.07'],
    ]);
  });
});
