/**
 * The case's WITHDRAWAL stage: the sale's fiat wired to the offshore bank account (the safe place for fiat:
 * a cancellation from here on leaves the money where it is and stops). What no wire can take — a remainder
 * under the currency's smallest unit, fiat under the venue's minimum wire — is booked at the venue in the
 * case's name with the sale's dust (case-residuals.ts); fiat under the minimum wire holds the case for a
 * supervisor's decision. By the sale plans, each venue's fiat is wired as one venue's is, and FX and the
 * treasury go on with the total (`p.withdrawal`), every wire and desk payment kept.
 */
import { patched } from '@temporalio/workflow';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, roundDownTo } from '@vcdc/shared/money';
import { calls, venueArg, withdrawalWaits } from './case-calls';
import { settleLeftovers } from './case-residuals';
import type { CaseRun } from './case-run';
import type { PlannedVenue, SaleOutcome } from './case-sale';
import { paidIn } from './case-sale-plan';
import { CaseStop } from './case-stop';

/** Wire what the sale brought (`runSale`) to the offshore account; the withdrawal FX declares. */
export async function runWithdrawal(run: CaseRun, sale: SaleOutcome): Promise<exchange.VenueWithdrawal> {
  return sale.byPlan ? await wireEachVenue(run, sale.sold) : await wireTheSale(run, sale);
}

/** A case resumed past the sale: the withdrawal it asked for, waited for again if it had not arrived. */
export async function withdrawalOnResume(run: CaseRun): Promise<exchange.VenueWithdrawal> {
  const { p, reg } = run;
  let w = p.withdrawal;
  if (!w) throw new CaseStop('HELD', 'the case was resumed past the sale, but it holds no withdrawal');
  if (w.status !== 'COMPLETED') {
    const withdrawalId = w.withdrawalId;
    run.enter(
      'WITHDRAWAL',
      `waiting again for withdrawal ${withdrawalId} to reach ${reg.disposal.offshoreBankAccountId}`,
    );
    w = await run.interruptible(() => withdrawalWaits().awaitWithdrawalCompleted(withdrawalId));
    p.withdrawal = w;
  }
  if (!new Decimal(w.netAmount).gt(0))
    throw new CaseStop('HELD', `the withdrawal ${w.withdrawalId} brought nothing after fees`);
  return w;
}

/** The one venue's fiat to the offshore account. */
async function wireTheSale(
  run: CaseRun,
  sale: Extract<SaleOutcome, { byPlan: false }>,
): Promise<exchange.VenueWithdrawal> {
  const { p, reg, caseId } = run;
  const { fiat } = reg.disposal;
  const { wire } = sale;
  // 5. WITHDRAWAL: the fiat to the offshore bank account (the safe place for fiat: a cancellation
  // from here on leaves the money where it is and stops).
  run.checkpoint();
  const fiatToWithdraw = roundDownTo(sale.proceeds, fiat);
  run.leftover(fiat, fiatToWithdraw.remainder, `below the smallest unit of ${fiat}`, 'BELOW_SMALLEST_UNIT');
  // The sale brought less than the venue's minimum wire after all (judged before it at the reference):
  // the fiat stays at the venue in the case's name, booked as its own line, and a supervisor decides.
  const underWire =
    wire !== undefined && (fiatToWithdraw.rounded.lt(wire.minAmount) || fiatToWithdraw.rounded.lte(wire.fee));
  const held = wire ? `under ${wire.venue}'s minimum wire of ${wire.minAmount} ${fiat} (fee ${wire.fee})` : '';
  if (underWire && fiatToWithdraw.rounded.gt(0)) {
    run.leftover(
      fiat,
      fiatToWithdraw.rounded,
      `${held}: held at the venue in the case's name`,
      'BELOW_MINIMUM_WITHDRAWAL',
    );
  }
  // Nothing is silently left at the venue: the sale's dust goes back to custody or is booked there as a
  // residual line in the case's name, and so is fiat no wire can take (case-residuals.ts).
  if (patched('dust-residuals')) {
    p.residualsBooked = true;
    await settleLeftovers(run);
  }
  if (!fiatToWithdraw.rounded.gt(0)) throw new CaseStop('HELD', `no ${fiat} to withdraw`);
  if (underWire) {
    throw new CaseStop(
      'HELD',
      `the sale brought ${fiatToWithdraw.rounded.toFixed()} ${fiat}, ${held}, and no later withdrawal will come for this case: the ${fiat} is held at the venue for a supervisor's decision`,
    );
  }
  run.enter(
    'WITHDRAWAL',
    `withdrawing ${fiatToWithdraw.rounded.toFixed()} ${fiat} to ${reg.disposal.offshoreBankAccountId}`,
  );
  let withdrawal = await calls.requestWithdrawal(
    {
      caseId,
      currency: fiat,
      amount: fiatToWithdraw.rounded.toFixed(),
      bankAccountId: reg.disposal.offshoreBankAccountId,
    },
    run.key('withdrawal', fiat),
  );
  p.withdrawal = withdrawal;
  if (withdrawal.status !== 'COMPLETED') {
    const withdrawalId = withdrawal.withdrawalId;
    withdrawal = await run.interruptible(() => withdrawalWaits().awaitWithdrawalCompleted(withdrawalId));
    p.withdrawal = withdrawal;
  }
  if (!new Decimal(withdrawal.netAmount).gt(0))
    throw new CaseStop('HELD', `the withdrawal ${withdrawal.withdrawalId} brought nothing after fees`);
  return withdrawal;
}

/** By the sale plans: each venue's fiat to the offshore bank account, as one venue's is. */
async function wireEachVenue(
  run: CaseRun,
  sold: Extract<SaleOutcome, { byPlan: true }>['sold'],
): Promise<exchange.VenueWithdrawal> {
  const { p, reg, caseId } = run;
  const { fiat } = reg.disposal;
  // 5. WITHDRAWAL: each venue's fiat to the offshore bank account, as one venue's is.
  run.checkpoint();
  const wires: Array<{ venue: PlannedVenue; amount: Decimal }> = [];
  const under: string[] = [];
  for (const s of sold) {
    const at = s.venue.at;
    const toWire = roundDownTo(s.proceeds, fiat);
    run.leftover(fiat, toWire.remainder, `below the smallest unit of ${fiat}`, 'BELOW_SMALLEST_UNIT', at);
    const w = s.wire;
    if (w && (toWire.rounded.lt(w.minAmount) || toWire.rounded.lte(w.fee))) {
      const held = `under ${s.venue.venue}'s minimum wire of ${w.minAmount} ${fiat} (fee ${w.fee})`;
      run.leftover(
        fiat,
        toWire.rounded,
        `${held}: held at the venue in the case's name`,
        'BELOW_MINIMUM_WITHDRAWAL',
        at,
      );
      if (toWire.rounded.gt(0)) under.push(`${toWire.rounded.toFixed()} ${fiat} ${held}`);
    } else if (toWire.rounded.gt(0)) {
      wires.push({ venue: s.venue, amount: toWire.rounded });
    }
  }
  p.residualsBooked = true;
  await settleLeftovers(run);
  if (under.length > 0) {
    throw new CaseStop(
      'HELD',
      `the sale brought ${under.join('; ')}, and no later withdrawal will come for this case: held at the venue for a supervisor's decision`,
    );
  }
  run.enter(
    'WITHDRAWAL',
    `withdrawing ${wires.map((w) => `${w.amount.toFixed()} ${fiat} from ${w.venue.venue}`).join(', ')} to ${reg.disposal.offshoreBankAccountId}`,
  );
  p.withdrawals = [];
  for (const w of wires) {
    const at = w.venue.at;
    let withdrawal = await calls.requestWithdrawal(
      {
        caseId,
        currency: fiat,
        amount: w.amount.toFixed(),
        bankAccountId: reg.disposal.offshoreBankAccountId,
      },
      at === undefined ? run.key('withdrawal', fiat) : run.key('withdrawal', fiat, at),
      ...venueArg(at),
    );
    p.withdrawals.push(withdrawal);
    if (withdrawal.status !== 'COMPLETED') {
      const withdrawalId = withdrawal.withdrawalId;
      withdrawal = await run.interruptible(() =>
        withdrawalWaits().awaitWithdrawalCompleted(withdrawalId, ...venueArg(at)),
      );
      p.withdrawals[p.withdrawals.length - 1] = withdrawal;
    }
  }
  const total = paidIn(p.withdrawals, p.deskSettlements ?? []);
  p.withdrawal = total;
  if (!new Decimal(total.netAmount).gt(0))
    throw new CaseStop('HELD', `the withdrawals ${total.withdrawalId} brought nothing after fees`);
  return total;
}
