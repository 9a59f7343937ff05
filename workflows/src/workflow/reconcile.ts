/**
 * Reconciliation: does every unit add up, from custody to the treasury? A pure function over each
 * service's own records (residual lines at the venue, returns to custody; for cases before
 * `dust-residuals`, the leftovers the workflow recorded), so it runs inside the workflow
 * and is tested on its own. Every check is reported, passing or not. All arithmetic in Decimal.
 *
 * It runs twice (issue 13). Before the pay-out (`phase: 'before-payout'`), once the last tranche is
 * credited and before REMITTANCE (or the JUDGMENT release) is asked: every stage net of every fee and
 * charge it recorded (venue fees per fill, network fees as their own custody lines, the bank's charges
 * and correspondent fees per tranche, leftovers), and the credited CNY still whole in the case account.
 * Any unexplained difference stops the pay-out: a supervisor decides RECONCILIATION with the
 * differences itemised — approving books each difference as its own explained line (`explained`), or
 * holds the case. After the pay-out (`closing`), the same checks and where the money went.
 *
 * Corrections (issue 13, part 2) are reconciled as they stand: a corrected tranche counts with the
 * version in force (its last correction), and its check names both versions; money paid out too much
 * and owed back (the treasury's recovery receivables) counts against what went out. `corrections`
 * lists every booked correction of a tranche with both versions, so the reconciliation shows them too.
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
  /**
   * What the workflow recorded as left at the venue, per asset: only for cases before `dust-residuals`.
   * Later cases book every leftover in the services' own records instead (the exchange statement's
   * residuals, and returns to custody that custody's ledger books), and pass none here.
   */
  leftovers: ReadonlyArray<{ asset: string; amount: string }>;
  /** Differences a supervisor approved (RECONCILIATION), each booked against the check it explains. */
  explained?: ReadonlyArray<ExplainedDifference>;
  /**
   * The desks' trades of a case sold by sale plans, as the exchange service booked their settlement. The
   * statement already holds each as a venue sale's records (services/exchange/src/rfq): an order filled at
   * the desk (its amount sold, its cost the proceeds, no fee), the coins as deposits credited at the desk
   * and the payment as a withdrawal from it; so they are counted there once, and here only checked: paid =
   * the trade's cost.
   */
  deskTrades?: ReadonlyArray<DeskTrade>;
}

/** A desk trade as settled (the exchange service's GET /v1/rfqs/:rfqId/settlement). */
export interface DeskTrade {
  desk: string;
  tradeId: string;
  asset: string;
  amount: string;
  fiatCurrency: string;
  cost: string;
  paidAmount: string;
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

/** A tranche corrected: the version it replaced and the one in force, who asked, who approved, why. */
export interface ReconciledCorrection {
  settlementId: string;
  correctionId: string;
  before: { rate: string; cnyAmount: string };
  after: { rate: string; cnyAmount: string };
  cnyDifference: string;
  author: string;
  approver?: string;
  reason: string;
}

export interface Reconciliation {
  ok: boolean;
  phase: ReconciliationPhase;
  /** The booked settlement corrections (absent when there are none). */
  corrections?: ReconciledCorrection[];
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

/** A tranche's figures in force: its last correction's, or as the bank's settlement was first recorded. */
function inForce(s: fx.Settlement): { rate: string; cnyAmount: string; roundingRemainder: string } {
  return s.inForce ?? { rate: s.rate, cnyAmount: s.cnyAmount, roundingRemainder: s.roundingRemainder };
}

export function reconcile(input: ReconcileInput, phase: ReconciliationPhase = 'closing'): Reconciliation {
  const { ledger, statement, declarations, stablecoin, fiat } = input;
  const checks: ReconciliationCheck[] = [];
  // What stayed at the venue or went back from it, beside the sales: the workflow's recorded leftovers
  // (earlier cases), the residual lines booked at the venue in the case's name, and returns to custody
  // (gross: the venue's fee came out of them), all from the exchange service's records.
  const residuals = statement.residuals ?? [];
  const returns = (statement.returns ?? []).filter((r) => r.status !== 'FAILED');
  const ofAsset = <T extends { asset: string; amount: string }>(rows: ReadonlyArray<T>, asset: string) =>
    sum(rows.filter((r) => r.asset === asset).map((r) => r.amount));
  const leftover = (asset: string) =>
    ofAsset(input.leftovers, asset).plus(ofAsset(residuals, asset)).plus(ofAsset(returns, asset));
  /** The label of what stayed: the same words as before for a case with no residual or return lines. */
  const stayed = (asset: string) =>
    residuals.some((r) => r.asset === asset) || returns.some((r) => r.asset === asset)
      ? 'sold + residuals at the venue + returned to custody + recorded leftover'
      : 'sold + recorded leftover';
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
    // Coins the venue sent back (a compensation, or a sale's dust) are custody's RETURN lines, net of the venue's fee.
    const backInCustody = total('RETURN');
    const anyReturn = entries.some((e) => e.kind === 'RETURN') || returns.some((r) => r.asset === asset);
    // Coins handed back to the owner on acquittal (a held case closed to the OWNER): their own lines.
    const toOwner = total('OWNER_RETURN').neg();
    const handedBack = entries.some((e) => e.kind === 'OWNER_RETURN');
    checks.push(
      check(
        handedBack
          ? `custody ${asset}: received = transferred + handed back to the owner + network fees + balance`
          : `custody ${asset}: received = transferred + network fees + balance`,
        anyReturn ? 'received (intakes) + returned from the venue (net)' : 'received (intakes)',
        received.plus(backInCustody),
        handedBack
          ? 'transferred net + handed back to the owner (net) + network fees + custody balance'
          : 'transferred net + network fees + custody balance',
        transferred.plus(toOwner).plus(fees).plus(balance),
      ),
    );
    if (handedBack) {
      // Acquittal hands back every unit: nothing of the asset may stay in the case wallet.
      checks.push(
        check(
          `custody ${asset}: handed back to the owner, the case wallet is empty`,
          'custody balance',
          balance,
          'nothing left',
          ZERO,
        ),
      );
    }
    if (anyReturn) {
      const sent = returns.filter((r) => r.asset === asset);
      checks.push(
        check(
          `${asset}: returned from the venue = booked back in custody + the venue's return fees`,
          'returns the venue made (gross)',
          sum(sent.map((r) => r.amount)),
          "custody's RETURN lines + the venue's fees on them",
          backInCustody.plus(sum(sent.map((r) => r.fee))),
        ),
      );
    }
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

  const desks = input.deskTrades ?? [];
  for (const d of desks) {
    checks.push(
      check(
        `desk ${d.desk} trade ${d.tradeId}: paid = the trade's cost`,
        `paid ${d.fiatCurrency}`,
        new Decimal(d.paidAmount),
        `cost of ${d.amount} ${d.asset}`,
        new Decimal(d.cost),
      ),
    );
  }
  // A desk's trade is among the orders (filled at the desk), as the exchange service books it: not added again.
  const soldOf = (asset: string) =>
    sum(liveOrders.filter((o) => splitSymbol(o.symbol).base === asset).map((o) => o.filled));
  const proceedsIn = (asset: string) =>
    sum(liveOrders.filter((o) => splitSymbol(o.symbol).quote === asset).map(proceeds));
  /** A case with desk trades says so in the checks' words (sold and proceeds count them). */
  const andDesks = desks.length > 0 ? ' (venues and desks)' : '';

  // Venue, per non-stablecoin crypto asset deposited.
  const venueAssets = [...new Set(credited.map((d) => d.asset))].filter((a) => a !== stablecoin).sort();
  for (const asset of venueAssets) {
    checks.push(
      check(
        `venue ${asset}: deposited = sold + leftover`,
        `deposits credited${andDesks}`,
        deposited(asset),
        `${stayed(asset)}${andDesks}`,
        soldOf(asset).plus(leftover(asset)),
      ),
    );
  }

  checks.push(
    check(
      `venue ${stablecoin}: deposited + sale proceeds = sold + leftover`,
      `deposits credited + proceeds into ${stablecoin} (cost - fee)`,
      deposited(stablecoin).plus(proceedsIn(stablecoin)),
      stayed(stablecoin),
      soldOf(stablecoin).plus(leftover(stablecoin)),
    ),
  );

  const withdrawals = statement.withdrawals.filter((w) => w.status !== 'FAILED' && w.currency === fiat);
  checks.push(
    check(
      `venue ${fiat}: sale proceeds = withdrawn + leftover`,
      `proceeds into ${fiat} (cost - fee)${andDesks}`,
      proceedsIn(fiat),
      residuals.some((r) => r.asset === fiat)
        ? 'withdrawn (gross) + residuals at the venue + recorded leftover'
        : 'withdrawn (gross) + recorded leftover',
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
    const f = inForce(s);
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
    const corrected = s.corrections?.length
      ? ` as corrected by ${s.corrections.map((c) => c.correctionId).join(', ')} (first ${s.cnyAmount} CNY at ${s.rate})`
      : '';
    checks.push(
      check(
        `settlement ${s.settlementId}: CNY + rounding remainder = converted x rate${corrected}`,
        'cnyAmount + roundingRemainder',
        new Decimal(f.cnyAmount).plus(f.roundingRemainder),
        `(foreign amount - bank charges - correspondent fees) x rate (${f.rate})`,
        converted.times(f.rate),
      ),
    );
  }

  const t = input.treasury;
  const settledCny = sum(settlements.map((s) => inForce(s).cnyAmount));
  checks.push(
    check(
      'CNY: settled = credited',
      'settled CNY',
      settledCny,
      'credited to the case account',
      new Decimal(t.totalCredited),
    ),
  );
  // What went out too much and is owed back (the treasury's recovery receivables) did not stay out.
  const recoverable = new Decimal(t.totalRecoverable ?? 0);
  const paidOut = new Decimal(t.totalRemitted)
    .plus(t.totalToVictims ?? 0)
    .plus(t.totalReturnedToOwner ?? 0)
    .minus(recoverable);
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
        `remitted to the treasury, paid to victims, returned to the owner${recoverable.gt(0) ? `, less ${recoverable.toFixed(2)} owed back (recovery receivables)` : ''}`,
        paidOut,
      ),
    );
    checks.push(check('CNY: case account balance is zero', 'balance', new Decimal(t.balance), 'zero', ZERO));
  }

  const explainedChecks = checks.map((c) => explain(c, input.explained ?? []));
  const corrections: ReconciledCorrection[] = settlements.flatMap((s) =>
    (s.corrections ?? []).map((c) => ({
      settlementId: s.settlementId,
      correctionId: c.correctionId,
      before: { rate: c.before.rate, cnyAmount: c.before.cnyAmount },
      after: { rate: c.after.rate, cnyAmount: c.after.cnyAmount },
      cnyDifference: c.cnyDifference,
      author: c.author,
      ...(c.approver ? { approver: c.approver } : {}),
      reason: c.reason,
    })),
  );
  return {
    ok: explainedChecks.every((c) => c.pass),
    phase,
    ...(corrections.length ? { corrections } : {}),
    checks: explainedChecks,
    differences: explainedChecks
      .filter((c) => !c.pass)
      .map((c) => ({ check: c.name, difference: c.difference ?? '0' })),
  };
}
