/** `npx tsx services/exchange/src/main.ts`: the exchange service as a process. */
import { createLogger, loadConfigOrExit, onShutdown } from '@vcdc/shared';
import { ExchangeConfig } from './config';
import { startExchangeService } from './service';

const config = loadConfigOrExit(ExchangeConfig);
const logger = createLogger('exchange', config.LOG_LEVEL);
startExchangeService(config, logger).then(
  (service) => onShutdown(logger, service.close),
  (error) => {
    logger.error({ err: error }, 'exchange service failed to start');
    process.exit(1);
  },
);
