/** The custody service as a running process: migrate, open the pool, build the app, listen. */
import path from 'node:path';
import { createLogger, type Logger, type RunningService, startService } from '@vcdc/shared';
import { createApp } from './app';
import { ChainSimulatorClient } from './chain-adapter';
import type { CustodyConfig } from './config';
import { CustodyAddressBook } from './custody-addresses';

export const CUSTODY_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export type RunningCustodyService = RunningService;

export function startCustodyService(
  config: CustodyConfig,
  logger: Logger = createLogger('custody', config.LOG_LEVEL),
): Promise<RunningCustodyService> {
  return startService({
    name: 'custody',
    config,
    migrationsDir: CUSTODY_MIGRATIONS_DIR,
    logger,
    describe: { chain: config.CHAIN_RPC_URL },
    buildApp: (pool) =>
      createApp({
        pool,
        chain: new ChainSimulatorClient(config.CHAIN_RPC_URL),
        addresses: new CustodyAddressBook(config.CUSTODY_MASTER_SECRET),
        minConfirmations: config.CUSTODY_MIN_CONFIRMATIONS,
        logger,
        migrationsDir: CUSTODY_MIGRATIONS_DIR,
      }),
  });
}
