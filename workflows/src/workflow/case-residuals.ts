/**
 * Small amounts are never stranded at the venue (issue 13, part 5): after the sale, each leftover it
 * recorded (dust under a market's lot step or minimum order, a remainder under the smallest unit,
 * fiat under the minimum wire) is handled explicitly, with a line in a service's own records:
 *
 *  - **A coin's dust goes back to custody when the venue can send it.** All the leftovers of one coin
 *    are combined first (the lot-step remainder and what no order could take after the sale are the
 *    same coins at the same venue in the same case's name): at or above the venue's minimum send and
 *    above its fee, they leave in one return to the case wallet, and custody books it (a RETURN
 *    ledger line; the venue's fee is the difference).
 *  - **Otherwise it is booked at the venue as a residual** (the exchange service's `residuals`, on its
 *    audit chain, in the case's statement), one line per leftover with its reason. Dust is bounded by
 *    the market's minimum order, so it is worth less than the smallest sale the venue takes: no
 *    decision is asked for it.
 *  - **Fiat is combined within the case only.** The case already wires all its fiat at once after the
 *    whole sale (every slice's proceeds in one withdrawal). What is left is a remainder under the
 *    currency's smallest unit (a wire is in whole cents, so no later withdrawal can take it) and, when
 *    the whole is under the minimum wire, the fiat itself: both are booked as residuals, and the second
 *    also holds the case for a supervisor's decision (case-withdrawal.ts) — that is the material money.
 *    A residual of the same currency from another case at the same venue is that case's money, never
 *    combined with this one.
 *
 * A return that does not finish is left UNSETTLED with why: the reconciliation before the pay-out then
 * finds the coins unexplained and asks a supervisor (RECONCILIATION), so nothing goes unnoticed.
 */
import { log } from '@temporalio/workflow';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal, sum, venueWouldPayOut } from '@vcdc/shared/money';
import { calls, confirmations, venueArg, venueWaits } from './case-calls';
import type { CaseRun } from './case-run';
import type { Leftover } from './case-state';
import { CHAIN_OF_ASSET } from './frozen/contracts';

export type ResidualContext = Pick<CaseRun, 'p' | 'caseId' | 'key' | 'show'>;

const isCoin = (asset: string): asset is exchange.CoinWithdrawalTerms['asset'] => asset in CHAIN_OF_ASSET;

/** Every leftover not handled yet: coins back to custody where the venue can send them, the rest booked. */
export async function settleLeftovers(ctx: ResidualContext): Promise<void> {
  const open = ctx.p.leftovers.filter((l) => !l.settled && new Decimal(l.amount).gt(0));
  // Per coin at each venue (a sale plan's legs leave their own dust at each venue: combined only there).
  const places = open.filter((l, i) => open.findIndex((o) => o.asset === l.asset && o.at === l.at) === i);
  for (const { asset, at } of places) {
    const lines = open.filter((l) => l.asset === asset && l.at === at);
    if (isCoin(asset)) {
      const total = sum(lines.map((l) => l.amount));
      const terms = await calls.getCoinWithdrawalTerms(asset, ...venueArg(at));
      if (venueWouldPayOut(total, terms)) {
        await returnDust(ctx, asset, total, lines, at);
        continue;
      }
    }
    for (const l of lines) await bookResidual(ctx, l);
  }
}

/**
 * One leftover as a residual line at the venue, in the case's name (keyed by its place in the list). A
 * refusal (the service's records disagree with the case's) leaves it UNSETTLED for a person, never ends
 * the case: the reconciliation before the pay-out finds it unexplained and asks a supervisor.
 */
async function bookResidual(ctx: ResidualContext, l: Leftover): Promise<void> {
  try {
    await bookResidualLine(ctx, l);
  } catch (error) {
    log.error('residual not booked', { asset: l.asset, amount: l.amount, error: String(error) });
    l.settled = { how: 'UNSETTLED', why: `the exchange service did not book it: ${errorMessage(error)}` };
  }
}

function errorMessage(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return (cause?.message ?? (error as Error).message ?? String(error)).slice(0, 300);
}

async function bookResidualLine(ctx: ResidualContext, l: Leftover): Promise<void> {
  const n = ctx.p.leftovers.indexOf(l);
  const residual = await calls.recordResidual(
    {
      caseId: ctx.caseId,
      asset: l.asset as exchange.RecordResidual['asset'],
      amount: l.amount,
      reason: l.kind ?? 'BELOW_MINIMUM_WITHDRAWAL',
      detail: l.reason.slice(0, 500),
    },
    ctx.key('residual', l.asset, String(n)),
    ...venueArg(l.at),
  );
  l.settled = { how: 'RESIDUAL_AT_VENUE', residualId: residual.residualId };
  ctx.show(`${l.amount} ${l.asset} booked at the venue in the case's name (${l.reason})`);
}

/**
 * A coin's combined dust back to the case wallet, named after the transfer that took the coin to the
 * venue (custody takes back at most what a transfer delivered), and booked by custody.
 */
async function returnDust(
  ctx: ResidualContext,
  asset: string,
  total: Decimal,
  lines: Leftover[],
  at?: string,
): Promise<void> {
  const { p, caseId, key, show } = ctx;
  const leg = p.transfers.find((t) => t.asset === asset && t.at === at);
  const tag = at === undefined ? [] : [at];
  const transfer = leg?.transfer ?? leg?.testTransfer;
  if (!transfer) {
    for (const l of lines) l.settled = { how: 'UNSETTLED', why: `no transfer of ${asset} to the venue to return to` };
    return;
  }
  show(`returning the sale's ${total.toFixed()} ${asset} dust from the venue to custody`);
  try {
    const account = await calls.getCustodyAccount(caseId, asset);
    const requested = await calls.requestVenueReturn(
      {
        caseId,
        asset: transfer.asset,
        chain: transfer.chain,
        amount: total.toFixed(),
        toAddress: account.address,
        transferId: transfer.transferId,
      },
      key('dust-return', asset, ...tag),
      ...venueArg(at),
    );
    const sent = requested.txHash
      ? requested
      : await venueWaits.awaitVenueReturnSent(requested.returnId, ...venueArg(at));
    const txHash = sent.txHash as string;
    const booked = await confirmations.recordCustodyReturn(
      { caseId, transferId: transfer.transferId, txHash },
      key('dust-custody-return', asset, ...tag),
    );
    for (const l of lines)
      l.settled = {
        how: 'RETURNED_TO_CUSTODY',
        venueReturnId: requested.returnId,
        txHash,
        custodyReturnId: booked.returnId,
        received: booked.amount,
      };
    show(`${booked.amount} ${asset} of the sale's dust returned to custody (tx ${txHash})`);
  } catch (error) {
    // Left for a person: the reconciliation before the pay-out finds these coins unexplained and asks.
    log.error('dust return to custody failed', { asset, error: String(error) });
    for (const l of lines)
      l.settled = { how: 'UNSETTLED', why: `the return of ${total.toFixed()} ${asset} to custody did not finish` };
  }
}
