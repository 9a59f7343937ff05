/**
 * Where a transfer out of custody stands now, as far as the case knows: the case keeps each transfer
 * as custody answered when it was broadcast, and what happened next in the venue's deposit (credited,
 * held for review, refused). One rule for `vcdc show` and the case file's report.
 */
export interface SentTransfer {
  status: string;
  confirmations?: number;
}

export function transferState(
  sent: SentTransfer,
  deposit: { status: string } | undefined,
  hold: { reason: string; since: string; releasedAt?: string } | undefined,
  time: (iso: string) => string = (iso) => iso,
): string {
  if (sent.status === 'FAILED') return 'FAILED: the chain refused it, nothing was sent';
  if (deposit?.status === 'CREDITED') return 'credited by the venue';
  if (hold && !hold.releasedAt) return `held by the venue since ${time(hold.since)}: ${hold.reason}`;
  if (deposit?.status === 'FAILED') return 'the venue refused the deposit';
  const confirmations = sent.confirmations !== undefined ? ` (${sent.confirmations} confirmations)` : '';
  return `${sent.status}${confirmations}`;
}
