/**
 * Payments from the special account to a person (a victim, an acquitted owner). No bank is connected
 * yet: the payment number is ours (PAY-<yyyymmdd>-<nnnnnn>) and the receipt is issued locally from it,
 * marked LOCAL like the treasury gateway's, so nobody mistakes it for a bank's receipt.
 */
import type { Queryable } from '@vcdc/shared';
import { nextDocumentNo } from './document-numbers';

export async function issuePayment(tx: Queryable, now: Date): Promise<{ paymentNo: string; receiptNo: string }> {
  const paymentNo = await nextDocumentNo(tx, 'PAY', now);
  return { paymentNo, receiptNo: `RCP-LOCAL-${paymentNo}` };
}
