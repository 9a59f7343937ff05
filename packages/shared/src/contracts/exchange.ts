/**
 * Exchange service contract (services/exchange). It reaches the venue only through ccxt.
 * Base path /v1. Every POST needs an Idempotency-Key.
 *
 *   GET  /v1/markets/:base/:quote                            -> MarketRules (what an order must respect: lot step, tick, minimums)
 *   GET  /v1/deposit-addresses/:asset?chain=                 -> DepositAddress
 *   GET  /v1/deposits?caseId=&asset=&txHash=                 -> VenueDeposit (404 while the venue has not seen it; HELD with holdReason while under review)
 *   POST /v1/orders                  PlaceSellOrder          -> 201 VenueOrder (an existing order with the same clientOrderId is returned, never placed twice)
 *   GET  /v1/orders/:clientOrderId                           -> VenueOrder (refreshed from the venue, with fills)
 *   POST /v1/orders/:clientOrderId/cancel CancelSellOrder   -> VenueOrder (open remainder cancelled; fills kept)
 *   GET  /v1/markets/:base/:quote/reference-price            -> ReferencePrice (median of venue mids; 503 stale/diverging)
 *   GET  /v1/markets/:base/:quote/legal-floor                -> LegalFloor (20-day average of daily closes by default)
 *   GET  /v1/markets/:base/:quote/volume?since=&until= | ?seconds= -> TradedVolume (the venue's volume in the interval, 1m candles)
 *   GET  /v1/markets/:base/:quote/depth?bandBp=              -> MarketDepth (visible bid quantity within bandBp under the best bid)
 *   GET  /v1/reference-index/:base/:quote                    -> ReferenceIndex (volume-weighted index across every venue, BRR-like, each venue's mid and the median of mids beside it; recorded; 503 too few partitions with volume)
 *   POST /v1/cases/:caseId/route-choices ChooseSaleRoute     -> 201 SaleRouteChoice (direct or through the stablecoin, kept)
 *   GET  /v1/currencies/:currency/withdrawal-terms           -> FiatWithdrawalTerms (the venue's minimum and fee for a bank wire)
 *   POST /v1/withdrawals             RequestWithdrawal       -> 201 VenueWithdrawal
 *   GET  /v1/withdrawals/:withdrawalId                       -> VenueWithdrawal (refreshed from the venue)
 *   POST /v1/returns                 RequestVenueReturn      -> 201 VenueReturnWithdrawal (coins sent back to custody, once per key)
 *   GET  /v1/returns/:returnId                               -> VenueReturnWithdrawal (refreshed from the venue)
 *   GET  /v1/assets/:asset/withdrawal-terms                  -> CoinWithdrawalTerms (the venue's minimum and fee for sending a coin out)
 *   POST /v1/residuals               RecordResidual          -> 201 Residual (an amount the venue cannot sell or pay out, booked in the case's name)
 *   GET  /v1/cases/:caseId/statement                         -> ExchangeStatement (from the service's own records)
 *   GET  /v1/cases/:caseId/best-execution                    -> BestExecutionReport (recomputed from the raw fills)
 *   POST /v1/cases/:caseId/sale-plans PlanSale               -> 201 SalePlanRecord (desk block, venues, alternatives' costs; kept)
 *   GET  /v1/cases/:caseId/sale-plans                        -> { salePlans: SalePlanRecord[] } (oldest first)
 *   POST /v1/rfqs                    (exchange rfq/rfq-contract.ts RequestForQuotes) -> 201 Rfq (the desks asked, every quote kept; TRADED or NO_DESK)
 *   GET  /v1/rfqs/:rfqId, GET /v1/cases/:caseId/rfqs         -> Rfq, { rfqs: Rfq[] }
 *   POST /v1/rfqs/:rfqId/settlement  (SettleDeskTrade)       -> DeskSettlement (coins delivered to the desk, its payment booked once)
 *
 * The routes above act at the default venue. Each further trading venue the service is configured with
 * (TRADING_VENUES, e.g. "osl") has the same routes under /v1/venues/:venueId/ (e.g. POST
 * /v1/venues/osl/orders); an order, withdrawal or return is refreshed only at the venue it was made at.
 */
import { z } from 'zod';
import {
  CryptoAsset,
  checkScale,
  DecimalString,
  FiatCurrency,
  PositiveDecimalString,
  SignedDecimalString,
} from '../money';
import { CaseId, CHAIN_OF_ASSET, Chain, IsoTimestamp } from './common';

export const DepositAddress = z.object({
  asset: CryptoAsset,
  chain: Chain,
  address: z.string(),
  tag: z.string().optional(),
  venue: z.string(),
});
export type DepositAddress = z.infer<typeof DepositAddress>;

/**
 * A market's trading rules: the venue's own, tightened by the exchange service's capability table (what
 * an order may be there; the sale engine never offers a child order outside them). Quantities the step
 * cannot take stay unsold and are booked as leftovers.
 */
export const MarketRules = z.object({
  venue: z.string(),
  symbol: z.string(),
  base: z.string(),
  quote: z.string(),
  /** Quantities must be whole multiples of this. */
  stepSize: DecimalString,
  /** Prices must be whole multiples of this. */
  tickSize: DecimalString,
  minQty: DecimalString,
  maxQty: DecimalString,
  marketOrderMaxQty: DecimalString,
  /** Minimum price × quantity, in the quote currency. */
  minNotional: DecimalString,
});
export type MarketRules = z.infer<typeof MarketRules>;

/** HELD: the venue has the coins but holds them for review (AML) instead of crediting them; not tradable yet. */
export const DepositStatus = z.enum(['PENDING', 'HELD', 'CREDITED', 'FAILED']);
export const VenueDeposit = z.object({
  caseId: CaseId,
  venue: z.string(),
  asset: CryptoAsset,
  txHash: z.string(),
  amount: DecimalString,
  status: DepositStatus,
  /** Why the venue holds the deposit, as the venue gave it (only while HELD). */
  holdReason: z.string().optional(),
  /** The venue's own id for the deposit. */
  venueDepositId: z.string(),
  observedAt: IsoTimestamp,
});
export type VenueDeposit = z.infer<typeof VenueDeposit>;

/** Markets the case sells on: the crypto leg into the stablecoin, the stablecoin into fiat. */
export const MarketSymbol = z
  .string()
  .regex(/^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/, { message: 'must look like "BTC/USDT"' });

export const PlaceSellOrder = z
  .object({
    caseId: CaseId,
    /** Deterministic, derived in the workflow from the case, lot and step: a retry finds the order it already placed. */
    clientOrderId: z.string().regex(/^[A-Za-z0-9_-]{1,36}$/, { message: 'must be 1-36 letters, digits, "_" or "-"' }),
    symbol: MarketSymbol,
    type: z.enum(['market', 'limit']),
    /** Base-currency quantity to sell. */
    amount: PositiveDecimalString,
    limitPrice: PositiveDecimalString.optional(),
    /**
     * Best-execution record (all optional): the parent order (lot) this child order belongs to, e.g.
     * "case-C1/sale/BTC-USDT/1"; the lot's arrival price; the reference price the order was priced from;
     * the legal floor the caller applied. The service stores them with the order; it still checks the
     * order against its own reference and floor.
     */
    parentOrderId: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1-200 visible characters' })
      .optional(),
    arrivalPrice: PositiveDecimalString.optional(),
    referencePrice: PositiveDecimalString.optional(),
    floor: PositiveDecimalString.optional(),
  })
  .refine((o) => o.type === 'market' || o.limitPrice !== undefined, {
    message: 'a limit order needs limitPrice',
    path: ['limitPrice'],
  });
export type PlaceSellOrder = z.infer<typeof PlaceSellOrder>;

export const Fill = z.object({
  tradeId: z.string(),
  price: DecimalString,
  amount: DecimalString,
  /** price × amount, in the quote currency. */
  cost: DecimalString,
  fee: DecimalString,
  feeCurrency: z.string(),
  timestamp: IsoTimestamp,
});
export type Fill = z.infer<typeof Fill>;

export const OrderStatus = z.enum(['open', 'closed', 'canceled', 'rejected']);
export const VenueOrder = z.object({
  caseId: CaseId,
  venue: z.string(),
  clientOrderId: z.string(),
  venueOrderId: z.string(),
  symbol: MarketSymbol,
  side: z.literal('sell'),
  type: z.enum(['market', 'limit']),
  amount: DecimalString,
  filled: DecimalString,
  remaining: DecimalString,
  /** Sum of fill costs (quote currency, before fees). */
  cost: DecimalString,
  averagePrice: DecimalString.nullable(),
  /** Sum of fill fees, in feeCurrency. */
  fee: DecimalString,
  feeCurrency: z.string().nullable(),
  status: OrderStatus,
  fills: z.array(Fill),
  createdAt: IsoTimestamp,
});
export type VenueOrder = z.infer<typeof VenueOrder>;

/** A fair reference price: the median of several venues' mids (exchange service reference-price.ts). */
export const ReferencePrice = z.object({
  /** The stored computation (best-execution records: price_observations.computation_id). */
  id: z.string().optional(),
  symbol: z.string(),
  price: DecimalString,
  at: IsoTimestamp,
  quotes: z.array(
    z.object({
      venue: z.string(),
      bid: DecimalString,
      ask: DecimalString,
      mid: DecimalString,
      at: z.string(),
      excluded: z.enum(['stale', 'unavailable']).optional(),
    }),
  ),
  dispersionBp: DecimalString,
});
export type ReferencePrice = z.infer<typeof ReferencePrice>;

/** The legal floor for a trade date; no price under the rule "none". */
export const LegalFloor = z.object({
  symbol: z.string(),
  rule: z.string(),
  price: DecimalString.optional(),
  tradeDate: z.string(),
  days: z.array(z.object({ day: z.string(), close: DecimalString })),
});
export type LegalFloor = z.infer<typeof LegalFloor>;

/** The venue's traded volume in [since, until), from its one-minute candles (participation caps). */
export const TradedVolume = z.object({
  venue: z.string(),
  symbol: z.string(),
  since: IsoTimestamp,
  until: IsoTimestamp,
  /** In the base asset; the minute `since` falls in counts for its share after `since`. */
  volume: DecimalString,
  /** How many one-minute candles were counted. */
  candles: z.number().int().min(0),
  source: z.string(),
});
export type TradedVolume = z.infer<typeof TradedVolume>;

/**
 * The reference index across venues (exchange service reference-index.ts, in the manner of CF
 * Benchmarks' BRR): over a window of the venues' minute candles split into partitions, the mean of the
 * partitions' volume-weighted medians; each venue's mid and the median of those mids beside it.
 */
export const ReferenceIndex = z.object({
  /** The recorded computation (reference_index_computations.id). */
  id: z.string(),
  symbol: z.string(),
  index: DecimalString,
  at: IsoTimestamp,
  windowStart: IsoTimestamp,
  windowEnd: IsoTimestamp,
  partitions: z.array(
    z.object({ start: IsoTimestamp, end: IsoTimestamp, volume: DecimalString, median: DecimalString.optional() }),
  ),
  partitionsWithVolume: z.number().int().min(0),
  /** Partitions without volume, left out of the mean. */
  emptyPartitions: z.number().int().min(0),
  /** Every venue asked: its candles' count and volume in the window and its mid now, or why it could not be read. */
  venues: z.array(
    z.object({
      venue: z.string(),
      status: z.enum(['read', 'unavailable']),
      candles: z.number().int().min(0),
      volume: DecimalString.optional(),
      mid: DecimalString.optional(),
      error: z.string().optional(),
      midError: z.string().optional(),
    }),
  ),
  /** The median of the same venues' mids, judged as the reference price is (price_observations computation `id`). */
  medianOfMids: z.object({
    id: z.string(),
    outcome: z.enum(['ok', 'stale', 'diverging']),
    price: DecimalString.optional(),
    dispersionBp: DecimalString.optional(),
    detail: z.string().optional(),
  }),
});
export type ReferenceIndex = z.infer<typeof ReferenceIndex>;

/** The bid side visible at the venue now, within a band under the best bid (is a market liquid enough?). */
export const MarketDepth = z.object({
  venue: z.string(),
  symbol: z.string(),
  at: IsoTimestamp,
  bandBp: DecimalString,
  /** Absent when the bid side is empty. */
  bestBid: DecimalString.optional(),
  /** The lowest price the band reaches: best bid less bandBp. */
  bandPrice: DecimalString.optional(),
  /** Bid quantity (base asset) at prices from bandPrice up to the best bid. */
  bidDepth: DecimalString,
  /** How many bid levels the venue showed (ccxt fetchOrderBook). */
  levels: z.number().int().min(0),
});
export type MarketDepth = z.infer<typeof MarketDepth>;

/** POST /v1/orders/:clientOrderId/cancel: cancel what is left of an open order (an order already ended is returned as it ended). */
export const CancelSellOrder = z.object({ caseId: CaseId });
export type CancelSellOrder = z.infer<typeof CancelSellOrder>;

export const RequestWithdrawal = z.object({
  caseId: CaseId,
  currency: FiatCurrency,
  amount: PositiveDecimalString,
  /** A bank account registered with the venue for withdrawals (the offshore bank / trust account). */
  bankAccountId: z.string().min(1).max(64),
});
export type RequestWithdrawal = z.infer<typeof RequestWithdrawal>;

/**
 * What the venue asks of a fiat withdrawal by bank wire (GET /v1/currencies/:currency/withdrawal-terms):
 * less than `minAmount` is refused, and `fee` is taken out of the amount. Fiat under the minimum cannot
 * leave the venue alone: the case handles it before it sells (case-sale.ts).
 */
export const FiatWithdrawalTerms = z.object({
  venue: z.string(),
  currency: FiatCurrency,
  allowed: z.boolean(),
  fee: DecimalString,
  minAmount: DecimalString,
});
export type FiatWithdrawalTerms = z.infer<typeof FiatWithdrawalTerms>;

export const WithdrawalStatus = z.enum(['PENDING', 'COMPLETED', 'FAILED']);
export const VenueWithdrawal = z.object({
  caseId: CaseId,
  venue: z.string(),
  withdrawalId: z.string(),
  currency: FiatCurrency,
  /** Debited from the venue balance. */
  amount: DecimalString,
  /** Venue's withdrawal fee, taken out of amount. */
  fee: DecimalString,
  /** amount - fee: what the bank receives. */
  netAmount: DecimalString,
  bankAccountId: z.string(),
  status: WithdrawalStatus,
  createdAt: IsoTimestamp,
});
export type VenueWithdrawal = z.infer<typeof VenueWithdrawal>;

/**
 * POST /v1/returns: send coins back from the venue to the case's custody wallet (compensation when a
 * case stops after its coins reached the venue). Named after the custody transfer it undoes.
 */
export const RequestVenueReturn = z
  .object({
    caseId: CaseId,
    asset: CryptoAsset,
    chain: Chain,
    /** Debited from the venue balance; the venue's withdrawal fee comes out of it. */
    amount: PositiveDecimalString,
    /** The case's custody wallet address for the asset. */
    toAddress: z.string().regex(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1-200 visible characters' }),
    /** The custody transfer to the venue this return undoes. */
    transferId: z.string().min(1).max(200),
  })
  .refine((r) => CHAIN_OF_ASSET[r.asset] === r.chain, {
    message: 'is not the chain the asset is carried on in this deployment',
    path: ['chain'],
  });
export type RequestVenueReturn = z.infer<typeof RequestVenueReturn>;

/** PENDING: not on chain yet; SENT: broadcast, txHash known; FAILED: nothing left the venue (the balance was restored). */
export const ReturnStatus = z.enum(['PENDING', 'SENT', 'FAILED']);
export const VenueReturnWithdrawal = z.object({
  returnId: z.string(),
  caseId: CaseId,
  venue: z.string(),
  asset: CryptoAsset,
  chain: Chain,
  /** Debited from the venue balance. */
  amount: DecimalString,
  /** The venue's withdrawal fee, taken out of amount. */
  fee: DecimalString,
  /** amount - fee: what reaches the custody wallet. */
  netAmount: DecimalString,
  toAddress: z.string(),
  transferId: z.string(),
  /** The venue's own id for the withdrawal, once it has one. */
  venueWithdrawalId: z.string().optional(),
  /** The chain transaction, once the venue has broadcast it. */
  txHash: z.string().optional(),
  status: ReturnStatus,
  /** Why it failed, as the venue or the service said. */
  failure: z.string().optional(),
  requestedAt: IsoTimestamp,
});
export type VenueReturnWithdrawal = z.infer<typeof VenueReturnWithdrawal>;

/**
 * What the venue asks of sending a coin out (GET /v1/assets/:asset/withdrawal-terms), on the chain the
 * asset is carried on in this deployment: less than `minAmount`, or not more than `fee`, is refused.
 * Dust a sale leaves is returned to custody when it is not under these terms, else booked as a residual.
 */
export const CoinWithdrawalTerms = z.object({
  venue: z.string(),
  asset: CryptoAsset,
  chain: Chain,
  allowed: z.boolean(),
  fee: DecimalString,
  minAmount: DecimalString,
});
export type CoinWithdrawalTerms = z.infer<typeof CoinWithdrawalTerms>;

/**
 * Whether the venue would pay `amount` out under its terms: the rule is money.ts's (venueWouldPayOut),
 * so workflow code asks it without evaluating the contracts.
 */
export { venueWouldPayOut } from '../money';

/**
 * Why an amount stays at the venue in the case's name: under the market's lot step, under its minimum
 * order after the sale, under the smallest unit of the currency (a wire is in whole cents), or under
 * the venue's minimum withdrawal (fiat under the minimum wire; coins under the minimum send).
 */
export const ResidualReason = z.enum([
  'BELOW_LOT_STEP',
  'BELOW_MINIMUM_ORDER',
  'BELOW_SMALLEST_UNIT',
  'BELOW_MINIMUM_WITHDRAWAL',
]);
export type ResidualReason = z.infer<typeof ResidualReason>;

/**
 * POST /v1/residuals: book an amount the case cannot sell or take out of the venue as its own line in
 * the case's name. The service refuses one the venue would pay out (it must go back, not stay) and one
 * larger than what its own records say the case holds at the venue.
 */
export const RecordResidual = z.object({
  caseId: CaseId,
  asset: z.union([CryptoAsset, FiatCurrency]),
  /** Any precision: a remainder under the smallest unit has more places than the currency. */
  amount: PositiveDecimalString,
  reason: ResidualReason,
  /** What the case says about it, for the statement (e.g. the market and its lot step). */
  detail: z.string().min(1).max(500),
});
export type RecordResidual = z.infer<typeof RecordResidual>;

export const Residual = z.object({
  residualId: z.string(),
  caseId: CaseId,
  venue: z.string(),
  asset: z.string(),
  amount: DecimalString,
  reason: ResidualReason,
  detail: z.string(),
  /** The venue's withdrawal terms when it was booked: the evidence that it could not leave. */
  withdrawalMinimum: DecimalString,
  withdrawalFee: DecimalString,
  withdrawalAllowed: z.boolean(),
  recordedAt: IsoTimestamp,
});
export type Residual = z.infer<typeof Residual>;

export const ExchangeStatement = z.object({
  caseId: CaseId,
  deposits: z.array(VenueDeposit),
  orders: z.array(VenueOrder),
  withdrawals: z.array(VenueWithdrawal),
  /** Coins sent back to custody; a FAILED one moved nothing. */
  returns: z.array(VenueReturnWithdrawal),
  /**
   * Amounts held at the venue in the case's name (dust, fiat under the minimum wire). The service always
   * lists them; optional so that statements of earlier versions still parse.
   */
  residuals: z.array(Residual).optional(),
});
export type ExchangeStatement = z.infer<typeof ExchangeStatement>;

/** One computation of the reference price and every venue quote behind it (price_observations). */
export const ReferenceComputation = z.object({
  id: z.string(),
  symbol: z.string(),
  /** ok: `price` is the reference; stale: too few fresh venues; diverging: a fresh mid too far from the median. */
  outcome: z.enum(['ok', 'stale', 'diverging']),
  /** The reference: the median of the counted mids (null unless ok). */
  price: DecimalString.nullable(),
  dispersionBp: DecimalString.nullable(),
  at: IsoTimestamp,
  policy: z.object({ maxAgeMs: z.number().int(), maxDispersionBp: DecimalString, minSources: z.number().int() }),
  quotes: z.array(
    z.object({
      venue: z.string(),
      bid: DecimalString.nullable(),
      ask: DecimalString.nullable(),
      mid: DecimalString.nullable(),
      at: IsoTimestamp.nullable(),
      excluded: z.enum(['stale', 'unavailable']).nullable(),
      detail: z.string().nullable(),
    }),
  ),
});
export type ReferenceComputation = z.infer<typeof ReferenceComputation>;

export const OrderEventKind = z.enum(['placed', 'fill', 'cancel-requested', 'closed', 'canceled', 'rejected']);
export const OrderEvent = z.object({
  event: OrderEventKind,
  /** The venue's time where it gives one (placement, fill, end), else the service's. */
  at: IsoTimestamp,
  recordedAt: IsoTimestamp,
  tradeId: z.string().nullable(),
  detail: z.string().nullable(),
});
export type OrderEvent = z.infer<typeof OrderEvent>;

/** A fill with what best execution asks of it. */
export const BestExecutionFill = z.object({
  tradeId: z.string(),
  venue: z.string(),
  at: IsoTimestamp,
  amount: DecimalString,
  price: DecimalString,
  /** price × amount (quote currency, before the fee). */
  cost: DecimalString,
  fee: DecimalString,
  feeCurrency: z.string(),
  /** The reference in force at the fill: the latest ok computation of the symbol at or before it. */
  reference: z.object({ computationId: z.string(), price: DecimalString, at: IsoTimestamp }).nullable(),
  /** (reference − price) / reference × 10 000: what the fill gave up against the fair price (negative: better). */
  vsReferenceBp: SignedDecimalString.nullable(),
  /** The legal floor in force for the fill (its order's, else the lot's). */
  floor: DecimalString.nullable(),
  belowFloor: z.boolean(),
  /** The venue's traded volume in the fill's minute (ccxt fetchOHLCV 1m) and the fill's share of it. */
  interval: z.object({
    start: IsoTimestamp,
    seconds: z.number().int(),
    /** null: the venue could not be read, or had no candle for the minute. */
    venueVolume: DecimalString.nullable(),
    /** false: read before the minute ended (or not read); read again on the next request. */
    final: z.boolean(),
    /** amount / venueVolume, cut to 6 places. */
    share: DecimalString.nullable(),
    /** All of the case's fills at the venue in that minute / venueVolume (participation). */
    caseShare: DecimalString.nullable(),
  }),
});
export type BestExecutionFill = z.infer<typeof BestExecutionFill>;

export const BestExecutionOrder = z.object({
  clientOrderId: z.string(),
  parentOrderId: z.string().nullable(),
  venue: z.string(),
  venueOrderId: z.string(),
  symbol: MarketSymbol,
  type: z.enum(['market', 'limit']),
  amount: DecimalString,
  limitPrice: DecimalString.nullable(),
  status: OrderStatus,
  createdAt: IsoTimestamp,
  /** In force when placed (null where unknown: orders from before these records, orders adopted on a retry). */
  arrivalPrice: DecimalString.nullable(),
  referencePrice: DecimalString.nullable(),
  floor: DecimalString.nullable(),
  /** The computation the service's pre-trade check used, and the one the order was priced from. */
  checkReferenceId: z.string().nullable(),
  pricedReferenceId: z.string().nullable(),
  filled: DecimalString,
  events: z.array(OrderEvent),
  fills: z.array(BestExecutionFill),
});
export type BestExecutionOrder = z.infer<typeof BestExecutionOrder>;

/** A parent order (lot): its child orders taken together. An order placed on its own is its own lot. */
export const BestExecutionLot = z.object({
  /** null: an order placed without a parent order (then `lotId` is its client order id). */
  parentOrderId: z.string().nullable(),
  lotId: z.string(),
  symbol: MarketSymbol,
  clientOrderIds: z.array(z.string()),
  fillCount: z.number().int(),
  sold: DecimalString,
  /** Σ price × amount, quote currency, before fees. */
  proceeds: DecimalString,
  /** proceeds / sold, cut to 12 places; null without fills. */
  averagePrice: DecimalString.nullable(),
  minFillPrice: DecimalString.nullable(),
  maxFillPrice: DecimalString.nullable(),
  /** The lot's arrival price (its first order's). */
  arrivalPrice: DecimalString.nullable(),
  /** (arrival − average) / arrival × 10 000, cut to 4 places (positive: sold under the arrival price). */
  shortfallBp: SignedDecimalString.nullable(),
  /** The same with the fees taken off the proceeds (when every fee is in the quote currency). */
  shortfallWithFeesBp: SignedDecimalString.nullable(),
  fees: z.array(z.object({ currency: z.string(), amount: DecimalString })),
  /** Against the legal floor: OK, BREACH (a fill under its floor), NO_FLOOR (none in force), NO_FILLS. */
  floor: z.object({
    /** The highest floor in force over the lot's orders. */
    price: DecimalString.nullable(),
    minFillPrice: DecimalString.nullable(),
    result: z.enum(['OK', 'BREACH', 'NO_FLOOR', 'NO_FILLS']),
    /** Trade ids of fills under their floor. */
    breaches: z.array(z.string()),
  }),
  firstFillAt: IsoTimestamp.nullable(),
  lastFillAt: IsoTimestamp.nullable(),
});
export type BestExecutionLot = z.infer<typeof BestExecutionLot>;

const BAND_BP = /^[0-9]{1,4}(\.[0-9]{1,2})?$/;
const MULTIPLE = /^[0-9]{1,3}(\.[0-9]{1,2})?$/;

/** The route rule of a disposal plan (@vcdc/shared/sale-route), with its defaults filled in. */
export const SaleRouteRule = z.object({
  mode: z.enum(['AUTO', 'VIA_STABLECOIN']),
  /** Basis points under the best bid, above 0 and under 10 000 (a band of the whole price would count every bid). */
  bandBp: z
    .string()
    .regex(BAND_BP, { message: 'must be basis points above 0 and under 10000, e.g. "50"' })
    .refine((v) => !BAND_BP.test(v) || Number(v) > 0, { message: 'must be above 0' }),
  /** The book must hold at least the whole lot. */
  minDepthMultiple: z
    .string()
    .regex(MULTIPLE, { message: 'must be a multiple of the lot, e.g. "3"' })
    .refine((v) => !MULTIPLE.test(v) || Number(v) >= 1, { message: 'must be at least 1' }),
});

/** POST /v1/cases/:caseId/route-choices: how one coin lot reaches fiat, decided on the venue's book now. */
export const ChooseSaleRoute = z
  .object({
    asset: z.enum(['BTC', 'ETH']),
    lot: PositiveDecimalString,
    fiat: FiatCurrency,
    rule: SaleRouteRule,
  })
  .superRefine((body, ctx) => checkScale(ctx, ['lot'], body.lot, body.asset));
export type ChooseSaleRoute = z.infer<typeof ChooseSaleRoute>;

/** A route choice as the exchange service decided and keeps it (append-only), with what the direct book showed. */
export const SaleRouteChoice = z.object({
  choiceId: z.string(),
  caseId: CaseId,
  venue: z.string(),
  asset: z.string(),
  lot: DecimalString,
  fiat: z.string(),
  rule: SaleRouteRule,
  route: z.enum(['DIRECT', 'VIA_STABLECOIN']),
  directSymbol: z.string(),
  /** lot x minDepthMultiple: the bid depth the direct market had to show within the band. */
  required: DecimalString,
  /** What the direct market showed within the band; absent when not read (the plan's mode, unlisted, unreadable). */
  seen: DecimalString.optional(),
  depth: z
    .object({
      at: IsoTimestamp,
      bestBid: DecimalString.optional(),
      bandPrice: DecimalString.optional(),
      levels: z.number().int(),
    })
    .optional(),
  /** Why the direct book was not read or not readable. */
  unread: z.string().optional(),
  reason: z.string(),
  decidedAt: IsoTimestamp,
});
export type SaleRouteChoice = z.infer<typeof SaleRouteChoice>;

/**
 * POST /v1/cases/:caseId/sale-plans (issue 16, part 3): where one coin lot is sold. The exchange service
 * reads the books of every trading venue (direct and through the stablecoin), costs the alternatives with
 * @vcdc/shared/sale-plan, asks the desks for a block (when `desks`) taking a quote only at or above the
 * engine's expected price (the hurdle), and keeps the plan with every alternative's expected cost
 * (append-only) for the best-execution file. Idempotent by the Idempotency-Key: a replay answers the plan kept.
 */
export const PlanSale = z
  .object({
    asset: z.enum(['BTC', 'ETH']),
    lot: PositiveDecimalString,
    fiat: FiatCurrency,
    rule: SaleRouteRule,
    /** The engine's number of slices (the disposal plan's execution). */
    slices: z.number().int().min(1).max(100),
    /** Ask the OTC desks for a block (RFQ) before the venues. */
    desks: z.boolean(),
    /**
     * The trading venues the disposal plan allows (its `venues`): the legs name no other. Absent: every
     * trading venue of the service.
     */
    venues: z.array(z.string().min(1).max(30)).min(1).max(5).optional(),
  })
  .superRefine((body, ctx) => checkScale(ctx, ['lot'], body.lot, body.asset));
export type PlanSale = z.infer<typeof PlanSale>;

const SaleRouteName = z.enum(['DIRECT', 'VIA_STABLECOIN']);
export const SalePlanLeg = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('VENUE'),
    venue: z.string(),
    route: SaleRouteName,
    symbol: z.string(),
    amount: DecimalString,
    expectedCostBp: z.string(),
  }),
  z.object({
    kind: z.literal('DESK'),
    desk: z.string(),
    rfqId: z.string(),
    symbol: z.string(),
    amount: DecimalString,
    price: DecimalString,
    expectedCostBp: z.string(),
  }),
]);
export type SalePlanLeg = z.infer<typeof SalePlanLeg>;

export const SaleAlternative = z.discriminatedUnion('kind', [
  z.object({
    kind: z.enum(['MARKET_ORDER', 'ENGINE']),
    venue: z.string(),
    route: SaleRouteName,
    symbol: z.string(),
    expectedCostBp: z.string(),
    fillable: z.boolean(),
  }),
  z.object({
    kind: z.literal('ENGINE_SPLIT'),
    legs: z.array(SalePlanLeg),
    expectedCostBp: z.string(),
    fillable: z.boolean(),
  }),
  z.object({
    kind: z.literal('RFQ_BLOCK'),
    rfqId: z.string(),
    desk: z.string(),
    amount: DecimalString,
    price: DecimalString,
    expectedCostBp: z.string(),
    withRestBp: z.string(),
  }),
]);
export type SaleAlternative = z.infer<typeof SaleAlternative>;

/** A sale plan as the exchange service decided and keeps it, with what it saw. */
export const SalePlanRecord = z.object({
  planId: z.string(),
  caseId: CaseId,
  asset: z.string(),
  lot: DecimalString,
  fiat: z.string(),
  slices: z.number().int(),
  legs: z.array(SalePlanLeg),
  expectedCostBp: z.string(),
  alternatives: z.array(SaleAlternative),
  /** The desks' RFQ for the block, when asked (every quote is kept with it: GET /v1/rfqs/:rfqId). */
  rfqId: z.string().optional(),
  /** The price a desk's quote had to reach (the engine's expected price for the lot), when the desks were asked. */
  hurdle: DecimalString.optional(),
  /** Each book read: venue, market, when, its best bid and levels; or why it could not be read. */
  books: z.array(
    z.object({
      venue: z.string(),
      symbol: z.string(),
      at: IsoTimestamp.optional(),
      bestBid: DecimalString.optional(),
      levels: z.number().int(),
      unread: z.string().optional(),
    }),
  ),
  reason: z.string(),
  decidedAt: IsoTimestamp,
});
export type SalePlanRecord = z.infer<typeof SalePlanRecord>;

/** GET /v1/cases/:caseId/best-execution: recomputed from the stored fills, events and observations on each request. */
/**
 * A request for quotes to the OTC desks (POST /v1/rfqs, services/exchange/src/rfq): what it was judged
 * by, how it ended, and every desk's answer, whatever it was (the best-execution file keeps them all).
 */
export const RfqQuoteStatus = z.enum([
  'QUOTED',
  'ACCEPTED',
  'LOSING',
  'EXPIRED',
  'REFUSED',
  'MISSING',
  'DECLINED',
  'BELOW_FLOOR',
  'OUT_OF_BAND',
  /** Valid, but under the RFQ's hurdle (`minPrice`: the engine is expected to sell for more): kept, never taken. */
  'UNDER_HURDLE',
  'NOT_ASKED',
]);
export const RfqQuote = z.object({
  desk: z.string(),
  status: RfqQuoteStatus,
  quoteId: z.string().optional(),
  price: DecimalString.optional(),
  amount: DecimalString.optional(),
  expiresAt: IsoTimestamp.optional(),
  answeredAt: IsoTimestamp.optional(),
  detail: z.string().optional(),
  tradeId: z.string().optional(),
});
export type RfqQuote = z.infer<typeof RfqQuote>;
export const Rfq = z.object({
  rfqId: z.string(),
  caseId: CaseId,
  symbol: z.string(),
  side: z.literal('sell'),
  amount: DecimalString,
  referencePrice: DecimalString,
  referenceId: z.string().optional(),
  floorRule: z.string(),
  floorPrice: DecimalString.optional(),
  band: DecimalString,
  bandLow: DecimalString,
  bandHigh: DecimalString,
  /** The hurdle a quote had to reach besides the floor and the band (a sale plan's), when one was given. */
  minPrice: DecimalString.optional(),
  deadlineMs: z.number().int(),
  askedAt: IsoTimestamp,
  outcome: z.enum(['TRADED', 'NO_DESK', 'DECIDING']),
  reason: z.string().optional(),
  decidedAt: IsoTimestamp.optional(),
  /** True when no desk traded: the block is sold on the venue through the engine. */
  useEngine: z.boolean(),
  trade: z
    .object({
      desk: z.string(),
      tradeId: z.string(),
      price: DecimalString,
      amount: DecimalString,
      cost: DecimalString,
      currency: z.string(),
      deliverTo: z.object({ asset: z.string(), address: z.string() }),
    })
    .optional(),
  quotes: z.array(RfqQuote),
});
export type Rfq = z.infer<typeof Rfq>;

export const BestExecutionReport = z.object({
  caseId: CaseId,
  generatedAt: IsoTimestamp,
  lots: z.array(BestExecutionLot),
  orders: z.array(BestExecutionOrder),
  /** Every reference computation an order or a fill of the case refers to, with its quotes. */
  referencePrices: z.array(ReferenceComputation),
  /** Each coin's route choice as kept, and the route the rule gives again on what was seen (the same, or a finding). */
  routes: z.array(SaleRouteChoice.extend({ recomputedRoute: z.enum(['DIRECT', 'VIA_STABLECOIN']) })),
  /** The case's requests for quotes to OTC desks, each with every desk's answer (absent: none). */
  rfqs: z.array(Rfq).optional(),
  /** The case's sale plans as kept (POST /v1/cases/:caseId/sale-plans), oldest first (absent: none). */
  salePlans: z.array(SalePlanRecord).optional(),
});
export type BestExecutionReport = z.infer<typeof BestExecutionReport>;
