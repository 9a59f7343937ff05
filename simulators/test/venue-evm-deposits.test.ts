/**
 * The venue simulator credits ETH and USDT deposits by watching the local EVM node: real transactions
 * to its ethereum deposit address, credited only once they have the venue's confirmations. And it pays
 * ETH and USDT withdrawals out of that address as real transactions (through real ccxt over HTTP).
 */
import ccxt from 'ccxt';
import { formatEther, parseEther, parseUnits, Wallet } from 'ethers';
import { type RunningChainSimulator, startChainSimulator } from '../src/chain';
import { evmTransfer, HARDHAT_DEV_KEYS, type RunningEvmNode, startEvmNode } from '../src/evm';
import { DEV_VENUE_API_KEY, DEV_VENUE_SECRET, type RunningVenueSimulator, startVenueSimulator } from '../src/venue';

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
  expect(depositOf(tx.hash)).toMatchObject({ coin: 'ETH', quantity: '1.75', status: 2 });
  // Confirmations are counted from the deposit's block and the head when read (nothing stored per block).
  expect(venue.venue.confirmationsOf(depositOf(tx.hash)!)).toBe(1);
  expect(venue.venue.state.balances.ETH?.free ?? '0').toBe('0');

  await node.mine(2);
  await venue.syncDeposits();
  expect(depositOf(tx.hash)).toMatchObject({ status: 4 });
  expect(venue.venue.confirmationsOf(depositOf(tx.hash)!)).toBe(3);
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

function client(v: RunningVenueSimulator) {
  return new ccxt.hashkey({
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    enableRateLimit: false,
    urls: { api: { public: v.url, private: v.url } },
  });
}

test('an ETH withdrawal is one transaction from the deposit address of the amount less the fee, its hash the txId', async () => {
  const ex = client(venue);
  const to = Wallet.createRandom().address;
  const w = await ex.withdraw('ETH', 0.5, to, undefined, { network: 'ERC20', clientOrderId: 'ret-eth-1' });
  const withdrawalId = (w.info as { orderId: string }).orderId;
  const listed = (await ex.fetchWithdrawals('ETH')).find((x) => x.id === withdrawalId)!;
  expect(listed.info).toMatchObject({ quantity: '0.5', fee: '0.003', arriveQuantity: '0.497' });
  expect(listed.status).toBe('ok'); // Hardhat mines at once
  expect(await evmTransfer({ rpcUrl: node.url, usdtAddress: node.usdtAddress }, listed.txid!)).toMatchObject({
    status: 'CONFIRMED',
    asset: 'ETH',
    amount: '0.497',
    to,
  });
  expect(formatEther(await node.provider.getBalance(to))).toBe('0.497');
  expect(venue.venue.state.balances.ETH?.free).toBe('1.25');
  // listing and processing again never send a second transaction
  await venue.processWithdrawals();
  await ex.fetchWithdrawals('ETH');
  expect(formatEther(await node.provider.getBalance(to))).toBe('0.497');
});

test('a USDT withdrawal from an address without ETH is topped up with gas by the venue, which is no deposit', async () => {
  // A second venue on the same node, holding only USDT on chain.
  const other = await startVenueSimulator({
    port: 0,
    seed: 12,
    chainUrl: chain.url,
    evm: { rpcUrl: node.url, usdtAddress: node.usdtAddress },
    depositConfirmations: 1,
    pollIntervalMs: 60_000,
  });
  try {
    const address = other.venue.state.depositAddresses.ethereum;
    await node.sweep('USDT', address, '500');
    await other.syncDeposits();
    expect(other.venue.state.balances.USDT?.free).toBe('500');
    const ex = client(other);
    const to = Wallet.createRandom().address;
    const w = await ex.withdraw('USDT', 200, to, undefined, { network: 'ERC20', clientOrderId: 'ret-usdt-1' });
    const withdrawalId = (w.info as { orderId: string }).orderId;
    const listed = (await ex.fetchWithdrawals('USDT')).find((x) => x.id === withdrawalId)!;
    expect(listed.info).toMatchObject({ quantity: '200', fee: '3', arriveQuantity: '197' });
    expect(await evmTransfer({ rpcUrl: node.url, usdtAddress: node.usdtAddress }, listed.txid!)).toMatchObject({
      status: 'CONFIRMED',
      asset: 'USDT',
      amount: '197.0',
      to,
    });
    expect(await node.usdtBalance(to)).toBe(parseUnits('197', 6));
    expect(await node.usdtBalance(address)).toBe(parseUnits('303', 6));
    // the gas top-up came from the venue's gas account: not credited as anybody's ETH deposit
    await other.syncDeposits();
    expect(other.venue.state.deposits.map((d) => d.coin)).toEqual(['USDT']);
    expect(other.venue.state.balances.ETH?.free ?? '0').toBe('0');
    expect(other.venue.state.balances.USDT?.free).toBe('300');
  } finally {
    await other.close();
  }
});
