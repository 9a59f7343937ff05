/**
 * The seam to the state treasury's system. In a real deployment the remittance is paid through the
 * treasury's collection system, and the receipt number comes back from it. No such system is connected
 * yet: the only implementation records the remittance locally and issues a receipt number of its own,
 * marked LOCAL so that nobody mistakes it for the treasury's.
 *
 * A real gateway will be called outside the database transaction, keyed by the voucher number so a
 * retry finds the payment it already made (record the order first, then pay, then record the receipt).
 */

export interface RemittanceOrder {
  remittanceId: string;
  caseId: string;
  /** CNY, whole fen. */
  amount: string;
  budgetClassificationCode: string;
  /** Our payment voucher number: unique, the key the treasury knows the payment by. */
  voucherNo: string;
}

export interface TreasuryReceipt {
  receiptNo: string;
}

export interface TreasuryGateway {
  remit(order: RemittanceOrder): Promise<TreasuryReceipt>;
}

/**
 * Issues the receipt locally, derived from the voucher number (`VCH-20260310-000001` →
 * `RCP-LOCAL-20260310-000001`): unique because voucher numbers are, and deterministic.
 * Sends nothing anywhere.
 */
export class LocalReceiptTreasuryGateway implements TreasuryGateway {
  async remit(order: RemittanceOrder): Promise<TreasuryReceipt> {
    const match = /^VCH-(.+)$/.exec(order.voucherNo);
    if (!match) throw new Error(`not a voucher number: ${order.voucherNo}`);
    return { receiptNo: `RCP-LOCAL-${match[1]}` };
  }
}
