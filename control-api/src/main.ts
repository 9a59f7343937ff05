/**
 * Runs the control API: `npx tsx control-api/src/main.ts`. Stops on SIGINT/SIGTERM.
 */
import { createLogger, loadConfigOrExit, onShutdown } from '@vcdc/shared';
import { ControlApiConfig } from './config';
import { startControlApi } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit(ControlApiConfig);
  const logger = createLogger('control-api', config.LOG_LEVEL);
  const running = await startControlApi(config, logger);
  logger.info({ url: running.url, temporal: config.TEMPORAL_ADDRESS }, 'control API listening');
  onShutdown(logger, running.close);
}

main().catch((error) => {
  process.stderr.write(`control-api: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
