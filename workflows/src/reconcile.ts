/**
 * Reconciliation: does every unit add up, from custody to the treasury? A pure function over each
 * service's own records (and the leftovers the workflow recorded), so it runs inside the workflow
 * and is tested on its own. Every check is reported, passing or not. All arithmetic in Decimal.
 *
 * It runs twice (issue 13). Before the pay-out (`phase: 'before-payout'`), once the last tranche is
 * credited and before REMITTANCE (or the JUDGMENT release) is asked: every stage net of every fee and
 * charge it recorded (venue fees per fill, network fees as their own custody lines, the bank's charges
 * and correspondent fees per tranche, leftovers), and the credited CNY still whole in the case account.
 * Any unexplained difference stops the pay-out: a supervisor decides RECONCILIATION with the
 * differences itemised — approving books each difference as its own explained line (`explained`), or
 * holds the case. After the pay-out (`closing`), the same checks and where the money went.
 */
import type { custody, exchange, fx, treasury } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';

export interface ReconcileInput {
  stablecoin: string;
  fiat: string;
  ledger: custody.CustodyLedger;
  statement: exchange.ExchangeStatement;
  declarations: fx.Declaration[];
  treasury: treasury.CaseStatement;
  /** What the workflow recorded as left at the venue, per asset. */
  leftovers: ReadonlyArray<{ asset: string; amount: string }>;
  /** Differences a supervisor approved (RECONCILIATION), each booked against the check it explains. */
  explained?: ReadonlyArray<ExplainedDifference>;
}

/** `before-payout`: nothing has left the case account yet; `closing` (default): after the pay-out. */
export type ReconciliationPhase = 'before-payout' | 'closing';

/** A difference a supervisor approved: the check it explains, by how much (left − right), who and why. */
export interface ExplainedDifference {
  check: string;
  difference: string;
  decidedBy: string;
  reason: string;
  decidedAt: string;
}

export interface ReconciliationCheck {
  name: string;
  /** The two sides of the equation, as decimal strings, each with what it sums. */
  left: { label: string; amount: string };
  right: { label: string; amount: string };
  pass: boolean;
  /** left − right, when they differ (an unexplained difference, or the one a supervisor approved). */
  difference?: string;
  /** The approved difference that makes this check pass, booked as its own line. */
  explainedBy?: ExplainedDifference;
}

export interface Reconciliation {
  ok: boolean;
  phase: ReconciliationPhase;
  checks: ReconciliationCheck[];
  /** The checks that fail, each with its difference: what a RECONCILIATION decision is asked about. */
  differences: Array<{ check: string; difference: string }>;
}

const ZERO = new Decimal(0);

function check(
  name: string,
  leftLabel: string,
  left: Decimal,
  rightLabel: string,
  right: Decimal,
): ReconciliationCheck {
  return {
    name,
    left: { label: leftLabel, amount: left.toFixed() },
    right: { label: rightLabel, amount: right.toFixed() },
    pass: left.eq(right),
    ...(left.eq(right) ? {} : { difference: left.minus(right).toFixed() }),
  };
}

/** A failing check passes only by a difference approved for it, to the last unit. */
function explain(c: ReconciliationCheck, explained: ReadonlyArray<ExplainedDifference>): ReconciliationCheck {
  if (c.pass || c.difference === undefined) return c;
  const by = explained.find((e) => e.check === c.name && new Decimal(e.difference).eq(c.difference as string));
  return by ? { ...c, pass: true, explainedBy: by } : c;
}

function splitSymbol(symbol: string): { base: string; quote: string } {
  const [base = '', quote = ''] = symbol.split('/');
  return { base, quote };
}

/** Quote currency the order brought in: cost less the fee when the fee was charged in the quote currency. */
function proceeds(order: exchange.VenueOrder): Decimal {
  const { quote } = splitSymbol(order.symbol);
  const fee = order.feeCurrency === quote ? new Decimal(order.fee) : ZERO;
  return new Decimal(order.cost).minus(fee);
}

export function reconcile(input: ReconcileInput, phase: ReconciliationPhase = 'closing'): Reconciliation {
  const { ledger, statement, declarations, stablecoin, fiat } = input;
  const checks: ReconciliationCheck[] = [];
  const leftover = (asset: string) => sum(input.leftovers.filter((l) => l.asset === asset).map((l) => l.amount));
  const credited = statement.deposits.filter((d) => d.status === 'CREDITED');
  const deposited = (asset: string) => sum(credited.filter((d) => d.asset === asset).map((d) => d.amount));
  // Unfilled orders contribute zero to every sum below, so all orders are counted as they stand.
  const liveOrders = statement.orders;

  // Custody, per crypto asset that entered custody.
  const custodyAssets = [...new Set(ledger.entries.map((e) => e.asset))].sort();
  for (const asset of custodyAssets) {
    const entries = ledger.entries.filter((e) => e.asset === asset);
    const total = (kind: string) => sum(entries.filter((e) => e.kind === kind).map((e) => e.amount));
    const received = total('INTAKE');
    const transferred = total('TRANSFER_OUT').neg();
    const fees = total('NETWORK_FEE').neg();
    const balance = new Decimal(ledger.balances[asset] ?? '0');
    // Coins a stopped case brought back from the venue (compensation) are in the case wallet again.
    const returned = total('RETURN');
    checks.push(
      returned.isZero()
        ? check(
            `custody ${asset}: received = transferred + network fees + balance`,
            'received (intakes)',
            received,
            'transferred net + network fees + custody balance',
            transferred.plus(fees).plus(balance),
          )
        : check(
            `custody ${asset}: received + returned = transferred + network fees + balance`,
            'received (intakes) + returned from the venue',
            received.plus(returned),
            'transferred net + network fees + custody balance',
            transferred.plus(fees).plus(balance),
          ),
    );
    checks.push(
      check(
        `${asset}: transferred out of custody = credited at the venue`,
        'custody transfers (net)',
        transferred,
        'venue deposits credited',
        deposited(asset),
      ),
    );
  }

  // Fees must be in the quote currency for the sums below to hold (the only case the skeleton sells in).
  for (const order of liveOrders) {
    const { quote } = splitSymbol(order.symbol);
    const fee = new Decimal(order.fee);
    if (fee.gt(0) && order.feeCurrency !== quote) {
      checks.push(
        check(
          `order ${order.clientOrderId}: fee charged in ${order.feeCurrency}, expected ${quote}`,
          `fee in ${quote}`,
          ZERO,
          `fee in ${order.feeCurrency}`,
          fee,
        ),
      );
    }
  }

  // What left the venue back to custody: debited at the venue (its fee included), and what reached custody.
  const venueReturns = (statement.returns ?? []).filter((r) => r.status !== 'FAILED');
  const returnedFrom = (asset: string) => sum(venueReturns.filter((r) => r.asset === asset).map((r) => r.amount));
  for (const asset of [...new Set(venueReturns.map((r) => r.asset))].sort()) {
    checks.push(
      check(
        `${asset}: returned by the venue (net of its fee) = returned into custody`,
        'venue returns net of the withdrawal fee',
        sum(venueReturns.filter((r) => r.asset === asset).map((r) => r.netAmount)),
        'custody RETURN lines',
        sum(ledger.entries.filter((e) => e.asset === asset && e.kind === 'RETURN').map((e) => e.amount)),
      ),
    );
  }

  const soldOf = (asset: string) =>
    sum(liveOrders.filter((o) => splitSymbol(o.symbol).base === asset).map((o) => o.filled));
  const proceedsIn = (asset: string) =>
    sum(liveOrders.filter((o) => splitSymbol(o.symbol).quote === asset).map(proceeds));

  // Venue, per non-stablecoin crypto asset deposited.
  const venueAssets = [...new Set(credited.map((d) => d.asset))].filter((a) => a !== stablecoin).sort();
  for (const asset of venueAssets) {
    const back = returnedFrom(asset);
    checks.push(
      back.isZero()
        ? check(
            `venue ${asset}: deposited = sold + leftover`,
            'deposits credited',
            deposited(asset),
            'sold + recorded leftover',
            soldOf(asset).plus(leftover(asset)),
          )
        : check(
            `venue ${asset}: deposited = sold + returned + leftover`,
            'deposits credited',
            deposited(asset),
            'sold + returned to custody (gross) + recorded leftover',
            soldOf(asset).plus(back).plus(leftover(asset)),
          ),
    );
  }

  checks.push(
    check(
      `venue ${stablecoin}: deposited + sale proceeds = sold + leftover`,
      `deposits credited + proceeds into ${stablecoin} (cost - fee)`,
      deposited(stablecoin).plus(proceedsIn(stablecoin)),
      returnedFrom(stablecoin).isZero()
        ? 'sold + recorded leftover'
        : 'sold + returned to custody (gross) + recorded leftover',
      soldOf(stablecoin).plus(returnedFrom(stablecoin)).plus(leftover(stablecoin)),
    ),
  );

  const withdrawals = statement.withdrawals.filter((w) => w.status !== 'FAILED' && w.currency === fiat);
  checks.push(
    check(
      `venue ${fiat}: sale proceeds = withdrawn + leftover`,
      `proceeds into ${fiat} (cost - fee)`,
      proceedsIn(fiat),
      'withdrawn (gross) + recorded leftover',
      sum(withdrawals.map((w) => w.amount)).plus(leftover(fiat)),
    ),
  );

  const live = declarations.filter((d) => d.status !== 'REJECTED');
  const declared = sum(live.map((d) => d.amount));
  const settlements = live.flatMap((d) => d.settlements);
  checks.push(
    check(
      `${fiat}: withdrawn net = declared`,
      'withdrawals net of venue fees',
      sum(withdrawals.map((w) => w.netAmount)),
      'declared to the FX regulator',
      declared,
    ),
  );
  checks.push(
    check(
      `${fiat}: declared = settled`,
      'declared',
      declared,
      'settled (foreign amount)',
      sum(settlements.map((s) => s.foreignAmount)),
    ),
  );
  for (const s of settlements) {
    // The bank's charges and the correspondents' fees come off in the foreign currency before
    // conversion: what was converted is the tranche net of them, each booked as its own line.
    const bankCharges = new Decimal(s.bankCharges ?? 0);
    const correspondentFees = new Decimal(s.correspondentFees ?? 0);
    const converted = new Decimal(s.foreignAmount).minus(bankCharges).minus(correspondentFees);
    if (s.netForeignAmount !== undefined) {
      checks.push(
        check(
          `settlement ${s.settlementId}: settled = converted + bank charges + correspondent fees`,
          'settled (foreign amount)',
          new Decimal(s.foreignAmount),
          `converted ${s.netForeignAmount} + bank charges ${bankCharges.toFixed()} + correspondent fees ${correspondentFees.toFixed()}`,
          new Decimal(s.netForeignAmount).plus(bankCharges).plus(correspondentFees),
        ),
      );
    }
    checks.push(
      check(
        `settlement ${s.settlementId}: CNY + rounding remainder = converted x rate`,
        'cnyAmount + roundingRemainder',
        new Decimal(s.cnyAmount).plus(s.roundingRemainder),
        `(foreign amount - bank charges - correspondent fees) x rate (${s.rate})`,
        converted.times(s.rate),
      ),
    );
  }

  const t = input.treasury;
  const settledCny = sum(settlements.map((s) => s.cnyAmount));
  checks.push(
    check(
      'CNY: settled = credited',
      'settled CNY',
      settledCny,
      'credited to the case account',
      new Decimal(t.totalCredited),
    ),
  );
  const paidOut = new Decimal(t.totalRemitted).plus(t.totalToVictims ?? 0).plus(t.totalReturnedToOwner ?? 0);
  if (phase === 'before-payout') {
    // Nothing may have left before the pay-out is approved: the credited CNY are all in the account.
    checks.push(
      check(
        'CNY: credited = case account balance (nothing paid out yet)',
        'credited',
        new Decimal(t.totalCredited),
        'case account balance',
        new Decimal(t.balance),
      ),
    );
  } else {
    // Money leaves the special account to the treasury, to victims by court order, or back to an acquitted owner.
    checks.push(
      check(
        'CNY: credited = remitted + paid to victims + returned to the owner',
        'credited',
        new Decimal(t.totalCredited),
        'remitted to the treasury, paid to victims, returned to the owner',
        paidOut,
      ),
    );
    checks.push(check('CNY: case account balance is zero', 'balance', new Decimal(t.balance), 'zero', ZERO));
  }

  const explainedChecks = checks.map((c) => explain(c, input.explained ?? []));
  return {
    ok: explainedChecks.every((c) => c.pass),
    phase,
    checks: explainedChecks,
    differences: explainedChecks
      .filter((c) => !c.pass)
      .map((c) => ({ check: c.name, difference: c.difference ?? '0' })),
  };
}
