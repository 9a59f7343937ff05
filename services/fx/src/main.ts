/** `npx tsx services/fx/src/main.ts`: the FX service as a process. */
import { createLogger, loadConfigOrExit, onShutdown } from '@vcdc/shared';
import { FxConfig } from './config';
import { startFxService } from './service';

const config = loadConfigOrExit(FxConfig);
const logger = createLogger('fx', config.LOG_LEVEL);
startFxService(config, logger).then(
  (service) => onShutdown(logger, service.close),
  (error) => {
    logger.error({ err: error }, 'fx service failed to start');
    process.exit(1);
  },
);
