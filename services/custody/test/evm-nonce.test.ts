/**
 * Issue 19: no nonce is ever signed twice. Custody's gas station pays the gas of every USDT transfer out
 * of a case wallet; when several cases top up gas at the same moment, each top-up must get its own
 * nonce. Before, the nonce was the node's pending count read under a lock released at COMMIT, before
 * the broadcast: two cases signed the same nonce and one transfer was refused as "superseded" (two of
 * ten cases FAILED at TRANSFER in a run of ten). Real local EVM node (Hardhat), real PostgreSQL.
 */
import { createPool, migrate, type Pool } from '@vcdc/shared';
import { getAddress } from 'ethers';
import { type RunningEvmNode, startEvmNode } from '../../../simulators/src/evm';
import { createTestDatabase } from '../../../test/support/database';
import { CustodyKeyring } from '../src/custody-keyring';
import { EvmChainAdapter } from '../src/evm-chain';
import { CUSTODY_MIGRATIONS_DIR } from '../src/service';

const MNEMONIC = 'test test test test test test test test test test test junk';
const AT_ONCE = 8;

let node: RunningEvmNode;
let pool: Pool;
let keyring: CustodyKeyring;
let evm: EvmChainAdapter;

beforeAll(async () => {
  // Blocks every 200 ms, not one per transaction: broadcasts wait in the pool as on a real chain.
  node = await startEvmNode({ blockIntervalMs: 200 });
  const databaseUrl = await createTestDatabase('custody_evm_nonce');
  await migrate({ databaseUrl, schema: 'custody', dir: CUSTODY_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'custody', 20);
  keyring = CustodyKeyring.fromSecret(MNEMONIC);
  evm = new EvmChainAdapter({
    rpcUrl: node.url,
    pool,
    keyring,
    tokens: { USDT: { address: node.usdtAddress, decimals: 6 } },
  });
  await node.fundEth(evm.gasStationAddress(), '10');
}, 60_000);

afterAll(async () => {
  evm?.close();
  await pool?.end();
  await node?.close();
});

test(`${AT_ONCE} USDT transfers at once, each topped up with gas by the one gas station: every one lands, no nonce twice`, async () => {
  const cases = Array.from({ length: AT_ONCE }, (_, i) => `NONCE-${i + 1}`);
  const wallets = cases.map((caseId) => keyring.walletFor(caseId, 'USDT').address);
  for (const address of wallets) await node.sweep('USDT', address, '100');
  const to = getAddress('0x000000000000000000000000000000000000dEaD');

  const sent = await Promise.allSettled(
    cases.map((caseId, i) =>
      evm.send('ethereum', {
        caseId,
        from: wallets[i] as string,
        to,
        asset: 'USDT',
        amount: '40',
        clientRef: `nonce-test-${caseId}`,
      }),
    ),
  );
  const refused = sent.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason));
  expect(refused).toEqual([]);

  // The station signed one top-up per case, each with its own nonce, and the chain took them all.
  const { rows } = await pool.query<{ nonce: string; tx_hash: string }>(
    `SELECT nonce::text, tx_hash FROM evm_signed_transactions WHERE from_address = $1 ORDER BY nonce`,
    [evm.gasStationAddress()],
  );
  expect(rows).toHaveLength(AT_ONCE);
  expect(new Set(rows.map((r) => r.nonce)).size).toBe(AT_ONCE);
  for (const s of sent) {
    const tx = (s as PromiseFulfilledResult<{ txHash: string }>).value;
    const found = await evm.getTransaction('ethereum', tx.txHash);
    expect(found?.amount).toBe('40');
  }
}, 120_000);
