import { createLogger, createPool, type Logger, listen, migrate } from '@vcdc/shared';
import { createApp, TREASURY_MIGRATIONS_DIR } from './app';
import type { TreasuryConfig } from './config';
import { LocalReceiptTreasuryGateway } from './treasury-gateway';

export interface RunningTreasuryService {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/** Migrate, open the pool, listen. `close` stops the server, then ends the pool. */
export async function startTreasuryService(
  config: TreasuryConfig,
  logger: Logger = createLogger('treasury', config.LOG_LEVEL),
): Promise<RunningTreasuryService> {
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: TREASURY_MIGRATIONS_DIR,
    log: (message) => logger.debug(message),
  });
  const pool = createPool(config.DATABASE_URL, config.DB_SCHEMA);
  try {
    // No treasury system is connected yet: receipts are issued locally (see treasury-gateway.ts).
    const gateway = new LocalReceiptTreasuryGateway();
    const server = await listen(createApp({ pool, logger, gateway }), config.PORT, config.HOST);
    logger.info({ url: server.url }, 'treasury service listening');
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
