/**
 * Coins go only to an ACTIVE whitelist entry of the venue (or desk) they are sent to: the custodians
 * whitelist an address (one requests, two others approve, then the cooling-off); the case only tells
 * them and waits (TRANSFER, and a desk's delivery).
 */
import { patched } from '@temporalio/workflow';
import type { custody } from '@vcdc/shared/contracts';
import { calls } from './case-calls';
import type { CaseRun } from './case-run';

/**
 * Coins go only to an ACTIVE whitelist entry of the plan's venue. Custodians put the venue's deposit
 * address on the whitelist (one requests, two others approve, then the cooling-off): the case does
 * not request it itself, it tells the custodians and waits, polling with back-off.
 */
export async function awaitWhitelisted(
  run: CaseRun,
  asset: string,
  chain: string,
  address: string,
  venue: string = run.reg.disposal.venue,
): Promise<custody.WhitelistEntry> {
  const { p } = run;
  for (let poll = 0; ; poll++) {
    const { entries } = await calls.findWhitelistEntries({ chain, address });
    const entry = entries.find((e) => e.status === 'ACTIVE' && e.venue === venue);
    if (entry) {
      p.awaitingWhitelist = undefined;
      return entry;
    }
    const pending = entries.find((e) => e.status === 'PENDING_APPROVAL' || e.status === 'COOLING_OFF');
    p.awaitingWhitelist = {
      asset,
      chain,
      address,
      venue,
      ...(pending ? { entryId: pending.entryId, status: pending.status } : {}),
    };
    if (poll === 0) {
      run.show(`waiting for custodians to whitelist ${venue}'s ${asset} deposit address ${address}`);
      await run.notify(
        'REMINDER',
        'custodian',
        `${p.caseId}: ${venue}'s ${asset} deposit address ${address} (${chain}) must be whitelisted before the coins can move: one custodian requests it, two others approve`,
        { stage: 'WHITELIST' },
      );
    } else if (pending) {
      run.show(`waiting for whitelist entry ${pending.entryId} (${pending.status}) of ${address} to become ACTIVE`);
    }
    // An approved entry says when its cooling-off ends: look again just after, not at the next back-off
    // (a time already past, custody's clock behind ours, goes back to the back-off).
    const activeFrom =
      pending?.status === 'COOLING_OFF' && pending.activeFrom ? Date.parse(pending.activeFrom) : Number.NaN;
    if (activeFrom > Date.now() && patched('whitelist-waits-for-active-from')) {
      await run.pauseUntilActive(activeFrom);
    } else {
      await run.pauseBeforePoll(poll);
    }
  }
}
