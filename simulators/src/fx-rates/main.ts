/** Run the FX-rate simulator on its own: `npx tsx simulators/src/fx-rates/main.ts`. */
import { createLogger, env, loadConfigOrExit, onShutdown } from '@vcdc/shared';
import { z } from 'zod';
import { DEFAULT_FX_RATE_SIMULATOR_PORT, startFxRateSimulator } from './index';

const FxRateSimulatorConfig = z.object({
  FX_RATE_SIMULATOR_PORT: env.port(DEFAULT_FX_RATE_SIMULATOR_PORT),
  HOST: z.string().min(1).default('127.0.0.1'),
  FX_RATE_SIMULATOR_SEED: z.string().min(1).default('vcdc'),
  FX_RATE_SIMULATOR_SPREAD_BPS: z.coerce.number().int().min(0).max(10_000).default(30),
  LOG_LEVEL: env.logLevel(),
});

const config = loadConfigOrExit(FxRateSimulatorConfig);
const logger = createLogger('fx-rate-simulator', config.LOG_LEVEL);
startFxRateSimulator({
  port: config.FX_RATE_SIMULATOR_PORT,
  host: config.HOST,
  seed: config.FX_RATE_SIMULATOR_SEED,
  spreadBasisPoints: config.FX_RATE_SIMULATOR_SPREAD_BPS,
  logger,
}).then(
  (sim) => {
    logger.info({ url: sim.url }, 'fx-rate simulator listening');
    onShutdown(logger, sim.close);
  },
  (error) => {
    logger.error({ err: error }, 'fx-rate simulator failed to start');
    process.exit(1);
  },
);
