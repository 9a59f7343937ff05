import { createLogger, type Logger, type RunningService, startService } from '@vcdc/shared';
import { createApp, EXCHANGE_ACT_ROUTES, EXCHANGE_MIGRATIONS_DIR } from './app';
import { CcxtVenue } from './ccxt-venue';
import type { ExchangeConfig } from './config';
import { FairPriceGuard } from './fair-price';
import { parseFloorRule } from './legal-floor';
import { CcxtMarketData } from './market-data';
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

/** The fair-price guard from the configuration: reference venues, staleness, dispersion, floor rule, capabilities. */
export function fairPriceFromConfig(config: ExchangeConfig, venue: Venue): FairPriceGuard {
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
    investorClass: config.INVESTOR_CLASS,
  });
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
): Promise<RunningExchangeService> {
  return startService({
    name: 'exchange',
    config,
    migrationsDir: EXCHANGE_MIGRATIONS_DIR,
    logger,
    describe: { venue: venue.id, venueUrl: config.VENUE_API_URL },
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
        serviceRole,
        desks: desksFromConfig(config),
        ...(config.ACT_VERIFY_KEYS ? { actVerifyKeys: config.ACT_VERIFY_KEYS } : {}),
      }),
  });
}
