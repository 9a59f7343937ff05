import { createLogger, type Logger, type RunningService, startService } from '@vcdc/shared';
import { createApp, EXCHANGE_ACT_ROUTES, EXCHANGE_MIGRATIONS_DIR } from './app';
import { CcxtVenue } from './ccxt-venue';
import type { ExchangeConfig, TradingVenue } from './config';
import { FairPriceGuard } from './fair-price';
import { parseFloorRule } from './legal-floor';
import { CcxtMarketData } from './market-data';
import { OslVenue } from './osl/osl-venue';
import { type IndexPolicy, policyProblem } from './reference-index';
import { DeskClient } from './rfq/desk-client';
import type { Venue } from './venue';

export type RunningExchangeService = RunningService;

export function venueFromConfig(config: ExchangeConfig): Venue {
  return new CcxtVenue({
    venueId: config.VENUE_ID,
    apiUrl: config.VENUE_API_URL,
    apiKey: config.VENUE_API_KEY,
    secret: config.VENUE_API_SECRET,
    timeoutMs: config.VENUE_TIMEOUT_MS,
    requestLimit: config.VENUE_CAPABILITIES[config.VENUE_ID]?.requestLimit,
  });
}

/** A further trading venue (TRADING_VENUES) through its adapter: ccxt's class for HashKey, ours for OSL. */
export function tradingVenueFromConfig(config: ExchangeConfig, entry: TradingVenue): Venue {
  const options = {
    apiUrl: entry.url,
    apiKey: entry.apiKey,
    secret: entry.secret,
    timeoutMs: config.VENUE_TIMEOUT_MS,
    requestLimit: config.VENUE_CAPABILITIES[entry.id]?.requestLimit,
  };
  return entry.adapter === 'osl'
    ? new OslVenue({ id: entry.id, ...options })
    : new CcxtVenue({ venueId: entry.adapter, ...options });
}

/** The fair-price guard from the configuration: reference venues, staleness, dispersion, floor rule, capabilities. */
export function fairPriceFromConfig(
  config: ExchangeConfig,
  venue: Venue,
  investorClass = config.INVESTOR_CLASS,
): FairPriceGuard {
  return new FairPriceGuard(venue, {
    referenceSources: config.REFERENCE_VENUES.map(
      (v) => new CcxtMarketData({ id: v.id, exchange: v.exchange, url: v.url, timeoutMs: config.VENUE_TIMEOUT_MS }),
    ),
    policy: {
      maxAgeMs: config.REFERENCE_MAX_AGE_MS,
      maxDispersionBp: config.REFERENCE_MAX_DISPERSION_BP,
      minSources: config.REFERENCE_MIN_SOURCES,
    },
    floorRule: parseFloorRule(config.LEGAL_FLOOR_RULE),
    capabilities: config.VENUE_CAPABILITIES,
    investorClass,
  });
}

/** The reference index's policy (REFERENCE_INDEX_*); one it cannot be computed by stops the service. */
export function indexPolicyFromConfig(config: ExchangeConfig): IndexPolicy {
  const policy = {
    windowMinutes: config.REFERENCE_INDEX_WINDOW_MINUTES,
    partitions: config.REFERENCE_INDEX_PARTITIONS,
    minPartitionsWithVolume: config.REFERENCE_INDEX_MIN_PARTITIONS,
  };
  const problem = policyProblem(policy);
  if (problem) throw new Error(`REFERENCE_INDEX_WINDOW_MINUTES / _PARTITIONS / _MIN_PARTITIONS: ${problem}`);
  return policy;
}

/** The OTC desks of the configuration (RFQ_DESKS). */
export function desksFromConfig(config: ExchangeConfig): DeskClient[] {
  return config.RFQ_DESKS.map(
    (d) =>
      new DeskClient(
        { id: d.id, url: d.url, credentials: { apiKey: d.apiKey, secret: d.secret } },
        config.RFQ_DESK_TIMEOUT_MS,
      ),
  );
}

/** Migrate, open the pool, listen. `close` stops the server, then ends the pool. */
export function startExchangeService(
  config: ExchangeConfig,
  logger: Logger = createLogger('exchange', config.LOG_LEVEL),
  venue: Venue = venueFromConfig(config),
  otherVenues: Venue[] = config.TRADING_VENUES.map((entry) => tradingVenueFromConfig(config, entry)),
): Promise<RunningExchangeService> {
  return startService({
    name: 'exchange',
    config,
    migrationsDir: EXCHANGE_MIGRATIONS_DIR,
    logger,
    describe: { venue: venue.id, venueUrl: config.VENUE_API_URL, otherVenues: otherVenues.map((v) => v.id) },
    actRoutes: EXCHANGE_ACT_ROUTES,
    // Custody reads a provider's standing before a transfer with a credential that opens nothing else.
    ...(config.PROVIDER_REGISTER_READ_TOKEN
      ? {
          readers: [
            {
              name: 'register-reader',
              token: config.PROVIDER_REGISTER_READ_TOKEN,
              routes: [],
              reads: [/^\/v1\/providers(\/|$)/],
            },
          ],
        }
      : {}),
    buildApp: (pool, { serviceRole, recordsPool }) =>
      createApp({
        pool,
        recordsPool,
        logger,
        venue,
        fairPrice: fairPriceFromConfig(config, venue),
        otherVenues: otherVenues.map((other) => ({
          venue: other,
          fairPrice: fairPriceFromConfig(
            config,
            other,
            config.TRADING_VENUES.find((e) => e.id === other.id)?.investorClass,
          ),
        })),
        serviceRole,
        desks: desksFromConfig(config),
        // The index reads every trading venue and every reference venue (app.ts asks each once).
        referenceIndex: {
          sources: config.REFERENCE_VENUES.map(
            (v) =>
              new CcxtMarketData({ id: v.id, exchange: v.exchange, url: v.url, timeoutMs: config.VENUE_TIMEOUT_MS }),
          ),
          policy: indexPolicyFromConfig(config),
          referencePolicy: {
            maxAgeMs: config.REFERENCE_MAX_AGE_MS,
            maxDispersionBp: config.REFERENCE_MAX_DISPERSION_BP,
            minSources: config.REFERENCE_MIN_SOURCES,
          },
        },
        ...(config.ACT_VERIFY_KEYS ? { actVerifyKeys: config.ACT_VERIFY_KEYS } : {}),
      }),
  });
}
