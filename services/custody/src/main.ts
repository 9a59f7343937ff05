/** `npx tsx services/custody/src/main.ts`: the custody service as a process. */
import { createLogger, loadConfigOrExit, onShutdown } from '@vcdc/shared';
import { CustodyConfigSchema } from './config';
import { startCustodyService } from './service';

async function main(): Promise<void> {
  const config = loadConfigOrExit(CustodyConfigSchema);
  const logger = createLogger('custody', config.LOG_LEVEL);
  const service = await startCustodyService(config, logger);
  onShutdown(logger, service.close);
}

main().catch((error) => {
  process.stderr.write(`custody failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
