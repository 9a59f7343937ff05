/** Reading a transfer back from the local EVM node, as a test or an auditor checks it on chain. */
import { formatEther, formatUnits, getAddress, Interface, JsonRpcProvider } from 'ethers';
import { USDT_ABI, USDT_DECIMALS } from './accounts';

const USDT = new Interface(USDT_ABI as never);

/** What a mined transaction moved: ETH value, or the sum of its USDT Transfer events. */
export async function evmTransfer(
  evm: { rpcUrl: string; usdtAddress: string },
  txHash: string,
): Promise<{ status: 'CONFIRMED' | 'PENDING' | 'REVERTED'; asset: 'ETH' | 'USDT'; amount: string; to: string }> {
  const provider = new JsonRpcProvider(evm.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const [tx, receipt] = await Promise.all([provider.getTransaction(txHash), provider.getTransactionReceipt(txHash)]);
    if (!tx) throw new Error(`no transaction ${txHash} on ${evm.rpcUrl}`);
    const status = !receipt ? 'PENDING' : receipt.status === 1 ? 'CONFIRMED' : 'REVERTED';
    if (tx.to && getAddress(tx.to) === getAddress(evm.usdtAddress)) {
      let units = 0n;
      let to = '';
      for (const log of receipt?.logs ?? []) {
        const parsed = getAddress(log.address) === getAddress(evm.usdtAddress) ? USDT.parseLog(log) : null;
        if (parsed?.name !== 'Transfer') continue;
        units += parsed.args[2] as bigint;
        to = getAddress(parsed.args[1] as string);
      }
      return { status, asset: 'USDT', amount: formatUnits(units, USDT_DECIMALS), to };
    }
    return { status, asset: 'ETH', amount: formatEther(tx.value), to: tx.to ? getAddress(tx.to) : '' };
  } finally {
    provider.destroy();
  }
}
