/**
 * The RFQ routes' bodies (POST /v1/rfqs, POST /v1/rfqs/:rfqId/settlement) and the settlement's answer.
 * Kept beside the module until the workflow calls them (route choice per lot is a later step); the RFQ
 * itself is in @vcdc/shared/contracts, as the best-execution report carries it.
 */
import { common, exchange } from '@vcdc/shared/contracts';
import { PositiveDecimalString } from '@vcdc/shared/money';
import { z } from 'zod';

export const RfqId = z.string().regex(/^[A-Za-z0-9_-]{1,36}$/, { message: 'must be 1-36 letters, digits, "_" or "-"' });

export const RequestForQuotes = z
  .object({
    /** The caller's id for this block (derived, like a client order id): a retry finds the RFQ it made. */
    rfqId: RfqId,
    caseId: common.CaseId,
    symbol: exchange.MarketSymbol,
    /** Base-currency quantity to sell. */
    amount: PositiveDecimalString,
    /** How long the desks have to quote (ms). */
    deadlineMs: z.number().int().min(50).max(30_000).optional(),
    /**
     * The lowest price worth taking besides the floor and the band (a sale plan's hurdle: what the engine
     * is expected to get): a valid quote under it is kept as UNDER_HURDLE and never taken.
     */
    minPrice: PositiveDecimalString.optional(),
  })
  .strict();
export type RequestForQuotes = z.infer<typeof RequestForQuotes>;

export const SettleDeskTrade = z
  .object({
    caseId: common.CaseId,
    /** The chain transaction that took the coins to the desk's address (custody's transfer). */
    txHash: z.string().min(1).max(200),
    /**
     * Custody's test deposit to the desk's new address, when there was one: part of the delivery (the
     * desk pays for both transactions together, exactly the trade's amount).
     */
    testTxHash: z.string().min(1).max(200).optional(),
    /** Where the desk pays the fiat (a registered bank account, as for a venue withdrawal). */
    bankAccountId: z.string().min(1).max(64),
  })
  .strict()
  .refine((b) => b.testTxHash !== b.txHash, {
    path: ['testTxHash'],
    message: 'the test deposit is a transaction of its own, not txHash',
  });
export type SettleDeskTrade = z.infer<typeof SettleDeskTrade>;

export type RfqQuote = exchange.RfqQuote;
export type Rfq = exchange.Rfq;

/** A desk trade's settlement as booked (POST and GET /v1/rfqs/:rfqId/settlement answer it). */
export const DeskSettlement = z.object({
  rfqId: z.string(),
  caseId: z.string(),
  desk: z.string(),
  tradeId: z.string(),
  asset: z.string(),
  amount: z.string(),
  address: z.string(),
  txHash: z.string(),
  /** The test deposit that was part of the delivery, if any. */
  testTxHash: z.string().optional(),
  deliveredAt: z.string(),
  fiatCurrency: z.string(),
  cost: z.string(),
  paymentReference: z.string(),
  paidAmount: z.string(),
  paidAt: z.string(),
  bankAccountId: z.string(),
});
export type DeskSettlement = z.infer<typeof DeskSettlement>;
