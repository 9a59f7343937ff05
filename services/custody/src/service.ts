/** The custody service as a running process: migrate, open the pool, build the app, listen. */
import path from 'node:path';
import { createLogger, createPool, type Logger, listen, migrate } from '@vcdc/shared';
import { createApp } from './app';
import { ChainSimulatorClient } from './chain-adapter';
import type { CustodyConfig } from './config';
import { CustodyAddressBook } from './custody-addresses';

export const CUSTODY_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export interface RunningCustodyService {
  url: string;
  port: number;
  close: () => Promise<void>;
}

export async function startCustodyService(
  config: CustodyConfig,
  logger: Logger = createLogger('custody', config.LOG_LEVEL),
): Promise<RunningCustodyService> {
  const applied = await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: CUSTODY_MIGRATIONS_DIR,
    log: (line) => logger.debug(line),
  });
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const pool = createPool(config.DATABASE_URL, config.DB_SCHEMA);
  const app = createApp({
    pool,
    chain: new ChainSimulatorClient(config.CHAIN_RPC_URL),
    addresses: new CustodyAddressBook(config.CUSTODY_MASTER_SECRET),
    minConfirmations: config.CUSTODY_MIN_CONFIRMATIONS,
    logger,
    migrationsDir: CUSTODY_MIGRATIONS_DIR,
  });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, config.PORT, config.HOST);
  } catch (error) {
    await pool.end();
    throw error;
  }
  logger.info({ url: server.url, chain: config.CHAIN_RPC_URL }, 'custody listening');
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      await server.close();
      await pool.end();
    },
  };
}
