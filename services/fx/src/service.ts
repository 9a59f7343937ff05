import { createLogger, createPool, type Logger, listen, migrate } from '@vcdc/shared';
import { createApp, FX_MIGRATIONS_DIR } from './app';
import type { FxConfig } from './config';
import { HttpRateSource } from './rate-source';

export interface RunningFxService {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/** Migrate, open the pool, listen. `close` stops the server, then ends the pool. */
export async function startFxService(
  config: FxConfig,
  logger: Logger = createLogger('fx', config.LOG_LEVEL),
): Promise<RunningFxService> {
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: FX_MIGRATIONS_DIR,
    log: (message) => logger.debug(message),
  });
  const pool = createPool(config.DATABASE_URL, config.DB_SCHEMA);
  try {
    const rateSource = new HttpRateSource(config.FX_RATE_SOURCE_URL, config.FX_RATE_SOURCE_TIMEOUT_MS);
    const server = await listen(createApp({ pool, logger, rateSource }), config.PORT, config.HOST);
    logger.info({ url: server.url }, 'fx service listening');
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
