import { createLogger, HttpProviderRegister, type Logger, type RunningService, startService } from '@vcdc/shared';
import { createApp, FX_ACT_ROUTES, FX_MIGRATIONS_DIR } from './app';
import type { FxConfig } from './config';
import { HttpRateSource } from './rate-source';

export type RunningFxService = RunningService;

/** Migrate, open the pool, listen. `close` stops the server, then ends the pool. */
export function startFxService(
  config: FxConfig,
  logger: Logger = createLogger('fx', config.LOG_LEVEL),
): Promise<RunningFxService> {
  return startService({
    name: 'fx',
    actRoutes: FX_ACT_ROUTES,
    config,
    migrationsDir: FX_MIGRATIONS_DIR,
    logger,
    describe: { rateSource: config.FX_RATE_SOURCE_URL },
    buildApp: (pool, { serviceRole }) =>
      createApp({
        pool,
        logger,
        rateSource: new HttpRateSource(config.FX_RATE_SOURCE_URL, config.FX_RATE_SOURCE_TIMEOUT_MS),
        serviceRole,
        actVerifyKeys: config.ACT_VERIFY_KEYS,
        settlementBank: {
          providerId: config.FX_SETTLEMENT_BANK,
          register: new HttpProviderRegister({
            url: config.PROVIDER_REGISTER_URL,
            ...(config.PROVIDER_REGISTER_TOKEN ? { token: config.PROVIDER_REGISTER_TOKEN } : {}),
          }),
        },
      }),
  });
}
