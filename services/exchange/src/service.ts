import { createLogger, createPool, type Logger, listen, migrate } from '@vcdc/shared';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from './app';
import { CcxtVenue } from './ccxt-venue';
import type { ExchangeConfig } from './config';
import type { Venue } from './venue';

export interface RunningExchangeService {
  url: string;
  port: number;
  close: () => Promise<void>;
}

export function venueFromConfig(config: ExchangeConfig): Venue {
  return new CcxtVenue({
    venueId: config.VENUE_ID,
    apiUrl: config.VENUE_API_URL,
    apiKey: config.VENUE_API_KEY,
    secret: config.VENUE_API_SECRET,
    timeoutMs: config.VENUE_TIMEOUT_MS,
  });
}

/** Migrate, open the pool, listen. `close` stops the server, then ends the pool. */
export async function startExchangeService(
  config: ExchangeConfig,
  logger: Logger = createLogger('exchange', config.LOG_LEVEL),
  venue: Venue = venueFromConfig(config),
): Promise<RunningExchangeService> {
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: EXCHANGE_MIGRATIONS_DIR,
    log: (message) => logger.debug(message),
  });
  const pool = createPool(config.DATABASE_URL, config.DB_SCHEMA);
  try {
    const server = await listen(createApp({ pool, logger, venue }), config.PORT, config.HOST);
    logger.info({ url: server.url, venue: venue.id, venueUrl: config.VENUE_API_URL }, 'exchange service listening');
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        await server.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
