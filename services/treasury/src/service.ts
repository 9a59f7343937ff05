import { createLogger, type Logger, type RunningService, startService } from '@vcdc/shared';
import { createApp, TREASURY_ACT_ROUTES, TREASURY_MIGRATIONS_DIR } from './app';
import type { TreasuryConfig } from './config';
import { LocalReceiptTreasuryGateway } from './treasury-gateway';

export type RunningTreasuryService = RunningService;

/** Migrate, open the pool, listen. `close` stops the server, then ends the pool. */
export function startTreasuryService(
  config: TreasuryConfig,
  logger: Logger = createLogger('treasury', config.LOG_LEVEL),
): Promise<RunningTreasuryService> {
  return startService({
    name: 'treasury',
    actRoutes: TREASURY_ACT_ROUTES,
    config,
    migrationsDir: TREASURY_MIGRATIONS_DIR,
    logger,
    // No treasury system is connected yet: receipts are issued locally (see treasury-gateway.ts).
    buildApp: (pool, { serviceRole }) =>
      createApp({
        pool,
        logger,
        gateway: new LocalReceiptTreasuryGateway(),
        serviceRole,
        actVerifyKeys: config.ACT_VERIFY_KEYS,
      }),
  });
}
