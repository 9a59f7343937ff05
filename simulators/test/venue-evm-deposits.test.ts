/**
 * The venue simulator credits ETH and USDT deposits by watching the local EVM node: real transactions
 * to its ethereum deposit address, credited only once they have the venue's confirmations.
 */
import { parseEther, parseUnits, Wallet } from 'ethers';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import { HARDHAT_DEV_KEYS, type RunningEvmNode, startEvmNode } from '../src/evm';
import { type RunningVenueSimulator, startVenueSimulator } from '../src/venue';

let node: RunningEvmNode;
let chain: RunningChainSimulator;
let venue: RunningVenueSimulator;

beforeAll(async () => {
  node = await startEvmNode();
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  venue = await startVenueSimulator({
    port: 0,
    seed: 11,
    chainUrl: chain.url,
    evm: { rpcUrl: node.url, usdtAddress: node.usdtAddress },
    depositConfirmations: 3,
    pollIntervalMs: 60_000,
  });
}, 60_000);
afterAll(async () => {
  await venue?.close();
  await chain?.close();
  await node?.close();
});

const depositOf = (txHash: string) => venue.venue.state.deposits.find((d) => d.txId === txHash);

test('an ETH transfer to the deposit address is seen at once and credited after the venue’s confirmations', async () => {
  const address = venue.venue.state.depositAddresses.ethereum;
  const sender = new Wallet(HARDHAT_DEV_KEYS[2], node.provider);
  const tx = await sender.sendTransaction({ to: address, value: parseEther('1.75') });
  await tx.wait();
  await venue.syncDeposits();
  expect(depositOf(tx.hash)).toMatchObject({ coin: 'ETH', quantity: '1.75', status: 2, confirmations: 1 });
  expect(venue.venue.state.balances.ETH?.free ?? '0').toBe('0');

  await node.mine(2);
  await venue.syncDeposits();
  expect(depositOf(tx.hash)).toMatchObject({ status: 4, confirmations: 3 });
  expect(venue.venue.state.balances.ETH?.free).toBe('1.75');
});

test('a USDT transfer (ERC-20 Transfer event) is credited with its exact amount, once', async () => {
  const address = venue.venue.state.depositAddresses.ethereum;
  const { txHash } = await node.sweep('USDT', address, '24990.123456');
  await node.mine(2);
  await venue.syncDeposits();
  await venue.syncDeposits();
  expect(depositOf(txHash)).toMatchObject({ coin: 'USDT', quantity: '24990.123456', status: 4 });
  expect(venue.venue.state.balances.USDT?.free).toBe('24990.123456');
  expect(venue.venue.state.deposits.filter((d) => d.txId === txHash)).toHaveLength(1);
  // Transfers to other addresses are not the venue's.
  await node.sweep('USDT', Wallet.createRandom().address, '5');
  await node.mine(3);
  await venue.syncDeposits();
  expect(venue.venue.state.balances.USDT?.free).toBe('24990.123456');
  expect(parseUnits(venue.venue.state.balances.USDT!.free, 6)).toBe(await node.usdtBalance(address));
});
