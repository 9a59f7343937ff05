/**
 * The exchange service's REST API (packages/shared/src/contracts/exchange.ts). Routes are thin: they
 * parse, then call the domain modules, which talk to the venue only through the `Venue` interface.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import {
  ACT_KINDS,
  type ActKind,
  ApproveProviderChange,
  actOf,
  assertSchemaCurrent,
  claimedIdempotent,
  createServiceApp,
  IDEMPOTENCY_HEADER,
  idempotent,
  inTransaction,
  type Logger,
  noNamedPerson,
  type Pool,
  Problem,
  ProposeProviderChange,
  parseInput,
  problems,
  providerStanding,
  type Queryable,
  recordSignedAct,
  requireAct,
  signedActOf,
  standingDay,
} from '@vcdc/shared';
import { common, exchange } from '@vcdc/shared/contracts';
import { type Express, type IRouter, type Request, type RequestHandler, type Response, Router } from 'express';
import {
  AssetParams,
  CaseParams,
  ChangeParams,
  ChangesQuery,
  CurrencyParams,
  DepositAddressParams,
  DepositAddressQuery,
  DepositQuery,
  DepthQuery,
  EXCHANGE_API,
  MarketParams,
  OrderParams,
  OTHER_VENUE_PREFIX,
  ProviderParams,
  ReturnParams,
  RfqParams,
  VolumeQuery,
  WithdrawalParams,
} from './api';
import { caseBestExecution } from './best-execution-records';
import { DEFAULT_CAPABILITIES } from './capabilities';
import { caseDeposits, observeDeposit } from './deposits';
import { DEFAULT_REFERENCE_POLICY, FairPriceGuard } from './fair-price';
import { bidDepth, tradedVolume } from './market-activity';
import type { MarketDataSource } from './market-data';
import { type AnswerOrder, cancelSellOrder, caseOrders, placeSellOrder, refreshOrder } from './orders';
import { recordReferences } from './price-observations';
import {
  approveProviderChange,
  getProvider,
  getProviderChange,
  listProviderChanges,
  listProviders,
  proposeProviderChange,
  type RegisterActor,
} from './provider-register';
import { DEFAULT_INDEX_POLICY, type IndexPolicy } from './reference-index';
import { referenceIndexNow } from './reference-index-records';
import type { ReferencePolicy } from './reference-price';
import { caseResiduals, recordResidual, residualIdFor } from './residuals';
import { caseReturns, refreshVenueReturn, requestVenueReturn, returnIdFor } from './returns';
import type { DeskClient } from './rfq/desk-client';
import { caseRfqs, type RfqPrices, requestForQuotes, rfqView } from './rfq/rfq';
import { RequestForQuotes, SettleDeskTrade } from './rfq/rfq-contract';
import { getDeskSettlement, settleDeskTrade } from './rfq/settlement';
import { chooseSaleRoute } from './route-choices';
import { caseSalePlans, type PlanningVenue, planCaseSale } from './sale-plans';
import type { Venue } from './venue';
import { atVenue } from './venue-problems';
import { caseWithdrawals, refreshWithdrawal, requestWithdrawal, withdrawalClientRef } from './withdrawals';

export const EXCHANGE_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export interface ExchangeAppDeps {
  pool: Pool;
  /** Where price observations are written, outside the orders' transactions (default: `pool`; the service gives its records pool). */
  recordsPool?: Pool;
  logger: Logger;
  venue: Venue;
  /** Pre-trade checks and fair prices; default: the trading venue as the only reference, the design's capability table. */
  fairPrice?: FairPriceGuard;
  /**
   * Trading venues besides `venue`, each with its own guard (default: as for `venue`): their routes are
   * the default venue's under /v1/venues/:venueId/ (orders, deposits, withdrawals... at that venue).
   */
  otherVenues?: { venue: Venue; fairPrice?: FairPriceGuard }[];
  /** The service's clock for best-execution reports (when a minute's volume is final); default: the system's. */
  clock?: () => Date;
  /** The database role the pool must be working as (`exchange_service`), checked by /readyz. */
  serviceRole?: string;
  /**
   * The control API's act verify keys (ACT_VERIFY_KEYS): a change to the register of licensed providers
   * is a person's act signed with one of them. None: the register can be read but not changed (503).
   */
  actVerifyKeys?: KeyObject[];
  /** The OTC desks an RFQ asks (rfq/); none: every RFQ answers NO_DESK. */
  desks?: readonly DeskClient[];
  /** The prices an RFQ is judged by; default: the fair-price guard's reference, floor and band. */
  rfqPrices?: RfqPrices;
  /**
   * The reference index across venues (GET /v1/reference-index/:base/:quote). `sources`: venues besides
   * the trading ones (REFERENCE_VENUES); a source with the id of one already asked is not asked twice.
   */
  referenceIndex?: { sources?: MarketDataSource[]; policy?: IndexPolicy; referencePolicy?: ReferencePolicy };
}

/**
 * The routes that carry a person's signed act: the only changing routes the control API's credential
 * (CONTROL_API_TOKEN) may call here.
 */
export const EXCHANGE_ACT_ROUTES: readonly RegExp[] = [
  /^\/v1\/providers\/changes$/,
  /^\/v1\/providers\/changes\/[^/]+\/approval$/,
];

/** A register change is a person's act: no person named in the body, the act verified over this request. */
function personActs(keys: KeyObject[] | undefined, kind: ActKind, id: (req: Request) => string): RequestHandler[] {
  if (!keys || keys.length === 0) {
    return [
      () => {
        throw problems.unavailable(
          'Register changes not configured',
          'this exchange service has no ACT_VERIFY_KEYS: the register of providers can be read, not changed',
        );
      },
    ];
  }
  return [
    noNamedPerson(),
    requireAct({ keys, kind, object: (req) => ({ type: ACT_KINDS[kind].object, id: id(req) }) }),
  ];
}

function personOf(res: Response): RegisterActor {
  const act = actOf(res);
  return { id: act.actor.id, role: act.actor.role, unit: act.actor.unit, actId: act.actId };
}

function responseOf(req: Request): Response {
  if (!req.res) throw new Error('request without its response');
  return req.res;
}

const providerNamed = (req: Request): string => {
  const terms = (req.body as { terms?: { providerId?: unknown } } | undefined)?.terms;
  return typeof terms?.providerId === 'string' ? terms.providerId.slice(0, 200) : 'unknown';
};

/**
 * An RFQ is judged by the same prices as an order: the guard's reference (recorded), the day's legal
 * floor (the venue's tick), the market's band from the capability table.
 */
function guardPrices(guard: FairPriceGuard, venue: Venue, now: () => Date): RfqPrices {
  return {
    reference: async (symbol) => {
      const r = await atVenue(() => guard.reference(symbol));
      return { price: r.price, ...(r.id !== undefined ? { id: r.id } : {}) };
    },
    floor: async (symbol) => {
      const rules = await atVenue(() => venue.marketRules(symbol));
      if (!rules)
        throw problems.refused('unknown-market', 'Unknown market', `${venue.id} has no spot market ${symbol}`, {
          field: 'symbol',
        });
      const floor = await atVenue(() => guard.floor(symbol, rules));
      return { rule: floor.rule, ...(floor.price !== undefined ? { price: floor.price } : {}) };
    },
    band: (symbol) => {
      const band = guard.priceBand(symbol);
      if (band === undefined) {
        throw problems.refused('market-not-permitted', 'Market not in the capability table', `${symbol} has no band`, {
          field: 'symbol',
        });
      }
      return band;
    },
    now,
  };
}

export function createApp({
  pool,
  recordsPool,
  logger,
  venue,
  fairPrice,
  otherVenues,
  clock,
  serviceRole,
  actVerifyKeys,
  desks = [],
  rfqPrices,
  referenceIndex,
}: ExchangeAppDeps): Express {
  // Every reference the guard computes (for the route or a pre-trade check) is recorded with its quotes,
  // on a pool of its own, so twenty orders at once never leave the recording waiting on the orders' own
  // connections (issue 14; since issue 19 an order holds none across its venue calls).
  const guardOf = (at: Venue, given: FairPriceGuard | undefined) =>
    (
      given ?? new FairPriceGuard(at, { capabilities: DEFAULT_CAPABILITIES, investorClass: 'professional' })
    ).withRecorder(recordReferences(recordsPool ?? pool));
  const guard = guardOf(venue, fairPrice);
  const now = clock ?? (() => new Date());
  const rfq = { pool, desks, prices: rfqPrices ?? guardPrices(guard, venue, now) };
  // Every trading venue with its guard, the default first: the sale plan reads them all.
  const tradingVenues: PlanningVenue[] = [
    { venue, guard },
    ...(otherVenues ?? []).map((o) => ({ venue: o.venue, guard: guardOf(o.venue, o.fairPrice) })),
  ];
  const plans = { pool, venues: tradingVenues, rfq, now };
  // Every venue once, the trading ones first: a venue asked twice would count its volume twice.
  const indexSources: MarketDataSource[] = [];
  for (const source of [venue, ...(otherVenues ?? []).map((o) => o.venue), ...(referenceIndex?.sources ?? [])]) {
    if (!indexSources.some((s) => s.id === source.id)) indexSources.push(source);
  }
  const index = {
    pool: recordsPool ?? pool,
    sources: indexSources,
    policy: referenceIndex?.policy ?? DEFAULT_INDEX_POLICY,
    referencePolicy: referenceIndex?.referencePolicy ?? DEFAULT_REFERENCE_POLICY,
    now,
  };
  return createServiceApp({
    service: 'exchange',
    logger,
    api: { title: 'VCDC exchange service', routes: EXCHANGE_API },
    readiness: async () => {
      await assertSchemaCurrent(pool, EXCHANGE_MIGRATIONS_DIR);
    },
    // GET /v1/audit/records and /v1/audit/verify: orders, fills, ends, withdrawals and returns are in the chain.
    audit: { pool, role: serviceRole },
    routes: (app) => {
      // The default venue's routes at /v1/..., every other venue's the same at /v1/venues/:venueId/...
      venueRoutes(app, { pool, logger, now, venue, guard });
      const others = new Map<string, Router>();
      for (const other of otherVenues ?? []) {
        if (other.venue.id === venue.id || others.has(other.venue.id)) {
          throw new Error(`trading venue ${other.venue.id} is configured twice`);
        }
        const router = Router();
        const at = tradingVenues.find((t) => t.venue === other.venue) as PlanningVenue;
        venueRoutes(router, { pool, logger, now, venue: other.venue, guard: at.guard });
        others.set(other.venue.id, router);
      }
      app.use(OTHER_VENUE_PREFIX, (req, res, next) => {
        const router = others.get(String(req.params.venueId));
        if (!router) throw problems.notFound('Venue', String(req.params.venueId));
        // Its router holds the default venue's paths (/v1/orders...): what follows the venue's prefix, under /v1.
        req.url = `/v1${req.url}`;
        router(req, res, next);
      });

      // The volume-weighted index across every venue (reference-index.ts), recorded with its inputs.
      app.get('/v1/reference-index/:base/:quote', async (req, res) => {
        const { base, quote } = parseInput(MarketParams, req.params, 'path');
        res.json(await referenceIndexNow(index, `${base}/${quote}`));
      });

      app.get('/v1/cases/:caseId/statement', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        const statement: exchange.ExchangeStatement = {
          caseId,
          deposits: await caseDeposits(pool, caseId),
          orders: await caseOrders(pool, caseId),
          withdrawals: await caseWithdrawals(pool, caseId),
          returns: await caseReturns(pool, caseId),
          residuals: await caseResiduals(pool, caseId),
        };
        res.json(statement);
      });

      // A block offered to the OTC desks (rfq/rfq.ts): every quote kept, the best valid one taken, or
      // NO_DESK and the caller sells on the venue. The RFQ's id makes a retry find its decision.
      app.post(
        '/v1/rfqs',
        claimedIdempotent(pool, RequestForQuotes, async (input) => ({
          status: 201,
          body: await requestForQuotes(rfq, input),
        })),
      );

      app.get('/v1/rfqs/:rfqId', async (req, res) => {
        const { rfqId } = parseInput(RfqParams, req.params, 'path');
        res.json(await rfqView(pool, rfqId));
      });

      app.get('/v1/cases/:caseId/rfqs', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json({ rfqs: await caseRfqs(pool, caseId) });
      });

      // The coins reached the desk (custody's transaction): the desk pays, both booked once (rfq/settlement.ts).
      app.post(
        '/v1/rfqs/:rfqId/settlement',
        claimedIdempotent(pool, SettleDeskTrade, async (input, req) => {
          const { rfqId } = parseInput(RfqParams, req.params, 'path');
          return { status: 200, body: await settleDeskTrade(pool, desks, rfqId, input) };
        }),
      );

      app.get('/v1/rfqs/:rfqId/settlement', async (req, res) => {
        const { rfqId } = parseInput(RfqParams, req.params, 'path');
        res.json(await getDeskSettlement(pool, rfqId));
      });

      // Where a coin lot is sold: a desk block and the venues, every alternative costed, kept (sale-plans.ts).
      // The RFQ it may make is named after the key, so a retry never asks the desks twice.
      app.post(
        '/v1/cases/:caseId/sale-plans',
        claimedIdempotent(pool, exchange.PlanSale, async (input, req, claim) => {
          const { caseId } = parseInput(CaseParams, req.params, 'path');
          const key = req.get(IDEMPOTENCY_HEADER) ?? '';
          const answer = (tx: Queryable, plan: exchange.SalePlanRecord) =>
            claim.answer(tx, { status: 201, body: plan });
          return { status: 201, body: await planCaseSale(plans, caseId, input, key, answer) };
        }),
      );

      app.get('/v1/cases/:caseId/sale-plans', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json({ salePlans: await caseSalePlans(pool, caseId) });
      });

      // The register of licensed providers (provider-register.ts): one person proposes a provider's next
      // entry, another approves it; both acts, and every refusal, go into the audit chain.
      app.post(
        '/v1/providers/changes',
        // The act is on the provider the body names (its content binds the whole body).
        ...personActs(actVerifyKeys, 'register.provider.propose', (req) => providerNamed(req)),
        idempotent(pool, ProposeProviderChange, async (input, tx, req) => {
          const res = responseOf(req);
          await recordSignedAct(tx, signedActOf(res));
          return { status: 201, body: await proposeProviderChange(tx, input, personOf(res)) };
        }),
      );

      app.post(
        '/v1/providers/changes/:changeId/approval',
        ...personActs(actVerifyKeys, 'register.provider.approve', (req) => String(req.params.changeId ?? '')),
        idempotent(pool, ApproveProviderChange, async (_input, tx, req) => {
          const res = responseOf(req);
          const { changeId } = parseInput(ChangeParams, req.params, 'path');
          await recordSignedAct(tx, signedActOf(res));
          return { status: 201, body: await approveProviderChange(tx, changeId, personOf(res)) };
        }),
      );

      app.get('/v1/providers/changes', async (req, res) => {
        const { status } = parseInput(ChangesQuery, req.query, 'query');
        res.json({ changes: await listProviderChanges(pool, status) });
      });

      app.get('/v1/providers/changes/:changeId', async (req, res) => {
        const { changeId } = parseInput(ChangeParams, req.params, 'path');
        res.json(await getProviderChange(pool, changeId));
      });

      // Each entry in force with its standing today, so an expired licence or bond shows before it refuses anything.
      app.get('/v1/providers', async (_req, res) => {
        const on = standingDay(now());
        const providers = await listProviders(pool);
        res.json({ providers: providers.map((v) => ({ ...v, standing: providerStanding(v.terms, on) })) });
      });

      // A provider's entry in force and every version before it (custody reads it before a transfer).
      app.get('/v1/providers/:providerId', async (req, res) => {
        const { providerId } = parseInput(ProviderParams, req.params, 'path');
        res.json(await getProvider(pool, providerId));
      });
    },
  });
}

interface VenueRouteDeps {
  pool: Pool;
  logger: Logger;
  now: () => Date;
  venue: Venue;
  guard: FairPriceGuard;
}

/** The routes that act at one venue: its markets, deposits, orders, withdrawals, returns and reports. */
function venueRoutes(app: IRouter, { pool, logger, now, venue, guard }: VenueRouteDeps): void {
  app.get('/v1/markets/:base/:quote', async (req, res) => {
    const { base, quote } = parseInput(MarketParams, req.params, 'path');
    const symbol = `${base}/${quote}`;
    // What an order may be here: the venue's rules tightened by the capability table (the engine slices by them).
    const rules = await guard.tradingRules(symbol);
    if (!rules) throw problems.notFound('Market', `${symbol} at ${venue.id}`);
    const body: exchange.MarketRules = { venue: venue.id, ...rules };
    res.json(body);
  });

  app.get('/v1/markets/:base/:quote/reference-price', async (req, res) => {
    const { base, quote } = parseInput(MarketParams, req.params, 'path');
    res.json(await guard.reference(`${base}/${quote}`));
  });

  app.get('/v1/markets/:base/:quote/legal-floor', async (req, res) => {
    const { base, quote } = parseInput(MarketParams, req.params, 'path');
    const symbol = `${base}/${quote}`;
    const rules = await atVenue(() => venue.marketRules(symbol));
    if (!rules) throw problems.notFound('Market', `${symbol} at ${venue.id}`);
    res.json(await guard.floor(symbol, rules));
  });

  // The venue's traded volume in [since, until) (until: now by the service's clock), or in the last
  // `seconds` before now, from 1m candles.
  app.get('/v1/markets/:base/:quote/volume', async (req, res) => {
    const { base, quote } = parseInput(MarketParams, req.params, 'path');
    const query = parseInput(VolumeQuery, req.query, 'query');
    const until = query.until ? new Date(query.until) : now();
    const since = query.since ? new Date(query.since) : new Date(until.getTime() - (query.seconds ?? 0) * 1000);
    const body: exchange.TradedVolume = await tradedVolume(venue, `${base}/${quote}`, since, until);
    res.json(body);
  });

  // The bids visible now within bandBp under the best bid (ccxt fetchOrderBook).
  app.get('/v1/markets/:base/:quote/depth', async (req, res) => {
    const { base, quote } = parseInput(MarketParams, req.params, 'path');
    const { bandBp } = parseInput(DepthQuery, req.query, 'query');
    const symbol = `${base}/${quote}`;
    const depth = await atVenue(() => bidDepth(venue, symbol, bandBp, now));
    if (!depth) throw problems.notFound('Market', `${symbol} at ${venue.id}`);
    res.json(depth);
  });

  app.get('/v1/deposit-addresses/:asset', async (req, res) => {
    const { asset } = parseInput(DepositAddressParams, req.params, 'path');
    const { chain: askedChain } = parseInput(DepositAddressQuery, req.query, 'query');
    const chain = common.CHAIN_OF_ASSET[asset];
    if (askedChain && askedChain !== chain) {
      throw new Problem(
        422,
        'unsupported-chain',
        'Asset not deposited on that chain',
        `${asset} is deposited on ${chain} in this deployment, not ${askedChain}`,
      );
    }
    const found = await atVenue(() => venue.depositAddress(asset, chain));
    const body: exchange.DepositAddress = { asset, chain, address: found.address, venue: venue.id };
    if (found.tag) body.tag = found.tag;
    res.json(body);
  });

  app.get('/v1/deposits', async (req, res) => {
    const query = parseInput(DepositQuery, req.query, 'query');
    res.json(await observeDeposit(pool, venue, query));
  });

  // Orders hold no connection while the venue is asked (orders.ts): the key is claimed in one short
  // transaction and the answer stored in another (issue 19). A request that dies between the two leaves
  // the claim; its retry takes it over and finds the order at the venue by its client order id.
  app.post(
    '/v1/orders',
    // The answer is stored in the transaction that records the order (issue 19: one transaction fewer).
    claimedIdempotent(pool, exchange.PlaceSellOrder, async (input, _req, claim) => ({
      status: 201,
      body: await placeSellOrder(pool, venue, input, guard, {
        firstAttempt: claim.fresh,
        answer: (tx, order) => claim.answer(tx, { status: 201, body: order }),
      }),
    })),
  );

  app.get('/v1/orders/:clientOrderId', async (req, res) => {
    const { clientOrderId } = parseInput(OrderParams, req.params, 'path');
    res.json(await refreshOrder(pool, venue, clientOrderId));
  });

  app.post(
    '/v1/orders/:clientOrderId/cancel',
    claimedIdempotent(pool, exchange.CancelSellOrder, async (input, req, claim) => {
      const { clientOrderId } = parseInput(OrderParams, req.params, 'path');
      const answer: AnswerOrder = (tx, order) => claim.answer(tx, { status: 200, body: order });
      return { status: 200, body: await cancelSellOrder(pool, venue, clientOrderId, input, now, answer) };
    }),
  );

  // What a bank wire of the currency must be at least, and its fee: fiat under the minimum cannot leave alone.
  app.get('/v1/currencies/:currency/withdrawal-terms', async (req, res) => {
    const { currency } = parseInput(CurrencyParams, req.params, 'path');
    const terms = await atVenue(() => venue.fiatWithdrawalTerms(currency));
    const body: exchange.FiatWithdrawalTerms = { venue: venue.id, currency, ...terms };
    res.json(body);
  });

  // What sending a coin out must be at least, and its fee, on the chain the asset is carried on here:
  // dust a sale leaves goes back to custody when it is not under these, else it is booked as a residual.
  app.get('/v1/assets/:asset/withdrawal-terms', async (req, res) => {
    const { asset } = parseInput(AssetParams, req.params, 'path');
    const chain = common.CHAIN_OF_ASSET[asset];
    const terms = await atVenue(() => venue.withdrawalTerms(asset, chain));
    const body: exchange.CoinWithdrawalTerms = { venue: venue.id, asset, chain, ...terms };
    res.json(body);
  });

  // An amount the case cannot sell or take out, booked in its name (residuals.ts says what is refused).
  app.post(
    '/v1/residuals',
    idempotent(pool, exchange.RecordResidual, async (input, tx, req) => ({
      status: 201,
      body: await recordResidual(tx, venue, input, residualIdFor(req.get(IDEMPOTENCY_HEADER) ?? '')),
    })),
  );

  app.post(
    '/v1/withdrawals',
    idempotent(pool, exchange.RequestWithdrawal, async (input, tx, req) => ({
      status: 201,
      body: await requestWithdrawal(tx, venue, input, withdrawalClientRef(req.get(IDEMPOTENCY_HEADER) ?? '')),
    })),
  );

  app.get('/v1/withdrawals/:withdrawalId', async (req, res) => {
    const { withdrawalId } = parseInput(WithdrawalParams, req.params, 'path');
    res.json(await inTransaction(pool, (tx) => refreshWithdrawal(tx, venue, withdrawalId)));
  });

  // The return's row is written on its own connection before the venue is asked (returns.ts), so it
  // survives a lost venue answer; the idempotency transaction only stores the answer.
  app.post(
    '/v1/returns',
    idempotent(pool, exchange.RequestVenueReturn, async (input, _tx, req) => ({
      status: 201,
      body: await requestVenueReturn(pool, venue, input, returnIdFor(req.get(IDEMPOTENCY_HEADER) ?? '')),
    })),
  );

  app.get('/v1/returns/:returnId', async (req, res) => {
    const { returnId } = parseInput(ReturnParams, req.params, 'path');
    res.json(await refreshVenueReturn(pool, venue, returnId));
  });

  // Direct for fiat or through the stablecoin: decided on the direct book now and kept (route-choices.ts).
  app.post(
    '/v1/cases/:caseId/route-choices',
    idempotent(pool, exchange.ChooseSaleRoute, async (input, tx, req) => {
      const { caseId } = parseInput(CaseParams, req.params, 'path');
      return { status: 201, body: await chooseSaleRoute(tx, venue, caseId, input, now) };
    }),
  );

  app.get('/v1/cases/:caseId/best-execution', async (req, res) => {
    const { caseId } = parseInput(CaseParams, req.params, 'path');
    res.json(await caseBestExecution(pool, venue, caseId, now(), logger));
  });
}
