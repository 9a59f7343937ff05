/**
 * Prints the address of the custody gas station — the EVM account of the custody key that pays the
 * ETH gas of USDT transfers out of case wallets — for the custody key this environment configures
 * (CUSTODY_MASTER_SECRET or CUSTODY_KEYSTORE_FILE). Fund it with ETH on the custody chain; the
 * docker compose trial passes it to the simulators as EVM_FUND_ADDRESSES:
 *
 *   docker compose run --rm --no-deps custody node --import tsx services/custody/src/cli/gas-station-address.ts
 */
import { loadConfigOrExit } from '@vcdc/shared';
import { CustodyConfigSchema } from '../config';
import { loadCustodyKeyring } from '../service';

async function main(): Promise<void> {
  const keyring = await loadCustodyKeyring(loadConfigOrExit(CustodyConfigSchema));
  process.stdout.write(`${keyring.gasStation().address}\n`);
}

main().catch((error) => {
  process.stderr.write(`gas-station-address: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
