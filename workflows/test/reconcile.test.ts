/**
 * Reconciliation as a pure function: records of a case that adds up pass every check; any unit
 * moved anywhere is caught, and the failing check says which equation broke.
 */
import type { contracts } from '@vcdc/shared';
import { Decimal, roundDown } from '@vcdc/shared/money';
import fc from 'fast-check';
import { type ReconcileInput, reconcile } from '../src/workflow/reconcile';

type Order = contracts.exchange.VenueOrder;
const T = '2026-01-01T00:00:00.000Z';

interface Flow {
  /** Per crypto asset: received in custody (smallest units), network fee, lot step of the venue (units). */
  lots: { asset: 'BTC' | 'ETH' | 'USDT'; received: bigint; fee: bigint; step: bigint; price: string }[];
  feeRate: string;
  usdPrice: string;
  withdrawalFee: string;
  fxRate: string;
  /** Part of the custody balance kept back (not transferred), smallest units. */
  keptBack: bigint;
  /** What the settling bank and the correspondents took off the tranche before conversion (USD). */
  bankCharges?: string;
  correspondentFees?: string;
}

const SCALE = { BTC: 8, ETH: 18, USDT: 6 } as const;
const units = (asset: keyof typeof SCALE, n: bigint) =>
  new Decimal(n.toString()).div(new Decimal(10).pow(SCALE[asset]));

/** Records as the four services would keep them for a case that follows `flow`, plus the workflow's leftovers. */
function recordsOf(flow: Flow): ReconcileInput {
  const entries: contracts.custody.CustodyLedger['entries'] = [];
  const balances: Record<string, string> = {};
  const deposits: contracts.exchange.VenueDeposit[] = [];
  const orders: Order[] = [];
  const leftovers: { asset: string; amount: string }[] = [];
  const entry = (asset: string, kind: 'INTAKE' | 'TRANSFER_OUT' | 'NETWORK_FEE', amount: Decimal) =>
    entries.push({
      entryId: `e${entries.length}`,
      caseId: 'C',
      asset: asset as 'BTC',
      kind,
      amount: amount.toFixed(),
      reference: 'r',
      createdAt: T,
    });
  const order = (symbol: string, amount: Decimal, price: string): Order => {
    const quote = symbol.split('/')[1] ?? '';
    const cost = amount.times(price);
    const fee = roundDown(cost.times(flow.feeRate), quote === 'USD' ? 2 : 6).rounded;
    const o: Order = {
      caseId: 'C',
      venue: 'v',
      clientOrderId: `o${orders.length}`,
      venueOrderId: 'x',
      symbol,
      side: 'sell',
      type: 'market',
      amount: amount.toFixed(),
      filled: amount.toFixed(),
      remaining: '0',
      cost: cost.toFixed(),
      averagePrice: price,
      fee: fee.toFixed(),
      feeCurrency: quote,
      status: 'closed',
      fills: [],
      createdAt: T,
    };
    orders.push(o);
    return o;
  };

  let stable = new Decimal(0);
  for (const lot of flow.lots) {
    const received = lot.received + lot.fee + flow.keptBack;
    entry(lot.asset, 'INTAKE', units(lot.asset, received));
    const net = units(lot.asset, lot.received);
    entry(lot.asset, 'TRANSFER_OUT', net.neg());
    entry(lot.asset, 'NETWORK_FEE', units(lot.asset, lot.fee).neg());
    balances[lot.asset] = units(lot.asset, flow.keptBack).toFixed();
    deposits.push({
      caseId: 'C',
      venue: 'v',
      asset: lot.asset,
      txHash: 'h',
      amount: net.toFixed(),
      status: 'CREDITED',
      venueDepositId: 'd',
      observedAt: T,
    });
    if (lot.asset === 'USDT') {
      stable = stable.plus(net);
      continue;
    }
    const sellable = units(lot.asset, (lot.received / lot.step) * lot.step);
    if (sellable.gt(0)) {
      const o = order(`${lot.asset}/USDT`, sellable, lot.price);
      stable = stable.plus(o.cost).minus(o.fee);
    }
    if (net.minus(sellable).gt(0)) leftovers.push({ asset: lot.asset, amount: net.minus(sellable).toFixed() });
  }
  const stableToSell = roundDown(stable, 6);
  if (stableToSell.remainder.gt(0)) leftovers.push({ asset: 'USDT', amount: stableToSell.remainder.toFixed() });
  const usdOrder = order('USDT/USD', stableToSell.rounded, flow.usdPrice);
  const usd = roundDown(new Decimal(usdOrder.cost).minus(usdOrder.fee), 2);
  if (usd.remainder.gt(0)) leftovers.push({ asset: 'USD', amount: usd.remainder.toFixed() });
  const net = usd.rounded.minus(flow.withdrawalFee);
  const withdrawal = {
    caseId: 'C',
    venue: 'v',
    withdrawalId: 'w',
    currency: 'USD' as const,
    amount: usd.rounded.toFixed(),
    fee: flow.withdrawalFee,
    netAmount: net.toFixed(),
    bankAccountId: 'b',
    status: 'COMPLETED' as const,
    createdAt: T,
  };
  const bankCharges = new Decimal(flow.bankCharges ?? 0);
  const correspondentFees = new Decimal(flow.correspondentFees ?? 0);
  const converted = net.minus(bankCharges).minus(correspondentFees);
  const cny = roundDown(converted.times(flow.fxRate), 2);
  const settlement = {
    settlementId: 's1',
    declarationId: 'd1',
    caseId: 'C',
    currency: 'USD',
    foreignAmount: net.toFixed(),
    bankCharges: bankCharges.toFixed(2),
    correspondentFees: correspondentFees.toFixed(2),
    netForeignAmount: converted.toFixed(),
    rate: flow.fxRate,
    rateSource: 'test',
    rateAsOf: T,
    cnyAmount: cny.rounded.toFixed(),
    roundingRemainder: cny.remainder.toFixed(),
    bankReference: 'bank',
    settledAt: T,
  };
  return {
    stablecoin: 'USDT',
    fiat: 'USD',
    ledger: { caseId: 'C', entries, balances },
    statement: { caseId: 'C', deposits, orders, withdrawals: [withdrawal], returns: [] },
    declarations: [
      {
        declarationId: 'd1',
        declarationNo: 'N1',
        caseId: 'C',
        currency: 'USD',
        amount: net.toFixed(),
        settledAmount: net.toFixed(),
        transactionCode: '622011',
        purpose: 'p',
        status: 'SETTLED',
        transitions: [],
        settlements: [settlement],
        createdAt: T,
      },
    ],
    treasury: {
      caseId: 'C',
      currency: 'CNY',
      lines: [],
      totalCredited: cny.rounded.toFixed(),
      totalRemitted: cny.rounded.toFixed(),
      balance: '0',
    },
    leftovers,
  };
}

const sample: Flow = {
  lots: [
    { asset: 'BTC', received: 124_990_000n, fee: 10_000n, step: 1_000_000n, price: '61234.56' },
    { asset: 'USDT', received: 5_000_000_000n, fee: 1_500_000n, step: 1n, price: '1' },
  ],
  feeRate: '0.001',
  usdPrice: '0.9998',
  withdrawalFee: '25',
  fxRate: '7.1234',
  keptBack: 0n,
};

/**
 * The same case as a case since `dust-residuals` keeps it: every leftover booked as a residual line at
 * the venue (the exchange statement), none in the workflow's memory.
 */
function asResiduals(input: ReconcileInput): ReconcileInput {
  const residuals = input.leftovers.map((l, n) => ({
    residualId: `res-${n}`,
    caseId: 'C',
    venue: 'v',
    asset: l.asset,
    amount: l.amount,
    reason: 'BELOW_LOT_STEP' as const,
    detail: 'dust',
    withdrawalMinimum: '0.01',
    withdrawalFee: '0.003',
    withdrawalAllowed: true,
    recordedAt: T,
  }));
  return { ...input, statement: { ...input.statement, residuals }, leftovers: [] };
}

/** The BTC dust of the sample sent back to custody instead: the venue's return (gross, its fee) and custody's RETURN line. */
function dustReturned(input: ReconcileInput, fee: string): ReconcileInput {
  const dust = input.leftovers.find((l) => l.asset === 'BTC');
  if (!dust) throw new Error('the sample has BTC dust');
  const net = new Decimal(dust.amount).minus(fee);
  input.statement.returns = [
    {
      returnId: 'vr1',
      caseId: 'C',
      venue: 'v',
      asset: 'BTC',
      chain: 'bitcoin',
      amount: dust.amount,
      fee,
      netAmount: net.toFixed(),
      toAddress: 'a',
      transferId: 't',
      txHash: '0xr',
      status: 'SENT',
      requestedAt: T,
    },
  ];
  input.ledger.entries.push({
    entryId: 'ret',
    caseId: 'C',
    asset: 'BTC',
    kind: 'RETURN',
    amount: net.toFixed(),
    reference: 'cr1',
    createdAt: T,
  });
  input.ledger.balances.BTC = new Decimal(input.ledger.balances.BTC ?? '0').plus(net).toFixed();
  return { ...asResiduals({ ...input, leftovers: input.leftovers.filter((l) => l.asset !== 'BTC') }) };
}

const failing = (input: ReconcileInput) =>
  reconcile(input)
    .checks.filter((c) => !c.pass)
    .map((c) => c.name);

describe('reconcile', () => {
  test('a case whose records add up passes every check, each reported with both sides', () => {
    const result = reconcile(recordsOf(sample));
    expect(failing(recordsOf(sample))).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      'custody BTC: received = transferred + network fees + balance',
      'BTC: transferred out of custody = credited at the venue',
      'custody USDT: received = transferred + network fees + balance',
      'USDT: transferred out of custody = credited at the venue',
      'venue BTC: deposited = sold + leftover',
      'venue USDT: deposited + sale proceeds = sold + leftover',
      'venue USD: sale proceeds = withdrawn + leftover',
      'USD: withdrawn net = declared',
      'USD: declared = settled',
      'settlement s1: settled = converted + bank charges + correspondent fees',
      'settlement s1: CNY + rounding remainder = converted x rate',
      'CNY: settled = credited',
      'CNY: credited = remitted + paid to victims + returned to the owner',
      'CNY: case account balance is zero',
    ]);
    const venueBtc = result.checks[4];
    expect(venueBtc?.left).toEqual({ label: 'deposits credited', amount: '1.2499' });
    expect(venueBtc?.right).toEqual({ label: 'sold + recorded leftover', amount: '1.2499' });
  });

  test("a desk's trade, as the exchange books it (an order filled at the desk, its deposits, its payment), is counted once", () => {
    const base = recordsOf(sample);
    const cost = '30617.28';
    const desk = { desk: 'desk-a', tradeId: 't1', asset: 'BTC', amount: '0.5', fiatCurrency: 'USD', cost };
    const withDesk = (paidAmount: string): ReconcileInput => ({
      ...base,
      ledger: {
        ...base.ledger,
        entries: [
          ...base.ledger.entries,
          { entryId: 'd0', caseId: 'C', asset: 'BTC', kind: 'INTAKE', amount: '0.5', reference: 'r', createdAt: T },
          // Custody's test deposit to the desk's new address, then the rest: one delivery.
          {
            entryId: 'd1',
            caseId: 'C',
            asset: 'BTC',
            kind: 'TRANSFER_OUT',
            amount: '-0.001',
            reference: 'r',
            createdAt: T,
          },
          {
            entryId: 'd2',
            caseId: 'C',
            asset: 'BTC',
            kind: 'TRANSFER_OUT',
            amount: '-0.499',
            reference: 'r',
            createdAt: T,
          },
        ],
      },
      statement: {
        ...base.statement,
        deposits: [
          ...base.statement.deposits,
          ...['0.001', '0.499'].map((amount, i) => ({
            caseId: 'C',
            venue: 'desk-a',
            asset: 'BTC' as const,
            txHash: `dtx${i}`,
            amount,
            status: 'CREDITED' as const,
            venueDepositId: 't1',
            observedAt: T,
          })),
        ],
        orders: [
          ...base.statement.orders,
          {
            caseId: 'C',
            venue: 'desk-a',
            clientOrderId: 'rfq-1',
            venueOrderId: 't1',
            symbol: 'BTC/USD',
            side: 'sell',
            type: 'limit',
            amount: '0.5',
            filled: '0.5',
            remaining: '0',
            cost,
            averagePrice: '61234.56',
            fee: '0',
            feeCurrency: 'USD',
            status: 'closed',
            fills: [],
            createdAt: T,
          },
        ],
        withdrawals: [
          ...base.statement.withdrawals,
          {
            caseId: 'C',
            venue: 'desk-a',
            withdrawalId: 'desk-t1',
            currency: 'USD',
            amount: paidAmount,
            fee: '0',
            netAmount: paidAmount,
            bankAccountId: 'b',
            status: 'COMPLETED',
            createdAt: T,
          },
        ],
      },
      deskTrades: [{ ...desk, paidAmount }],
    });
    // The coins' and the venue's checks (FX and the treasury are not given the desk's payment here).
    const coinsAndVenue = (input: ReconcileInput) =>
      failing(input).filter((name) => /^(custody|BTC|venue|desk)/.test(name));
    expect(coinsAndVenue(withDesk(cost))).toEqual([]);
    const checks = reconcile(withDesk(cost)).checks;
    expect(checks.find((c) => c.name === 'venue BTC: deposited = sold + leftover')?.right).toEqual({
      label: 'sold + recorded leftover (venues and desks)',
      amount: '1.7499',
    });
    // A desk that paid a cent short: its own check and the fiat's fail.
    expect(coinsAndVenue(withDesk('30617.27'))).toEqual([
      "desk desk-a trade t1: paid = the trade's cost",
      'venue USD: sale proceeds = withdrawn + leftover',
    ]);
  });

  test('a leftover the workflow did not record breaks the venue equation for that asset', () => {
    const input = recordsOf(sample);
    input.leftovers = input.leftovers.filter((l) => l.asset !== 'BTC');
    expect(failing(input)).toEqual(['venue BTC: deposited = sold + leftover']);
  });

  test('a network fee the custody ledger lost breaks the custody equation', () => {
    const input = recordsOf(sample);
    input.ledger.entries = input.ledger.entries.filter((e) => !(e.asset === 'BTC' && e.kind === 'NETWORK_FEE'));
    expect(failing(input)).toEqual(['custody BTC: received = transferred + network fees + balance']);
  });

  test('coins still in custody are accounted for by the custody balance', () => {
    const input = recordsOf({ ...sample, keptBack: 5n });
    expect(reconcile(input).ok).toBe(true);
    input.ledger.balances.BTC = '0';
    expect(failing(input)).toEqual(['custody BTC: received = transferred + network fees + balance']);
  });

  test('money left in the case account or remitted twice fails the CNY checks', () => {
    const left = recordsOf(sample);
    left.treasury.totalRemitted = new Decimal(left.treasury.totalRemitted).minus('0.01').toFixed();
    left.treasury.balance = '0.01';
    expect(failing(left)).toEqual([
      'CNY: credited = remitted + paid to victims + returned to the owner',
      'CNY: case account balance is zero',
    ]);
  });

  test('a settlement whose CNY does not match its rate is caught', () => {
    const input = recordsOf(sample);
    const s = input.declarations[0]?.settlements[0];
    if (!s) throw new Error('no settlement');
    s.roundingRemainder = '0';
    expect(failing(input)).toContain('settlement s1: CNY + rounding remainder = converted x rate');
  });

  test('a settlement with bank charges and correspondent fees reconciles exactly, net of both', () => {
    // The case that was seen HELD after remitting: 15.00 bank charges, 7.50 correspondent fees.
    const charged = recordsOf({ ...sample, bankCharges: '15.00', correspondentFees: '7.50' });
    expect(failing(charged)).toEqual([]);
    const s = charged.declarations[0]!.settlements[0]!;
    const check = reconcile(charged).checks.find(
      (c) => c.name === 'settlement s1: CNY + rounding remainder = converted x rate',
    );
    expect(check?.right.amount).toBe(new Decimal(s.foreignAmount).minus('22.50').times(sample.fxRate).toFixed());
    // A charge the bank took but did not report shows as the tranche's difference, to the cent.
    s.correspondentFees = '0.00';
    s.netForeignAmount = new Decimal(s.foreignAmount).minus('15.00').toFixed();
    const r = reconcile(charged);
    expect(r.differences).toEqual([
      {
        check: 'settlement s1: CNY + rounding remainder = converted x rate',
        difference: new Decimal('-7.50').times(sample.fxRate).toFixed(),
      },
    ]);
  });

  test('before the pay-out the credited CNY must all be in the case account; after it, all paid out', () => {
    const before = recordsOf(sample);
    before.treasury.totalRemitted = '0';
    before.treasury.balance = before.treasury.totalCredited;
    expect(reconcile(before, 'before-payout')).toMatchObject({ ok: true, phase: 'before-payout', differences: [] });
    expect(reconcile(before, 'before-payout').checks.at(-1)?.name).toBe(
      'CNY: credited = case account balance (nothing paid out yet)',
    );
    // Something left before the approval: the pay-out is stopped.
    before.treasury.balance = new Decimal(before.treasury.totalCredited).minus('100').toFixed();
    expect(reconcile(before, 'before-payout').differences).toEqual([
      { check: 'CNY: credited = case account balance (nothing paid out yet)', difference: '100' },
    ]);
    expect(failing(before)).toEqual([
      'CNY: credited = remitted + paid to victims + returned to the owner',
      'CNY: case account balance is zero',
    ]);
  });

  test('an approved difference explains its check only to the last unit, and is booked as its own line', () => {
    const input = recordsOf(sample);
    const s = input.declarations[0]!.settlements[0]!;
    s.cnyAmount = new Decimal(s.cnyAmount).minus('3.21').toFixed();
    const name = 'settlement s1: CNY + rounding remainder = converted x rate';
    const approved = { check: name, decidedBy: 'supervisor.li', reason: 'bank advice BA-7', decidedAt: T };
    expect(reconcile({ ...input, explained: [{ ...approved, difference: '-3.20' }] }).ok).toBe(false);
    const r = reconcile({ ...input, explained: [{ ...approved, difference: '-3.21' }] });
    // The settled = credited check moves with it (the bank credited what it settled): both need a line.
    expect(r.differences.map((d) => d.check)).toEqual(['CNY: settled = credited']);
    expect(r.checks.find((c) => c.name === name)).toMatchObject({
      pass: true,
      difference: '-3.21',
      explainedBy: { decidedBy: 'supervisor.li', reason: 'bank advice BA-7' },
    });
  });

  test('a fee charged in the base currency is flagged rather than silently mis-booked', () => {
    const input = recordsOf(sample);
    const order = input.statement.orders[0];
    if (!order) throw new Error('no order');
    order.feeCurrency = 'BTC';
    expect(failing(input)).toEqual(expect.arrayContaining(['order o0: fee charged in BTC, expected USDT']));
    expect(reconcile(input).ok).toBe(false);
  });

  test('a failed withdrawal and a rejected declaration do not count as moved money', () => {
    const input = recordsOf(sample);
    const w = input.statement.withdrawals[0];
    if (!w) throw new Error('no withdrawal');
    input.statement.withdrawals.push({ ...w, withdrawalId: 'w2', status: 'FAILED' });
    const d = input.declarations[0];
    if (!d) throw new Error('no declaration');
    input.declarations.push({ ...d, declarationId: 'd2', status: 'REJECTED', settlements: [] });
    expect(reconcile(input).ok).toBe(true);
  });

  const lotArb = (asset: 'BTC' | 'ETH' | 'USDT', max: bigint) =>
    fc.record({
      asset: fc.constant(asset),
      received: fc.bigInt({ min: 1n, max }),
      fee: fc.bigInt({ min: 0n, max: max / 1000n }),
      step: fc.bigInt({ min: 1n, max: max / 10n }),
      price: fc.integer({ min: 1, max: 10_000_000 }).map((n) => new Decimal(n).div(100).toFixed()),
    });
  const flowArb: fc.Arbitrary<Flow> = fc.record({
    lots: fc
      .tuple(
        fc.option(lotArb('BTC', 10_000_000_000n), { nil: undefined }),
        fc.option(lotArb('ETH', 10n ** 21n), { nil: undefined }),
        fc.option(lotArb('USDT', 10n ** 12n), { nil: undefined }),
      )
      .map((lots) => lots.filter((l) => l !== undefined))
      .filter((lots) => lots.length > 0),
    feeRate: fc.constantFrom('0', '0.001', '0.0015', '0.002'),
    usdPrice: fc.constantFrom('0.9998', '1', '1.0003'),
    withdrawalFee: fc.constantFrom('0', '25', '0.01'),
    fxRate: fc.constantFrom('7.1234', '7.2', '6.98765'),
    keptBack: fc.bigInt({ min: 0n, max: 1000n }),
    bankCharges: fc.constantFrom('0.00', '15.00', '0.01'),
    correspondentFees: fc.constantFrom('0.00', '7.50', '12.34'),
  });

  test('property: records of any case that follows the flow reconcile, to the last unit', () => {
    fc.assert(
      fc.property(flowArb, (flow) => {
        const failed = failing(recordsOf(flow));
        expect(failed).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  test("a case that booked its leftovers reconciles from the venue's residual lines, not from the workflow's memory", () => {
    const input = asResiduals(recordsOf(sample));
    expect(input.statement.residuals?.length).toBeGreaterThan(0);
    const result = reconcile(input);
    expect(result.ok).toBe(true);
    const venueBtc = result.checks.find((c) => c.name === 'venue BTC: deposited = sold + leftover');
    expect(venueBtc?.right.label).toMatch(/residuals at the venue/);
    // A residual line the exchange service does not have is not explained by anything the workflow remembers.
    const missing = asResiduals(recordsOf(sample));
    missing.statement.residuals = missing.statement.residuals?.filter((r) => r.asset !== 'BTC');
    expect(failing(missing)).toEqual(['venue BTC: deposited = sold + leftover']);
  });

  test("dust returned to custody: the venue's return (gross) = custody's RETURN line + the venue's fee, and custody's balance holds it", () => {
    const input = dustReturned(recordsOf(sample), '0.00000100');
    const result = reconcile(input);
    expect(failing(input)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toContain(
      "BTC: returned from the venue = booked back in custody + the venue's return fees",
    );
    // Custody never booked it: the coins are in flight, unexplained on both sides.
    const unbooked = dustReturned(recordsOf(sample), '0.00000100');
    unbooked.ledger.entries = unbooked.ledger.entries.filter((e) => e.kind !== 'RETURN');
    unbooked.ledger.balances.BTC = '0';
    expect(failing(unbooked)).toEqual([
      "BTC: returned from the venue = booked back in custody + the venue's return fees",
    ]);
    // Custody booked more than the venue sent less its fee.
    const more = dustReturned(recordsOf(sample), '0.00000100');
    bump(
      more.ledger.entries.find((e) => e.kind === 'RETURN'),
      'amount',
      '0.00000001',
    );
    expect(failing(more)).toContain("BTC: returned from the venue = booked back in custody + the venue's return fees");
  });

  test('a FAILED return moved nothing and explains nothing', () => {
    const input = dustReturned(recordsOf(sample), '0.00000100');
    const r = input.statement.returns[0];
    if (r) r.status = 'FAILED';
    expect(reconcile(input).ok).toBe(false);
  });

  test('property: records of any case reconcile the same whether its leftovers are remembered or booked as residuals', () => {
    fc.assert(
      fc.property(flowArb, (flow) => {
        expect(failing(asResiduals(recordsOf(flow)))).toEqual([]);
        // and one unit off any residual line is caught
        const off = asResiduals(recordsOf(flow));
        const line = off.statement.residuals?.[0];
        if (!line) return;
        line.amount = new Decimal(line.amount).plus('0.000001').toFixed();
        expect(reconcile(off).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  test('property: adding one smallest unit to any single amount in any record is caught', () => {
    // Every (record, field) holding an amount that some equation uses.
    const mutations: ((i: ReconcileInput) => boolean)[] = [
      (i) => bump(i.ledger.entries[0], 'amount', '0.000001'),
      (i) => bump(i.statement.deposits[0], 'amount', '0.000001'),
      (i) => bump(i.statement.orders[i.statement.orders.length - 1], 'filled', '0.000001'),
      (i) => bump(i.statement.orders[0], 'cost', '0.000001'),
      (i) => bump(i.statement.orders[0], 'fee', '0.000001'),
      (i) => bump(i.statement.withdrawals[0], 'amount', '0.01'),
      (i) => bump(i.statement.withdrawals[0], 'netAmount', '0.01'),
      (i) => bump(i.declarations[0], 'amount', '0.01'),
      (i) => bump(i.declarations[0]?.settlements[0], 'foreignAmount', '0.01'),
      (i) => bump(i.declarations[0]?.settlements[0], 'bankCharges', '0.01'),
      (i) => bump(i.declarations[0]?.settlements[0], 'correspondentFees', '0.01'),
      (i) => bump(i.declarations[0]?.settlements[0], 'netForeignAmount', '0.01'),
      (i) => bump(i.declarations[0]?.settlements[0], 'cnyAmount', '0.01'),
      (i) => bump(i.treasury, 'totalCredited', '0.01'),
      (i) => bump(i.treasury, 'totalRemitted', '0.01'),
      (i) => bump(i.treasury, 'balance', '0.01'),
    ];
    fc.assert(
      fc.property(flowArb, fc.integer({ min: 0, max: mutations.length - 1 }), (flow, m) => {
        const input = recordsOf(flow);
        const mutate = mutations[m];
        if (!mutate?.(input)) return true;
        return !reconcile(input).ok;
      }),
      { numRuns: 300 },
    );
  });
});

function bump<T extends object>(record: T | undefined, field: keyof T & string, by: string): boolean {
  if (!record) return false;
  const value = record[field];
  if (typeof value !== 'string') return false;
  (record as Record<string, unknown>)[field] = new Decimal(value).plus(by).toFixed();
  return true;
}

describe('reconcile after a correction (issue 13, part 2): the version in force counts, both are shown', () => {
  /** The sample case after its tranche was corrected to `rate` and the treasury carried it after the remittance. */
  function corrected(rate: string, opts: { treasuryCarried?: boolean; followUpRemitted?: boolean } = {}) {
    const input = recordsOf(sample);
    const s = input.declarations[0]!.settlements[0]!;
    const net = new Decimal(s.netForeignAmount!);
    const exact = net.times(rate);
    const cny = roundDown(exact, 2).rounded;
    const after = {
      netForeignAmount: s.netForeignAmount!,
      rate,
      cnyAmount: cny.toFixed(2),
      roundingRemainder: exact.minus(cny).toFixed(),
    };
    const difference = cny.minus(s.cnyAmount);
    s.inForce = after;
    s.corrections = [
      {
        correctionId: 'fxc1',
        settlementId: s.settlementId,
        declarationId: 'd1',
        caseId: 'C',
        currency: 'USD',
        reason: 'wrong rate',
        author: 'fx.officer.wang',
        approver: 'fx.officer.zhao',
        status: 'APPLIED',
        requestedAt: T,
        corrects: null,
        before: {
          netForeignAmount: s.netForeignAmount!,
          rate: s.rate,
          cnyAmount: s.cnyAmount,
          roundingRemainder: s.roundingRemainder,
        },
        after,
        cnyDifference: difference.toFixed(2),
      },
    ];
    if (opts.treasuryCarried ?? true) {
      // Remitted the original; credited now the corrected: less → owed back, more → a follow-up.
      input.treasury.totalCredited = cny.toFixed(2);
      if (difference.lt(0)) {
        input.treasury.totalRecoverable = difference.negated().toFixed(2);
      } else if (opts.followUpRemitted ?? true) {
        input.treasury.totalRemitted = new Decimal(input.treasury.totalRemitted).plus(difference).toFixed(2);
      } else {
        input.treasury.balance = difference.toFixed(2);
      }
    }
    return input;
  }

  test('a downward rate correction carried into the treasury as a receivable reconciles, and shows both versions', () => {
    const r = reconcile(corrected('7.0234'));
    expect(r.ok).toBe(true);
    expect(r.corrections).toEqual([
      expect.objectContaining({
        correctionId: 'fxc1',
        before: { rate: '7.1234', cnyAmount: recordsOf(sample).declarations[0]!.settlements[0]!.cnyAmount },
        after: expect.objectContaining({ rate: '7.0234' }),
      }),
    ]);
    const check = r.checks.find((c) => c.name.startsWith('settlement s1: CNY + rounding remainder'));
    expect(check?.name).toMatch(/as corrected by fxc1 \(first .* CNY at 7\.1234\)/);
    const out = r.checks.find((c) => c.name.startsWith('CNY: credited = remitted'));
    expect(out?.right.label).toMatch(/less .* owed back \(recovery receivables\)/);
  });

  test('an FX correction the treasury has not carried, or a follow-up not yet remitted, fails the CNY checks', () => {
    expect(failing(corrected('7.0234', { treasuryCarried: false }))).toEqual(['CNY: settled = credited']);
    expect(failing(corrected('7.2234', { followUpRemitted: false }))).toEqual([
      'CNY: credited = remitted + paid to victims + returned to the owner',
      'CNY: case account balance is zero',
    ]);
    expect(reconcile(corrected('7.2234')).ok).toBe(true);
  });

  test('property: any corrected rate, carried as a receivable or a follow-up, reconciles to the fen', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: 80_000 }), (tenThousandths) => {
        const rate = new Decimal(tenThousandths).div(10_000).toFixed();
        fc.pre(rate !== '7.1234');
        expect(failing(corrected(rate))).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a held case closed with its coins back in custody (HOLD_RESOLUTION CLOSE)', () => {
  /** 1 BTC received, 0.5 sent to the venue (0.0001 network fee), all 0.4999 credited sent back (0.0001 venue fee). */
  function closedInCustody(over: { returnedIntoCustody?: string; venueReturned?: string } = {}): ReconcileInput {
    const line = (kind: 'INTAKE' | 'TRANSFER_OUT' | 'NETWORK_FEE' | 'RETURN', amount: string, n: number) => ({
      entryId: `e${n}`,
      caseId: 'C',
      asset: 'BTC' as const,
      kind,
      amount,
      reference: 'r',
      createdAt: T,
    });
    const back = over.returnedIntoCustody ?? '0.4998';
    const balance = new Decimal('1').minus('0.5').plus(back).toFixed();
    return {
      stablecoin: 'USDT',
      fiat: 'USD',
      ledger: {
        caseId: 'C',
        entries: [
          line('INTAKE', '1', 1),
          line('TRANSFER_OUT', '-0.4999', 2),
          line('NETWORK_FEE', '-0.0001', 3),
          line('RETURN', back, 4),
        ],
        balances: { BTC: balance },
      },
      statement: {
        caseId: 'C',
        deposits: [
          {
            caseId: 'C',
            venue: 'v',
            asset: 'BTC',
            txHash: 'tx1',
            amount: '0.4999',
            status: 'CREDITED',
            venueDepositId: 'd1',
            observedAt: T,
          },
        ],
        orders: [],
        withdrawals: [],
        returns: [
          {
            returnId: 'vr1',
            caseId: 'C',
            venue: 'v',
            asset: 'BTC',
            chain: 'bitcoin',
            amount: over.venueReturned ?? '0.4999',
            fee: '0.0001',
            netAmount: new Decimal(over.venueReturned ?? '0.4999').minus('0.0001').toFixed(),
            toAddress: 'bc1qcase',
            transferId: 't1',
            txHash: 'tx2',
            status: 'SENT',
            requestedAt: T,
          },
        ],
      },
      declarations: [],
      treasury: { caseId: 'C', currency: 'CNY', lines: [], totalCredited: '0', totalRemitted: '0', balance: '0' },
      leftovers: [],
    };
  }

  test('every unit is accounted for: received + returned = transferred + fees + balance; the venue returned what it was given', () => {
    const r = reconcile(closedInCustody(), 'closing');
    expect(r.differences).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'custody BTC: received = transferred + network fees + balance',
        "BTC: returned from the venue = booked back in custody + the venue's return fees",
        'venue BTC: deposited = sold + leftover',
      ]),
    );
  });

  test('a return custody did not book in full, or one the venue did not make in full, is a difference', () => {
    const short = reconcile(closedInCustody({ returnedIntoCustody: '0.4997' }), 'closing');
    expect(short.ok).toBe(false);
    expect(short.differences).toEqual([
      {
        check: "BTC: returned from the venue = booked back in custody + the venue's return fees",
        difference: '0.0001',
      },
    ]);
    const kept = reconcile(closedInCustody({ venueReturned: '0.4998', returnedIntoCustody: '0.4997' }), 'closing');
    expect(kept.differences).toEqual([{ check: 'venue BTC: deposited = sold + leftover', difference: '0.0001' }]);
  });

  /** Then closed to the OWNER: custody sends `sent` of the 0.9998 it holds to the owner (0.0001 network fee). */
  function handedBack(sent: string): ReconcileInput {
    const input = closedInCustody();
    const entry = (kind: 'OWNER_RETURN' | 'NETWORK_FEE', amount: string, n: number) => ({
      entryId: `o${n}`,
      caseId: 'C',
      asset: 'BTC' as const,
      kind,
      amount,
      reference: 'owner-transfer',
      createdAt: T,
    });
    const out = new Decimal(sent);
    input.ledger.entries.push(entry('OWNER_RETURN', out.minus('0.0001').neg().toFixed(), 1));
    input.ledger.entries.push(entry('NETWORK_FEE', '-0.0001', 2));
    input.ledger.balances = { BTC: new Decimal('0.9998').minus(out).toFixed() };
    return input;
  }

  test('closed to the OWNER: every unit handed back is its own line, and the case wallet must be empty', () => {
    const whole = reconcile(handedBack('0.9998'), 'closing');
    expect(whole.differences).toEqual([]);
    expect(whole.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'custody BTC: received = transferred + handed back to the owner + network fees + balance',
        'custody BTC: handed back to the owner, the case wallet is empty',
      ]),
    );
    // A partial hand-back adds up (the rest is the balance) but is not the end an acquittal asks for.
    const part = reconcile(handedBack('0.5'), 'closing');
    expect(part.differences).toEqual([
      { check: 'custody BTC: handed back to the owner, the case wallet is empty', difference: '0.4998' },
    ]);
    // A hand-back custody's ledger lost a unit of breaks the custody equation.
    const lost = handedBack('0.9998');
    lost.ledger.balances = { BTC: '0.00000001' };
    expect(reconcile(lost, 'closing').differences.map((d) => d.check)).toContain(
      'custody BTC: received = transferred + handed back to the owner + network fees + balance',
    );
  });
});
