/**
 * `node --import tsx simulators/src/desks/cli.ts`: the dev desks on loopback (7211-7213), pricing from
 * the venue simulator at VENUE_URL (default http://127.0.0.1:7201), looking deliveries up on the ledger
 * chain at CHAIN_URL (default http://127.0.0.1:7202) and, for ETH, on the EVM node at EVM_RPC_URL when
 * given. Prints the exchange service's RFQ_DESKS for them. Dev only (the dev stack starts them itself:
 * DESK_SIM_PORTS).
 */
import { startDevDesks } from './index';

async function main(): Promise<void> {
  const running = await startDevDesks({
    venueUrl: process.env.VENUE_URL ?? 'http://127.0.0.1:7201',
    chain: {
      ledgerUrl: process.env.CHAIN_URL ?? 'http://127.0.0.1:7202',
      ...(process.env.EVM_RPC_URL ? { evmRpcUrl: process.env.EVM_RPC_URL } : {}),
    },
  });
  process.stdout.write(`RFQ_DESKS='${running.rfqDesks}'\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
