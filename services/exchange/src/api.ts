/**
 * The exchange service's HTTP contract: each route with the schemas it parses with (contracts/exchange.ts,
 * the RFQ and register contracts, and the path and query schemas here). app.ts mounts the routes with
 * these very schemas; GET /openapi.json is generated from this table (shared http/openapi.ts), and
 * test/openapi.test.ts holds the two together; callers (the activities) name a route of EXCHANGE_ROUTES
 * (shared http/client.ts routeClient). The venue routes are served for the default venue at
 * /v1/... and for every other trading venue at /v1/venues/{venueId}/v1-less path (/v1/venues/{venueId}/orders).
 */
import {
  type ApiRoute,
  ApproveProviderChange,
  PROVIDER_REGISTER_ROUTES,
  ProposeProviderChange,
  ProviderId,
  ProviderParams,
  ProviderTerms,
  type RouteTable,
  routeList,
} from '@vcdc/shared';
import { common, exchange } from '@vcdc/shared/contracts';
import { CryptoAsset, FiatCurrency } from '@vcdc/shared/money';
import { z } from 'zod';
import { DeskSettlement, RequestForQuotes, RfqId, SettleDeskTrade } from './rfq/rfq-contract';

export const MarketParams = z.object({
  base: z.string().regex(/^[A-Z0-9]{2,10}$/, { message: 'must be an upper-case asset code' }),
  quote: z.string().regex(/^[A-Z0-9]{2,10}$/, { message: 'must be an upper-case asset code' }),
});
export const VolumeQuery = z
  .object({
    since: common.IsoTimestamp.optional(),
    until: common.IsoTimestamp.optional(),
    seconds: z.coerce.number().int().min(1).max(60_000).optional(),
  })
  .refine((q) => (q.since === undefined) !== (q.seconds === undefined), {
    message: 'give since (and optionally until) or seconds',
    path: ['since'],
  })
  .refine((q) => q.seconds === undefined || q.until === undefined, {
    message: 'until goes with since, not with seconds',
    path: ['until'],
  });
export const DepthQuery = z.object({
  bandBp: z.string().regex(/^[0-9]{1,4}(\.[0-9]{1,2})?$/, { message: 'must be basis points, e.g. "50"' }),
});
export const DepositAddressParams = z.object({ asset: CryptoAsset });
export const DepositAddressQuery = z.object({ chain: common.Chain.optional() });
export const DepositQuery = z.object({
  caseId: common.CaseId,
  asset: CryptoAsset,
  txHash: z.string().min(1).max(200),
});
export const OrderParams = z.object({
  clientOrderId: z.string().regex(/^[A-Za-z0-9_-]{1,36}$/, { message: 'must be 1-36 letters, digits, "_" or "-"' }),
});
export const WithdrawalParams = z.object({ withdrawalId: z.string().min(1).max(64) });
export const CurrencyParams = z.object({ currency: FiatCurrency });
export const AssetParams = z.object({ asset: CryptoAsset });
export const ReturnParams = z.object({ returnId: z.string().min(1).max(64) });
export const CaseParams = z.object({ caseId: common.CaseId });
export { ProviderParams };
export const ChangeParams = z.object({ changeId: z.string().min(1).max(64) });
export const RfqParams = z.object({ rfqId: RfqId });
export const ChangesQuery = z.object({ status: z.enum(['PROPOSED', 'APPROVED']).optional() });

/** The routes that act at one venue: its markets, deposits, orders, withdrawals, returns and reports. */
export const VENUE_ROUTES = {
  getMarketRules: {
    method: 'get',
    path: '/v1/markets/:base/:quote',
    summary: "A market's trading rules, tightened by the capability table",
    params: MarketParams,
    response: exchange.MarketRules,
  },
  getReferencePrice: {
    method: 'get',
    path: '/v1/markets/:base/:quote/reference-price',
    summary: "The fair-price guard's reference price (recorded with its quotes)",
    params: MarketParams,
    response: exchange.ReferencePrice,
  },
  getLegalFloor: {
    method: 'get',
    path: '/v1/markets/:base/:quote/legal-floor',
    summary: "The day's legal floor price",
    params: MarketParams,
    response: exchange.LegalFloor,
  },
  getTradedVolume: {
    method: 'get',
    path: '/v1/markets/:base/:quote/volume',
    summary: 'The traded volume in [since, until) or the last `seconds`',
    params: MarketParams,
    query: VolumeQuery,
    response: exchange.TradedVolume,
  },
  getMarketDepth: {
    method: 'get',
    path: '/v1/markets/:base/:quote/depth',
    summary: 'The bids visible now within bandBp under the best bid',
    params: MarketParams,
    query: DepthQuery,
    response: exchange.MarketDepth,
  },
  getDepositAddress: {
    method: 'get',
    path: '/v1/deposit-addresses/:asset',
    summary: "The venue's deposit address for an asset",
    params: DepositAddressParams,
    query: DepositAddressQuery,
    response: exchange.DepositAddress,
  },
  getDeposit: {
    method: 'get',
    path: '/v1/deposits',
    summary: "A case's deposit at the venue, by its transaction",
    query: DepositQuery,
    response: exchange.VenueDeposit,
  },
  placeSellOrder: {
    method: 'post',
    path: '/v1/orders',
    summary: 'Place a sell order (checked against the fair price and the legal floor)',
    body: exchange.PlaceSellOrder,
    response: exchange.VenueOrder,
    status: 201,
  },
  getOrder: {
    method: 'get',
    path: '/v1/orders/:clientOrderId',
    summary: 'An order, refreshed from the venue',
    params: OrderParams,
    response: exchange.VenueOrder,
  },
  cancelSellOrder: {
    method: 'post',
    path: '/v1/orders/:clientOrderId/cancel',
    summary: 'Cancel an order',
    params: OrderParams,
    body: exchange.CancelSellOrder,
    response: exchange.VenueOrder,
    status: 200,
  },
  getFiatWithdrawalTerms: {
    method: 'get',
    path: '/v1/currencies/:currency/withdrawal-terms',
    summary: "A bank wire's minimum and fee",
    params: CurrencyParams,
    response: exchange.FiatWithdrawalTerms,
  },
  getCoinWithdrawalTerms: {
    method: 'get',
    path: '/v1/assets/:asset/withdrawal-terms',
    summary: "A coin withdrawal's minimum and fee",
    params: AssetParams,
    response: exchange.CoinWithdrawalTerms,
  },
  recordResidual: {
    method: 'post',
    path: '/v1/residuals',
    summary: 'Book an amount the case cannot sell or take out, in its name',
    body: exchange.RecordResidual,
    response: exchange.Residual,
    status: 201,
  },
  requestWithdrawal: {
    method: 'post',
    path: '/v1/withdrawals',
    summary: 'Withdraw fiat proceeds to the bank',
    body: exchange.RequestWithdrawal,
    response: exchange.VenueWithdrawal,
    status: 201,
  },
  getWithdrawal: {
    method: 'get',
    path: '/v1/withdrawals/:withdrawalId',
    summary: 'A withdrawal, refreshed from the venue',
    params: WithdrawalParams,
    response: exchange.VenueWithdrawal,
  },
  requestVenueReturn: {
    method: 'post',
    path: '/v1/returns',
    summary: 'Return unsold coins to custody',
    body: exchange.RequestVenueReturn,
    response: exchange.VenueReturnWithdrawal,
    status: 201,
  },
  getVenueReturn: {
    method: 'get',
    path: '/v1/returns/:returnId',
    summary: 'A return, refreshed from the venue',
    params: ReturnParams,
    response: exchange.VenueReturnWithdrawal,
  },
  chooseSaleRoute: {
    method: 'post',
    path: '/v1/cases/:caseId/route-choices',
    summary: "Choose a sale's route (direct or through the stablecoin), kept",
    params: CaseParams,
    body: exchange.ChooseSaleRoute,
    response: exchange.SaleRouteChoice,
    status: 201,
  },
  planSale: {
    method: 'post',
    path: '/v1/cases/:caseId/sale-plans',
    summary: 'Plan where a coin lot is sold (a desk block, the venues), every alternative costed, kept',
    params: CaseParams,
    body: exchange.PlanSale,
    response: exchange.SalePlanRecord,
    status: 201,
  },
  listSalePlans: {
    method: 'get',
    path: '/v1/cases/:caseId/sale-plans',
    summary: "A case's sale plans, oldest first",
    params: CaseParams,
    response: z.object({ salePlans: z.array(exchange.SalePlanRecord) }),
  },
  getBestExecution: {
    method: 'get',
    path: '/v1/cases/:caseId/best-execution',
    summary: "A case's best-execution report",
    params: CaseParams,
    response: exchange.BestExecutionReport,
  },
} as const satisfies RouteTable;

export const VENUE_API: readonly ApiRoute[] = routeList(VENUE_ROUTES);

/** The prefix under which another trading venue's routes are served (its paths without their /v1). */
export const OTHER_VENUE_PREFIX = '/v1/venues/:venueId';

/** A venue route as served for another trading venue: its path under the prefix, `venueId` its first parameter. */
export type AtOtherVenue<R extends ApiRoute> = Omit<R, 'path' | 'params' | 'operationId'> & {
  path: R['path'] extends `/v1${infer Rest}` ? `${typeof OTHER_VENUE_PREFIX}${Rest}` : never;
  params: z.ZodObject;
};

const atOtherVenue = <R extends ApiRoute>(route: R): AtOtherVenue<R> =>
  ({
    ...route,
    path: `${OTHER_VENUE_PREFIX}${route.path.replace(/^\/v1/, '')}`,
    params: route.params
      ? z.object({ venueId: z.string() }).extend((route.params as z.ZodObject).shape)
      : z.object({ venueId: z.string() }),
    summary: `${route.summary} (at another trading venue)`,
  }) as unknown as AtOtherVenue<R>;

type VenueRoutes = typeof VENUE_ROUTES;
/** Each venue route at another trading venue, named `<name>AtVenue` (workflows/src/activities/case-activities.ts `atVenue` picks one). */
export const OTHER_VENUE_ROUTES = Object.fromEntries(
  Object.entries(VENUE_ROUTES).map(([name, route]) => [`${name}AtVenue`, atOtherVenue(route)]),
) as { [K in keyof VenueRoutes & string as `${K}AtVenue`]: AtOtherVenue<VenueRoutes[K]> };

/** What each provider in force is, with its standing today (GET /v1/providers). */
export const ProviderInForce = z.object({
  providerId: ProviderId,
  version: z.number().int().positive(),
  changeId: z.string(),
  terms: ProviderTerms,
  proposedBy: z.string(),
  approvedBy: z.string(),
  effectiveAt: z.string(),
  standing: z.object({ inGoodStanding: z.boolean(), on: z.string(), failures: z.array(z.string()).optional() }),
});

const EXCHANGE_OWN_ROUTES = {
  getReferenceIndex: {
    method: 'get',
    path: '/v1/reference-index/:base/:quote',
    summary: "The volume-weighted reference index across every venue, with each venue's mid",
    params: MarketParams,
    response: exchange.ReferenceIndex,
  },
  getStatement: {
    method: 'get',
    path: '/v1/cases/:caseId/statement',
    summary: "A case's deposits, orders, withdrawals, returns and residuals",
    params: CaseParams,
    response: exchange.ExchangeStatement,
  },
  requestQuotes: {
    method: 'post',
    path: '/v1/rfqs',
    summary: 'Offer a block to the OTC desks: the best valid quote taken, or NO_DESK',
    body: RequestForQuotes,
    response: exchange.Rfq,
    status: 201,
  },
  getRfq: { method: 'get', path: '/v1/rfqs/:rfqId', summary: 'An RFQ', params: RfqParams, response: exchange.Rfq },
  listCaseRfqs: { method: 'get', path: '/v1/cases/:caseId/rfqs', summary: "A case's RFQs", params: CaseParams },
  settleDeskTrade: {
    method: 'post',
    path: '/v1/rfqs/:rfqId/settlement',
    summary: 'The coins reached the desk: the desk pays, both booked once',
    params: RfqParams,
    body: SettleDeskTrade,
    response: DeskSettlement,
    status: 200,
  },
  getDeskSettlement: {
    method: 'get',
    path: '/v1/rfqs/:rfqId/settlement',
    summary: "An RFQ's desk settlement",
    params: RfqParams,
    response: DeskSettlement,
  },
  proposeProviderChange: {
    method: 'post',
    path: '/v1/providers/changes',
    summary: "Propose a provider's next register entry (a person's act)",
    body: ProposeProviderChange,
    status: 201,
  },
  approveProviderChange: {
    method: 'post',
    path: '/v1/providers/changes/:changeId/approval',
    summary: "Approve a proposed register change (another person's act)",
    params: ChangeParams,
    body: ApproveProviderChange,
    status: 201,
  },
  listProviderChanges: {
    method: 'get',
    path: '/v1/providers/changes',
    summary: 'The register changes',
    query: ChangesQuery,
  },
  getProviderChange: {
    method: 'get',
    path: '/v1/providers/changes/:changeId',
    summary: 'A register change',
    params: ChangeParams,
  },
  listProviders: {
    method: 'get',
    path: '/v1/providers',
    summary: 'Each provider in force, with its standing today',
    response: z.object({ providers: z.array(ProviderInForce) }),
  },
  // The one route other services read (custody, fx: shared provider-register-client.ts), defined there.
  getProvider: PROVIDER_REGISTER_ROUTES.getProvider,
} as const satisfies RouteTable;

export const EXCHANGE_ROUTES = {
  ...VENUE_ROUTES,
  ...OTHER_VENUE_ROUTES,
  ...EXCHANGE_OWN_ROUTES,
} satisfies RouteTable;

export const EXCHANGE_API: readonly ApiRoute[] = routeList(EXCHANGE_ROUTES);
