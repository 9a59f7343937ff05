/**
 * The case's TRANSFER stage: each coin from the case wallet to a venue's whitelisted deposit address (a
 * test deposit to a new address first, confirmed and credited before the bulk), under the disposal plan's
 * signed approvals; a case selling by sale plans asks for each lot's plan and sends each part to its
 * venue or desk (case-desk-delivery.ts). From the first transfer on, a stop brings the unsold coins back
 * (`CaseRun.returnToCustody`, which reads `run.atVenue`).
 */
import type { custody, exchange } from '@vcdc/shared/contracts';
import { Decimal, sum } from '@vcdc/shared/money';
import { calls, confirmations, venueArg, venueWaits } from './case-calls';
import { deliverToDesk } from './case-desk-delivery';
import { DEPOSIT_CONFIRMATION_LIMIT_MS, DEPOSIT_HOLD_DEADLINE, DEPOSIT_HOLD_ESCALATE_AFTER } from './case-policy';
import type { CaseRun } from './case-run';
import { heldAt } from './case-sale';
import { planLot, plannedVenues } from './case-sale-plan';
import type { AssetTransfer } from './case-state';
import { CaseStop } from './case-stop';
import { awaitWhitelisted } from './case-whitelist';
import { CHAIN_OF_ASSET } from './frozen/contracts';
import { durationMs } from './wait-policy';

type Asset = CaseRun['disposing'][number];

/**
 * Every coin this attempt disposes of to the venue (or, by sale plans, to its venues and desks).
 * `carriesProceeds`: a case resumed at SALE whose earlier sales left proceeds at the venue sends nothing of
 * a coin custody no longer holds (it was all sold before the hold).
 */
export async function runTransfer(run: CaseRun, byPlan: boolean, carriesProceeds: boolean): Promise<void> {
  const { reg, caseId, disposing } = run;
  run.checkpoint();
  run.enter(
    'TRANSFER',
    byPlan
      ? `planning the sale of ${disposing.join(', ')} and moving each part to its desk or venue`
      : `moving ${disposing.join(', ')} from custody to ${reg.disposal.venue}`,
  );
  for (const asset of disposing) {
    run.checkpoint();
    // Everything of it was sold before the hold: nothing to send, its proceeds are carried.
    if (carriesProceeds && !new Decimal((await calls.getCustodyAccount(caseId, asset)).balance).gt(0)) continue;
    if (byPlan) await transferByPlan(run, asset);
    else await moveToVenue(run, asset);
  }
}

/** The key of a transfer to another venue than the default names it (the default's keys are as before). */
function venueTag(leg: AssetTransfer): string[] {
  return leg.at === undefined ? [] : [leg.at];
}

/**
 * The coin to a venue's whitelisted deposit address: all of the custody balance (a case without sale
 * plans; a plan's last venue leg), or at most a plan's part for the venue (`planned.amount`).
 */
async function moveToVenue(
  run: CaseRun,
  asset: Asset,
  planned?: { venue: string; amount?: Decimal },
): Promise<AssetTransfer> {
  const { p, caseId } = run;
  const chain = CHAIN_OF_ASSET[asset];
  const at = planned ? run.atOf(planned.venue) : undefined;
  const depositAddress = await calls.getDepositAddress(asset, chain, ...venueArg(at));
  const leg: AssetTransfer = { asset, depositAddress, ...(at === undefined ? {} : { at }) };
  p.transfers.push(leg);
  leg.whitelistEntry = await awaitWhitelisted(run, asset, chain, depositAddress.address, planned?.venue);
  /** What may leave for this venue now: the allowance, and within a plan's part what is left of it. */
  const most = (balance: string, sent?: string) => {
    const allowed = allowance(run, asset, balance, sent);
    return planned?.amount ? Decimal.min(allowed, planned.amount.minus(sent ?? 0)) : allowed;
  };
  // The first transfer to a new address is a small test deposit, confirmed and credited before the bulk.
  const requirement = await calls.getTestDepositRequirement({ chain, address: depositAddress.address, asset });
  if (requirement.required) {
    const account = await calls.getCustodyAccount(caseId, asset);
    const amount = Decimal.min(requirement.maxAmount, account.balance, most(account.balance));
    if (!amount.gt(0)) throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
    leg.testTransfer = await sendToVenue(run, leg, amount, 'TEST_DEPOSIT');
    leg.testDeposit = await venueCredit(run, leg, leg.testTransfer);
    if (!new Decimal(leg.testDeposit.amount).eq(leg.testTransfer.netAmount)) {
      throw new CaseStop(
        'HELD',
        `the venue credited ${leg.testDeposit.amount} ${asset} for a test deposit of ${leg.testTransfer.netAmount}: the bulk transfer waits for a person`,
      );
    }
  }
  const account = await calls.getCustodyAccount(caseId, asset);
  const bulk = Decimal.min(account.balance, most(account.balance, leg.testTransfer?.amount));
  if (bulk.gt(0)) {
    leg.transfer = await sendToVenue(run, leg, bulk, 'VENUE_DEPOSIT');
    leg.deposit = await venueCredit(run, leg, leg.transfer);
  } else if (!leg.testDeposit) {
    throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
  }
  leg.credited = sum([leg.testDeposit?.amount ?? '0', leg.deposit?.amount ?? '0']).toFixed();
  const held = run.atVenue.get(heldAt(asset, at));
  if (held) held.unsold = new Decimal(leg.credited);
  return leg;
}

/**
 * A coin by its sale plan: the plan asked for on what custody holds of it; each venue's part but the
 * last; the desk's block, delivered and settled (its amount is fixed by the trade, and the transfers
 * before it told the chain's fee); then the last venue takes whatever is left (so what network fees
 * took comes off the engine's part, never the desk's). The stablecoin has no plan: it goes to the
 * first venue, sold there for fiat.
 */
async function transferByPlan(run: CaseRun, asset: Asset): Promise<void> {
  const { reg, caseId } = run;
  const venues = plannedVenues(reg.disposal);
  if (asset !== 'BTC' && asset !== 'ETH') {
    await moveToVenue(run, asset, { venue: venues[0] as string });
    return;
  }
  const account = await calls.getCustodyAccount(caseId, asset);
  const available = Decimal.min(account.balance, allowance(run, asset, account.balance));
  if (!available.gt(0)) throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
  // A desk is paid for exactly its block, and the network fees of its delivery (a test deposit to a new
  // address, then the rest) come on top: the lot offered leaves room for them, or a desk taking the
  // whole lot could never be delivered. What a delivery did not spend goes with the last venue's part.
  let deskFee: string | undefined;
  let lot = available;
  if (reg.disposal.desks) {
    deskFee = (await calls.getNetworkFee({ chain: CHAIN_OF_ASSET[asset], asset })).fee;
    lot = available.minus(new Decimal(deskFee).mul(2));
    if (!lot.gt(0)) {
      throw new CaseStop(
        'HELD',
        `the case's ${available.toFixed()} ${asset} do not cover the network fees of a desk's delivery (2 x ${deskFee}): nothing was sold, a person decides`,
      );
    }
    run.show(
      `${asset}: ${lot.toFixed()} offered for sale, ${available.minus(lot).toFixed()} kept for the network fees of a desk's delivery`,
    );
  }
  const plan = await planLot(run, asset, lot);
  const venueLegs = plan.legs.flatMap((l) => (l.kind === 'VENUE' ? [l] : []));
  const toVenue = async (leg: (typeof venueLegs)[number], last: boolean) => {
    run.checkpoint();
    const moved = await moveToVenue(run, asset, {
      venue: leg.venue,
      ...(last ? {} : { amount: new Decimal(leg.amount) }),
    });
    leg.status = 'AT_VENUE';
    leg.delivered = moved.credited;
  };
  for (const leg of venueLegs.slice(0, -1)) await toVenue(leg, false);
  for (const leg of plan.legs) {
    if (leg.kind !== 'DESK') continue;
    run.checkpoint();
    await deliverToDesk(run, asset, leg, deskFee);
  }
  const last = venueLegs[venueLegs.length - 1];
  if (last) await toVenue(last, true);
  else if (deskFee) {
    // The desk took the whole lot and its address was proven: one fee of the two kept was not spent.
    // Worth no more than a transfer of it costs, it stays in the case wallet (custody's balance, reconciled).
    const left = (await calls.getCustodyAccount(caseId, asset)).balance;
    if (new Decimal(left).gt(0))
      run.show(`${left} ${asset} stays in the case wallet: not above a transfer's network fee`);
  }
}

/**
 * What an amended plan lets go of `asset`: the plan's amount is the most that is ever out of the case
 * wallet, as custody counts it (every transfer, less what came back), so what earlier attempts lost to
 * fees, and a test transfer already sent, come off it. The balance otherwise.
 */
function allowance(run: CaseRun, asset: string, balance: string, sent = '0'): Decimal {
  const { p } = run;
  const planned = run.amended?.get(asset);
  if (!planned) return new Decimal(balance);
  const earlier = (p.holds ?? []).flatMap((h) => h.transfers ?? []).filter((l) => l.asset === asset);
  const out = sum(earlier.flatMap((l) => [l.testTransfer?.amount ?? '0', l.transfer?.amount ?? '0']));
  const back = sum(p.returns.filter((r) => r.asset === asset).map((r) => r.received ?? '0'));
  return Decimal.max(planned.minus(out.minus(back)).minus(sent), 0);
}

/** One transfer from the case wallet to the venue; from here a stop brings the coins back. */
async function sendToVenue(
  run: CaseRun,
  leg: AssetTransfer,
  amount: Decimal,
  purpose: 'TEST_DEPOSIT' | 'VENUE_DEPOSIT',
): Promise<custody.Transfer> {
  const { p, caseId } = run;
  run.checkpoint();
  const { asset, depositAddress } = leg;
  const chain = CHAIN_OF_ASSET[asset];
  const transfer = await calls.requestTransfer(
    {
      caseId,
      asset,
      chain,
      toAddress: depositAddress.address,
      amount: amount.toFixed(),
      purpose,
      // Custody moves nothing without the case's signed approvals of the plan (it checks them itself).
      approvals: run.planApprovals,
    },
    // A plan's leg to another venue has keys of its own (the default venue's are as before).
    purpose === 'TEST_DEPOSIT'
      ? run.key('test-deposit', asset, ...venueTag(leg))
      : run.key('transfer', asset, ...venueTag(leg)),
  );
  if (transfer.status === 'FAILED') {
    throw new CaseStop(
      'HELD',
      `the chain refused transfer ${transfer.transferId} of ${asset}; the coins stay in custody`,
    );
  }
  run.sentToVenue(transfer, leg.at);
  p.compensations.push({
    step: `${purpose} ${asset} ${transfer.transferId}`,
    undo: `return ${transfer.netAmount} ${asset} from ${depositAddress.venue} to custody`,
  });
  if (purpose === 'TEST_DEPOSIT') {
    run.show(
      `test deposit of ${transfer.netAmount} ${asset} to ${depositAddress.address}: waiting for its confirmations`,
    );
    await run.interruptible(() => confirmations.awaitTransferConfirmed(transfer.transferId));
  }
  return transfer;
}

/**
 * Wait until the venue credits a transfer. A deposit the venue holds for review (AML) is waited out
 * durably, never resent: the hold and its reason are in the status, the supervisors are told after
 * `deadlines.depositHoldEscalateAfter`, and after `deadlines.depositHoldDeadline` the case is held
 * (the coins are returned). Polls back off to 30 minutes, so even a long hold stays a short history.
 */
async function venueCredit(
  run: CaseRun,
  leg: AssetTransfer,
  transfer: custody.Transfer,
): Promise<exchange.VenueDeposit> {
  const { reg, caseId } = run;
  const q = { caseId, asset: leg.asset, txHash: transfer.txHash };
  const escalateMs = durationMs(reg.deadlines?.depositHoldEscalateAfter ?? DEPOSIT_HOLD_ESCALATE_AFTER);
  const deadlineMs = durationMs(reg.deadlines?.depositHoldDeadline ?? DEPOSIT_HOLD_DEADLINE);
  run.show(
    `waiting for ${leg.depositAddress.venue} to credit ${transfer.netAmount} ${leg.asset} (tx ${transfer.txHash})`,
  );
  let heldSince: number | undefined;
  const waitStarted = Date.now();
  for (let poll = 0; ; poll++) {
    const deposit = await run.interruptible(() => venueWaits.getVenueDeposit(q, ...venueArg(leg.at)));
    if (deposit.status === 'CREDITED') {
      if (leg.hold) leg.hold.releasedAt = new Date().toISOString();
      return deposit;
    }
    if (deposit.status === 'FAILED') {
      throw new CaseStop('HELD', `the venue refused the ${leg.asset} deposit ${transfer.txHash}`);
    }
    // Not seen or still confirming on the venue's side: a day is far beyond any chain's confirmations.
    if (deposit.status !== 'HELD' && Date.now() - waitStarted >= DEPOSIT_CONFIRMATION_LIMIT_MS) {
      throw new CaseStop(
        'HELD',
        `the venue has not credited the ${leg.asset} deposit ${transfer.txHash} within a day (${deposit.status})`,
      );
    }
    if (deposit.status === 'HELD') {
      heldSince ??= Date.now();
      const reason = deposit.holdReason ?? 'no reason given';
      if (!leg.hold) {
        leg.hold = { txHash: transfer.txHash, reason, since: new Date(heldSince).toISOString() };
        run.show(
          `the venue holds the ${leg.asset} deposit ${transfer.txHash} for review: ${reason}; waiting, not resending`,
        );
      }
      const heldFor = Date.now() - heldSince;
      if (!leg.hold.escalated && heldFor >= escalateMs) {
        leg.hold.escalated = new Date().toISOString();
        await run.notify(
          'DEPOSIT_HELD',
          'supervisor',
          `${caseId}: ${leg.depositAddress.venue} has held the ${leg.asset} deposit ${transfer.txHash} since ${leg.hold.since} (${reason})`,
        );
      }
      if (heldFor >= deadlineMs) {
        throw new CaseStop(
          'HELD',
          `the venue held the ${leg.asset} deposit ${transfer.txHash} past the deadline (${reason})`,
        );
      }
    }
    await run.pauseBeforePoll(poll);
  }
}
