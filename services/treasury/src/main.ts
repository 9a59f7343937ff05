/** `npx tsx services/treasury/src/main.ts`: the treasury service as a process. */
import { createLogger, loadConfigOrExit, onShutdown } from '@vcdc/shared';
import { TreasuryConfig } from './config';
import { startTreasuryService } from './service';

const config = loadConfigOrExit(TreasuryConfig);
const logger = createLogger('treasury', config.LOG_LEVEL);
startTreasuryService(config, logger).then(
  (service) => onShutdown(logger, service.close),
  (error) => {
    logger.error({ err: error }, 'treasury service failed to start');
    process.exit(1);
  },
);
