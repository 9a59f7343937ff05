/**
 * A desk's block in a sale plan (issue 16): the coins the desk bought (the RFQ's trade the plan took)
 * delivered to the desk's whitelisted address under the plan's signed approvals, exactly the trade's
 * amount after the network fees, then the trade settled: the desk pays the offshore account.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import { Decimal, fitsScale } from '@vcdc/shared/money';
import { calls, confirmations } from './case-calls';
import type { CaseRun } from './case-run';
import type { CaseProgress, SaleLegProgress } from './case-state';
import { CaseStop } from './case-stop';
import { awaitWhitelisted } from './case-whitelist';
import { CHAIN_OF_ASSET } from './frozen/contracts';

/**
 * A desk's block (the RFQ's trade the plan took): the coins to the desk's whitelisted address (with
 * the plan's signed approvals), exactly the trade's amount after the network fees (one transaction,
 * or custody's test deposit to a new address and the rest),
 * then the trade settled: the desk is told the transaction and pays the offshore account. Not
 * interrupted once a coin has left (a trade half delivered is nobody's safe state), and nothing of it
 * comes back on a stop: the desk bought it.
 */
export async function deliverToDesk(
  run: CaseRun,
  asset: 'BTC' | 'ETH',
  leg: SaleLegProgress & { kind: 'DESK' },
  quotedFee?: string,
): Promise<void> {
  const { p, reg, caseId } = run;
  const { fiat } = reg.disposal;
  const rfq = await calls.getRfq(leg.rfqId);
  const trade = rfq.trade;
  if (
    rfq.caseId !== caseId ||
    rfq.outcome !== 'TRADED' ||
    !trade ||
    trade.desk !== leg.desk ||
    trade.deliverTo.asset !== asset ||
    !new Decimal(trade.amount).eq(leg.amount) ||
    trade.currency !== fiat
  ) {
    throw new CaseStop(
      'HELD',
      `the RFQ ${leg.rfqId} is not the plan's trade of ${leg.amount} ${asset} with ${leg.desk} for ${fiat} (${rfq.outcome}); nothing was sent to a desk, a person must look`,
    );
  }
  // The desk pays the offshore account and FX declares it: a payment in fractions of a cent could be neither.
  if (!fitsScale(trade.cost, fiat)) {
    throw new CaseStop(
      'HELD',
      `${trade.desk}'s trade ${trade.tradeId} costs ${trade.cost} ${fiat}, not a whole number of the currency's smallest unit: nothing was sent to the desk, a person must look`,
    );
  }
  const chain = CHAIN_OF_ASSET[asset];
  const address = trade.deliverTo.address;
  run.show(`delivering ${trade.amount} ${asset} to ${trade.desk} (RFQ ${leg.rfqId}) at ${address}`);
  await awaitWhitelisted(run, asset, chain, address, trade.desk);
  const owed = new Decimal(trade.amount);
  const sent: custody.Transfer[] = [];
  leg.transfers = sent;
  const send = async (amount: Decimal, purpose: 'TEST_DEPOSIT' | 'VENUE_DEPOSIT', step: string) => {
    const transfer = await calls.requestTransfer(
      { caseId, asset, chain, toAddress: address, amount: amount.toFixed(), purpose, approvals: run.planApprovals },
      run.key('desk-delivery', leg.rfqId, step),
    );
    if (transfer.status === 'FAILED') {
      throw new CaseStop('HELD', `the chain refused transfer ${transfer.transferId} of ${asset} to ${trade.desk}`);
    }
    sent.push(transfer);
    await CancellationScope.nonCancellable(() => confirmations.awaitTransferConfirmed(transfer.transferId));
    return transfer;
  };
  // Custody sends nothing to a new address before a confirmed test deposit: it is the delivery's first
  // part, and the rest makes up the trade's amount (the desk pays for both transactions together).
  const requirement = await calls.getTestDepositRequirement({ chain, address, asset });
  const test = requirement.required
    ? await send(Decimal.min(requirement.maxAmount, owed), 'TEST_DEPOSIT', 'test')
    : undefined;
  const rest = owed.minus(test?.netAmount ?? 0);
  // One transfer carries the rest: custody takes the chain's fee out of it, the fee it last charged for the coin.
  const fee = lastNetworkFee(p, asset, sent) ?? quotedFee;
  if (fee === undefined) {
    throw new CaseStop(
      'HELD',
      `the network fee of a ${asset} transfer is not known before the case's first one, and ${trade.desk} takes the block only as exactly ${trade.amount}: nothing was sent to the desk, a person must look`,
    );
  }
  // A test deposit that carried the whole block (a fee-free chain) leaves nothing to send.
  const block = rest.gt(0) || !test ? await send(rest.plus(fee), 'VENUE_DEPOSIT', 'block') : undefined;
  const delivered = new Decimal(block?.netAmount ?? 0).plus(test?.netAmount ?? 0);
  if (!delivered.eq(owed)) {
    throw new CaseStop(
      'HELD',
      `${delivered.toFixed()} ${asset} reached ${trade.desk} in transfers ${sent.map((t) => t.transferId).join(', ')} for a trade of ${owed.toFixed()} (the fee was ${block?.fee}, not ${fee}): a person must settle the difference`,
    );
  }
  leg.status = 'DELIVERED';
  leg.delivered = delivered.toFixed();
  // The desk is told the last transaction, and the test deposit before it when there were two.
  const last = block ?? (test as custody.Transfer);
  const before = block && test ? test : undefined;
  const settlement = await calls.settleDeskTrade(
    leg.rfqId,
    {
      caseId,
      txHash: last.txHash,
      ...(before?.txHash ? { testTxHash: before.txHash } : {}),
      bankAccountId: reg.disposal.offshoreBankAccountId,
    },
    run.key('desk-settlement', leg.rfqId),
  );
  if (!new Decimal(settlement.paidAmount).eq(trade.cost) || settlement.fiatCurrency !== fiat) {
    throw new CaseStop(
      'HELD',
      `${trade.desk} paid ${settlement.paidAmount} ${settlement.fiatCurrency} for trade ${trade.tradeId} of ${trade.cost} ${fiat}: a person must look`,
    );
  }
  p.deskSettlements = [...(p.deskSettlements ?? []), settlement];
  leg.status = 'SETTLED';
  leg.paid = settlement.paidAmount;
  run.show(
    `${trade.desk} paid ${settlement.paidAmount} ${fiat} for ${trade.amount} ${asset} (reference ${settlement.paymentReference})`,
  );
}

/** The network fee custody last charged for the coin in this case (a flat fee per transaction), if any. */
function lastNetworkFee(p: CaseProgress, asset: string, toDesk: readonly custody.Transfer[]): string | undefined {
  const fees = [
    ...p.transfers.filter((t) => t.asset === asset).flatMap((t) => [t.testTransfer?.fee, t.transfer?.fee]),
    ...toDesk.map((t) => t.fee),
  ].filter((f): f is string => f !== undefined);
  return fees[fees.length - 1];
}
