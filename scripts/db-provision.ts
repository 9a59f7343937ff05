/**
 * The provision step, run before the system starts (and after every upgrade), with the database
 * owner's credentials, which no running process holds:
 *
 *   DATABASE_OWNER_URL=postgresql://vcdc_owner:…@db/vcdc \
 *   CUSTODY_DB_PASSWORD=… EXCHANGE_DB_PASSWORD=… FX_DB_PASSWORD=… TREASURY_DB_PASSWORD=… \
 *   AUDIT_DB_PASSWORD=… NOTIFICATIONS_DB_PASSWORD=… LOT_MANIFESTS_DB_PASSWORD=… npm run db:provision
 *
 * migrates every schema and gives each `<schema>_service` role LOGIN with its password (or, with
 * `<NAME>_DB_URL` instead, grants a login role a DBA made). Idempotent; two runs at once are safe.
 * Exit 0 when every role is ready; 1 (with the reason) otherwise; 2 for a bad setting.
 */
import { createLogger, loadConfigOrExit } from '@vcdc/shared';
import { ProvisionConfig, provisionSystem, roleCredentials } from './lib/system-database';

async function main(): Promise<void> {
  const config = loadConfigOrExit(ProvisionConfig);
  const logger = createLogger('db-provision', config.LOG_LEVEL);
  await provisionSystem(config.DATABASE_OWNER_URL, roleCredentials(config), (line) => logger.info(line));
  logger.info('every schema is current and every service role is provisioned');
}

main().catch((error) => {
  process.stderr.write(`db-provision: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
