/**
 * The case's SALE stage: each coin sold for fiat by the execution engine (a child workflow per round),
 * directly on the direct fiat market where the exchange service finds that book deep enough for it
 * (@vcdc/shared/sale-route, kept by the service), else into the stablecoin; then the whole stablecoin
 * into fiat. A pause of the engine (price band, legal floor, a refused order) or a remainder it could
 * not sell asks a supervisor (SALE_PRICE); a stop returns the unsold coins to custody (the case
 * workflow's compensation, which reads `atVenue`).
 */
import { patched, startChild, upsertSearchAttributes } from '@temporalio/workflow';
import type { custody, exchange } from '@vcdc/shared/contracts';
import { Decimal, roundDownTo, sum } from '@vcdc/shared/money';
import { routeRuleOf } from '@vcdc/shared/sale-route';
import { calls, venueArg } from './case-calls';
import { SALE_HAIRCUT } from './case-policy';
import type { CaseRun } from './case-run';
import type { CaseProgress, SaleRound } from './case-state';
import { CaseStop } from './case-stop';
import { bandLowest, executionParams, placeable } from './sale-execution';
import { proceedsAtVenue } from './sale-proceeds';
import { type SaleExecutionResult, saleExecutionWorkflow, stopSale } from './sale-workflow';
import { ValueUsdKey } from './shared';

/** A coin at one venue: the transfers that took it there and what of it is unsold (for a return). */
export interface VenueHolding {
  asset: string;
  /** A venue other than the exchange service's default (a sale plan's leg); absent: the default. */
  at?: string;
  transfers: custody.Transfer[];
  unsold: Decimal;
}

/** The key of a coin's holding at a venue: the coin alone at the default venue, as before sale plans. */
export function heldAt(asset: string, at?: string): string {
  return at === undefined ? asset : `${asset}@${at}`;
}

/** A sale plan's venue (`runSale`): the coins credited there are sold by the routes the plans chose. */
export interface PlannedVenue {
  venue: string;
  /** Undefined for the exchange service's default venue. */
  at?: string;
  /** Per coin, the plan's leg on this venue (its route and market). */
  legs: ReadonlyMap<string, Extract<exchange.SalePlanLeg, { kind: 'VENUE' }>>;
}

/** What the sale brought, for the WITHDRAWAL stage: at the one venue, or at each venue of the sale plans. */
export type SaleOutcome =
  | { byPlan: false; proceeds: Decimal; wire?: exchange.FiatWithdrawalTerms }
  | { byPlan: true; sold: Array<{ venue: PlannedVenue; proceeds: Decimal; wire?: exchange.FiatWithdrawalTerms }> };

/** Resumed at SALE after part of the coins was sold: those proceeds wait at the venue and go on with the rest. */
export function carriedProceeds(run: CaseRun): ReturnType<typeof proceedsAtVenue> {
  const { stablecoin, fiat } = run.reg.disposal;
  return proceedsAtVenue(run.resume?.from === 'SALE' ? run.p.sales : [], stablecoin, fiat);
}

/**
 * SALE: each coin for fiat, by the execution engine: directly where the direct market is deep enough
 * for it, else into the stablecoin; then the whole stablecoin into fiat. By the sale plans (`byPlan`):
 * at each venue, the coins its legs took there, on the plans' routes (the desks paid already).
 */
export async function runSale(
  run: CaseRun,
  byPlan: boolean,
  carried: ReturnType<typeof proceedsAtVenue>,
): Promise<SaleOutcome> {
  const { p } = run;
  const { stablecoin, fiat } = run.reg.disposal;
  if (byPlan) return { byPlan, sold: await sellByPlan(run) };
  run.checkpoint();
  run.enter('SALE', `selling for ${fiat}: directly where the market is deep enough, else through ${stablecoin}`);
  const { proceeds, wire } = await sellForFiat(run, carried);
  // Sold: nothing of the coins is left at the venue to return (what the venue could not take is in `leftovers`).
  run.soldAll();
  p.valueUsd = proceeds.toFixed(2);
  upsertSearchAttributes([{ key: ValueUsdKey, value: proceeds.toNumber() }]);
  return { byPlan, proceeds, ...(wire ? { wire } : {}) };
}

/** At each venue of the plans, the coins its legs took there sold by the engine on the plans' routes. */
async function sellByPlan(run: CaseRun): Promise<Extract<SaleOutcome, { byPlan: true }>['sold']> {
  const { p, resume } = run;
  const { stablecoin, fiat } = run.reg.disposal;
  const venues = venuesOfPlans(run);
  run.checkpoint();
  run.enter('SALE', `selling for ${fiat} at ${venues.map((v) => v.venue).join(', ')} by the sale plans`);
  const sold: Extract<SaleOutcome, { byPlan: true }>['sold'] = [];
  for (const venue of venues) {
    run.checkpoint();
    // Resumed at SALE: what this venue's earlier sales left there is sold and wired with the rest.
    const carriedHere = proceedsAtVenue(
      resume?.from === 'SALE' ? p.sales.filter((s) => s.at === venue.at) : [],
      stablecoin,
      fiat,
    );
    sold.push({ venue, ...(await sellForFiat(run, carriedHere, venue)) });
    for (const plan of p.salePlans ?? []) {
      for (const leg of plan.legs) if (leg.kind === 'VENUE' && leg.venue === venue.venue) leg.status = 'SOLD';
    }
  }
  // Sold everywhere: nothing of the coins is left at a venue to return (leftovers are booked below).
  run.soldAll();
  const paidByDesks = sum((p.deskSettlements ?? []).map((d) => d.paidAmount));
  const proceeds = sum(sold.map((s) => s.proceeds)).plus(paidByDesks);
  p.valueUsd = proceeds.toFixed(2);
  upsertSearchAttributes([{ key: ValueUsdKey, value: proceeds.toNumber() }]);
  return sold;
}

/** The venues the plans' VENUE legs name, in the order they first appear (the default venue's routes for it). */
function venuesOfPlans(run: CaseRun): PlannedVenue[] {
  const { p, reg, resume } = run;
  const { stablecoin } = reg.disposal;
  const venues: PlannedVenue[] = [];
  const stable = p.transfers.find((t) => t.asset === stablecoin)?.depositAddress.venue;
  const named = [
    ...(p.salePlans ?? []).flatMap((plan) => plan.legs.flatMap((l) => (l.kind === 'VENUE' ? [l.venue] : []))),
    ...(stable ? [stable] : []),
    // Resumed at SALE: a venue where an earlier attempt sold holds its proceeds still.
    ...(resume?.from === 'SALE' ? p.sales.map((s) => s.at ?? reg.disposal.venue) : []),
  ];
  for (const venue of named) {
    if (venues.some((v) => v.venue === venue)) continue;
    const legs = new Map<string, Extract<exchange.SalePlanLeg, { kind: 'VENUE' }>>();
    for (const plan of p.salePlans ?? []) {
      const leg = plan.legs.find((l) => l.kind === 'VENUE' && l.venue === venue);
      if (leg && leg.kind === 'VENUE') legs.set(plan.asset, leg);
    }
    const at = run.atOf(venue);
    venues.push({ venue, ...(at === undefined ? {} : { at }), legs });
  }
  return venues;
}

/**
 * Sell every coin credited at the venue for fiat; returns the fiat proceeds (cost - fee) and the
 * venue's terms for wiring them out (undefined on the path of cases started before those were asked).
 * `carried`: what earlier sales of the case left at the venue (proceedsAtVenue), sold and wired with
 * the rest. `planned`: a case sold by sale plans sells at one venue at a time, by the plans' routes.
 */
export async function sellForFiat(
  run: CaseRun,
  carried: ReturnType<typeof proceedsAtVenue> = { stable: new Decimal(0), fiat: new Decimal(0) },
  planned?: PlannedVenue,
): Promise<{ proceeds: Decimal; wire?: exchange.FiatWithdrawalTerms }> {
  const { p, caseId, atVenue, key, show, checkpoint, whileWorking, stopReason } = run;
  const { awaitDecision, deadlineWords } = run;
  const disposal = run.reg.disposal;
  const { stablecoin, fiat } = disposal;
  const at = planned?.at;
  const where = planned ? ` at ${planned.venue}` : '';
  const leftover = (asset: string, amount: Decimal, reason: string, kind?: exchange.ResidualReason) =>
    run.leftover(asset, amount, reason, kind, at);
  // The coins at this venue: every transfer of the case, or a plan's to this venue.
  const transfers = planned ? p.transfers.filter((t) => t.depositAddress.venue === planned.venue) : p.transfers;
  // Each venue's stock of the stablecoin is its own (its sales' proceeds are sold there).
  const heldKey = (asset: string) => heldAt(asset, at);
  // Small amounts are never stranded: a case wires its fiat out once, after its whole sale, so fiat
  // under the venue's minimum wire could never leave. Judged before anything is sold: such a case sells
  // nothing, its coins go back to custody (the stop's compensation) and a supervisor decides.
  const wire = patched('withdrawal-minimum') ? await calls.getFiatWithdrawalTerms(fiat, ...venueArg(at)) : undefined;
  if (wire) await refuseWhatCouldNotLeave(wire);
  let stable = sum(transfers.filter((t) => t.asset === stablecoin).map((t) => t.credited ?? '0')).plus(carried.stable);
  let fiatProceeds = carried.fiat;
  for (const t of transfers) {
    if (t.asset === stablecoin || !t.credited || !new Decimal(t.credited).gt(0)) continue;
    checkpoint();
    const leg = planned?.legs.get(t.asset);
    let route: 'DIRECT' | 'VIA_STABLECOIN';
    if (planned) {
      // The plan chose the venue's way for this coin, with every alternative's cost (the service keeps it).
      if (!leg) throw new CaseStop('HELD', `${t.asset} reached ${planned.venue}, but no sale plan has a leg there`);
      route = leg.route;
      show(
        `${t.asset}${where}: ${leg.route === 'DIRECT' ? `direct on ${leg.symbol}` : `through ${stablecoin}`} by the sale plan (expected ${leg.expectedCostBp} bp)`,
      );
    } else {
      const choice = await chooseSaleRoute(t.asset, t.credited);
      p.routes.push(choice);
      show(`${t.asset}: ${choice.reason}`);
      route = choice.route;
    }
    if (route === 'DIRECT') fiatProceeds = fiatProceeds.plus(await sell(t.asset, fiat, new Decimal(t.credited)));
    else stable = stable.plus(await sell(t.asset, stablecoin, new Decimal(t.credited)));
  }
  const stableToSell = roundDownTo(stable, stablecoin);
  leftover(stablecoin, stableToSell.remainder, `below the smallest unit of ${stablecoin}`, 'BELOW_SMALLEST_UNIT');
  if (stableToSell.rounded.gt(0)) fiatProceeds = fiatProceeds.plus(await sell(stablecoin, fiat, stableToSell.rounded));
  if (!fiatProceeds.gt(0)) throw new CaseStop('HELD', `the sale${where} brought no ${fiat}`);
  return { proceeds: fiatProceeds, ...(wire ? { wire } : {}) };

  /**
   * The case's coins at the venue valued at the reference (the stablecoin at par), less SALE_HAIRCUT:
   * under the venue's minimum wire (or not above its fee), the case stops HELD before it sells.
   */
  async function refuseWhatCouldNotLeave(terms: exchange.FiatWithdrawalTerms): Promise<void> {
    // What earlier sales left at the venue counts at par (the stablecoin with the dollar, as below).
    let value = carried.stable.plus(carried.fiat);
    for (const t of transfers) {
      if (!t.credited || !new Decimal(t.credited).gt(0)) continue;
      const price = t.asset === stablecoin ? '1' : (await calls.getReferencePrice(`${t.asset}/${stablecoin}`)).price;
      value = value.plus(new Decimal(t.credited).mul(price));
    }
    const expected = value.mul(new Decimal(1).minus(SALE_HAIRCUT)).toDecimalPlaces(2);
    if (expected.gte(terms.minAmount) && expected.gt(terms.fee)) return;
    throw new CaseStop(
      'HELD',
      `the sale${where} would bring about ${expected.toFixed()} ${fiat}, under ${terms.venue}'s minimum wire of ${terms.minAmount} ${fiat} (fee ${terms.fee}), and no later withdrawal will come for this case: nothing was sold; its coins go back to custody and a supervisor decides (combine it with another disposal, or another venue)`,
    );
  }

  /**
   * The route of one coin, decided and kept by the exchange service on the direct market's book now
   * (its record is the dossier's; a venue that does not show the book is its answer too: through the
   * stablecoin). Asked like every other call: the service down is retried, then the case is held.
   */
  async function chooseSaleRoute(asset: 'BTC' | 'ETH', lot: string): Promise<CaseProgress['routes'][number]> {
    const rule = routeRuleOf(disposal.route);
    const kept = await calls.chooseSaleRoute(caseId, { asset, lot, fiat, rule }, key('route', asset));
    if (kept.caseId !== caseId || kept.asset !== asset || !new Decimal(kept.lot).eq(lot) || kept.fiat !== fiat) {
      throw new CaseStop(
        'HELD',
        `the exchange service answered the route of ${lot} ${asset} for case ${caseId} with the choice ${kept.choiceId} for ${kept.lot} ${kept.asset} of case ${kept.caseId}; a person must look`,
      );
    }
    const { choiceId, route, directSymbol, required, seen, reason } = kept;
    return { choiceId, asset, lot: kept.lot, route, directSymbol, required, ...(seen ? { seen } : {}), reason };
  }

  /**
   * Sell `amount` of base for quote with the execution engine (a child workflow per round); a pause
   * (price band, legal floor, a refused order) or a remainder the engine could not sell in its
   * horizon asks a supervisor (SALE_PRICE) to go on from a new arrival price or to stop, which
   * returns the unsold coins to custody. Returns the quote proceeds (cost - fee).
   */
  async function sell(base: string, quote: string, amount: Decimal): Promise<Decimal> {
    const symbol = `${base}/${quote}`;
    const rules = await calls.getMarketRules(base, quote, ...venueArg(at));
    const sliceRules = {
      stepSize: rules.stepSize,
      tickSize: rules.tickSize,
      minQty: rules.minQty,
      minNotional: rules.minNotional,
      maxQty: rules.maxQty,
    };
    const sellable = amount.div(rules.stepSize).floor().mul(rules.stepSize);
    leftover(
      base,
      amount.minus(sellable),
      `below the venue's lot size (${rules.stepSize}) for ${symbol}`,
      'BELOW_LOT_STEP',
    );
    // A plan's sale at another venue is its own parent order (its child orders' ids derive from it).
    const parentOrderId = at === undefined ? key('sale', `${base}-${quote}`) : key('sale', `${base}-${quote}`, at);
    let remaining = sellable;
    let proceeds = new Decimal(0);
    let firstSlice = 1;
    const { bandBp } = executionParams(disposal.execution);
    for (let round = 1; remaining.gt(0); round++) {
      checkpoint();
      const result = await runEngine(round, {
        caseId,
        parentOrderId,
        symbol,
        amount: remaining.toFixed(),
        rules: sliceRules,
        params: disposal.execution,
        firstSlice,
        ...(at === undefined ? {} : { venue: at }),
      });
      // What the chart of the sale shows beside the fills: the round's band and floor, and any pause after it.
      const record: SaleRound = {
        symbol,
        round,
        arrivalPrice: result.arrivalPrice,
        band: { bp: bandBp, lowest: bandLowest(new Decimal(result.arrivalPrice), bandBp).toFixed() },
        floor: result.floor,
        status: result.status,
        ...(result.breach ? { breach: result.breach } : {}),
        orders: result.orders.length,
        endedAt: new Date().toISOString(),
      };
      p.saleRounds = [...(p.saleRounds ?? []), record];
      for (const o of result.orders) {
        p.sales.push({ symbol, ...o, ...(at === undefined ? {} : { at }) });
        if (new Decimal(o.fee).gt(0) && o.feeCurrency !== quote) {
          throw new CaseStop(
            'HELD',
            `order ${o.clientOrderId} (${symbol}) charged its fee in ${o.feeCurrency}, not ${quote}; a person must book it`,
          );
        }
      }
      const sold = new Decimal(result.sold);
      proceeds = proceeds.plus(result.cost).minus(result.fee);
      remaining = new Decimal(result.remaining);
      firstSlice = result.nextSlice;
      const held = atVenue.get(heldKey(base));
      if (held) held.unsold = held.unsold.minus(sold);
      // Stopped by the case's cancellation; a stop the case did not send (a stopSale signal to the engine
      // from a bare Temporal client) cancels nothing: a supervisor decides, as for a pause (SALE_PRICE).
      if (result.status === 'STOPPED') checkpoint();
      if (!remaining.gt(0)) break;
      const reference = new Decimal(result.arrivalPrice);
      if (!placeable(remaining, reference, sliceRules)) {
        leftover(
          base,
          remaining,
          `below the venue's minimum order for ${symbol} after the sale`,
          'BELOW_MINIMUM_ORDER',
        );
        if (held) held.unsold = held.unsold.minus(remaining);
        break;
      }
      const why =
        result.status === 'PAUSED'
          ? `${result.breach?.kind}: ${result.breach?.detail}`
          : result.status === 'STOPPED'
            ? 'the engine was stopped by a signal the case did not send'
            : `the engine sold ${result.sold} of ${result.sold === '0' ? remaining.toFixed() : remaining.plus(sold).toFixed()} ${base} within its band and horizon`;
      record.pause = { why };
      const go = await awaitDecision(
        'SALE_PRICE',
        `a supervisor to continue selling ${remaining.toFixed()} ${base} for ${quote} from a new arrival price, or stop and return it to custody (${why})`,
      );
      record.pause = {
        why,
        until: new Date().toISOString(),
        outcome: go ? go.outcome : 'NO_DECISION',
        ...(go ? { decidedBy: go.decidedBy } : {}),
      };
      if (!go || go.outcome === 'REJECT') {
        throw new CaseStop(
          'HELD',
          `sale of ${base} for ${quote} stopped (${why}): ${go ? `${go.decidedBy}: ${go.reason ?? ''}` : `no decision within ${deadlineWords('SALE_PRICE')}`}`,
        );
      }
    }
    return proceeds;
  }

  /** One round of the engine as a child workflow; a cancellation of the case stops it at the venue. */
  async function runEngine(
    round: number,
    input: Parameters<typeof saleExecutionWorkflow>[0],
  ): Promise<SaleExecutionResult> {
    show(`selling ${input.amount} of ${input.symbol}${where} (round ${round}, execution engine)`);
    const child = await startChild(saleExecutionWorkflow, {
      workflowId: `${input.parentOrderId}/${round}`,
      args: [input],
      staticSummary: `${p.caseId}: sell ${input.amount} ${input.symbol} (round ${round})`,
    });
    return whileWorking(
      () => child.result(),
      () => child.signal(stopSale, stopReason()).catch(() => undefined),
    );
  }
}
