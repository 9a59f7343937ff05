/**
 * A held case closed on acquittal (HOLD_RESOLUTION CLOSE to the OWNER): everything the case wallet holds
 * of each asset goes to the owner's address the two supervisors signed, on the court's order. Custody
 * checks the signed approvals itself (two distinct supervisors, the same resolution, the destination the
 * resolution names, the whole balance): the workflow only carries them. Each asset's transfer has its own
 * step key, so a retried activity or a replayed workflow never sends twice; each waits for its
 * confirmations before the case is reconciled and closed.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { OwnerHandBack } from '@vcdc/shared/acts/pure';
import type { custody } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { calls, confirmations } from './case-calls';
import type { Decision } from './decision';
import { CHAIN_OF_ASSET } from './frozen/contracts';
import { stepKey } from './keys';

/** What went back to the owner: the order, the owner, and one confirmed transfer per asset. */
export interface OwnerHandBackRecord {
  courtOrder: string;
  name: string;
  transfers: Array<
    Pick<custody.Transfer, 'transferId' | 'asset' | 'toAddress' | 'amount' | 'fee' | 'netAmount' | 'txHash' | 'status'>
  >;
}

export interface HandBackInput {
  caseId: string;
  workflowId: string;
  /** Which hold of the case (1 for the first): its steps' keys are its own. */
  hold: number;
  owner: OwnerHandBack;
  /** The two supervisors' HOLD_RESOLUTION approvals, with their signed acts: custody verifies them. */
  approvals: Decision[];
}

/**
 * Hands every asset back, filling `record` as it goes; answers undefined when every transfer is
 * CONFIRMED, or why custody or the chain refused or did not answer in time (the case stays HELD: what
 * was sent stays sent and is waited for again on the next CLOSE; custody's balance shows what is left).
 */
export async function handBackToOwner(input: HandBackInput, record: OwnerHandBackRecord): Promise<string | undefined> {
  for (const { asset, address } of input.owner.addresses) {
    const earlier = record.transfers.filter((t) => t.asset === asset);
    let sent = earlier.find((t) => t.status !== 'FAILED');
    try {
      if (!sent) {
        const { balance } = await calls.getCustodyAccount(input.caseId, asset);
        if (!new Decimal(balance).gt(0)) continue;
        // A transfer the chain refused released its coins: the next one is a request of its own.
        const again = earlier.length > 0 ? [`again-${earlier.length}`] : [];
        sent = view(
          await calls.requestTransfer(
            {
              caseId: input.caseId,
              asset,
              chain: CHAIN_OF_ASSET[asset],
              toAddress: address,
              amount: balance,
              purpose: 'OWNER_RETURN',
              approvals: input.approvals,
            },
            stepKey(input.workflowId, `hold-${input.hold}`, 'owner-return', asset, ...again),
          ),
        );
        record.transfers.push(sent);
      }
      if (sent.status === 'FAILED')
        return `the chain refused the ${asset} transfer ${sent.transferId}: nothing left custody`;
      if (sent.status === 'CONFIRMED') continue;
      const pending = sent;
      try {
        Object.assign(pending, view(await confirmations.awaitTransferConfirmed(pending.transferId)));
      } catch (error) {
        // Custody reports it FAILED after the broadcast: the next CLOSE sends again.
        if (refused(error)) pending.status = 'FAILED';
        throw error;
      }
    } catch (error) {
      if (error instanceof ActivityFailure) {
        const cause = error.cause;
        return `custody did not hand back the ${asset}: ${cause?.message ?? error.message}${cause instanceof ApplicationFailure ? ` [${cause.type ?? 'refused'}]` : ''}`;
      }
      throw error;
    }
  }
  return undefined;
}

function refused(error: unknown): boolean {
  return (
    error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable === true
  );
}

function view(t: custody.Transfer): OwnerHandBackRecord['transfers'][number] {
  const { transferId, asset, toAddress, amount, fee, netAmount, txHash, status } = t;
  return { transferId, asset, toAddress, amount, fee, netAmount, txHash, status };
}
