/**
 * What happens outside custody on the local EVM chain (dev and tests only): a suspect's wallet holds
 * the seized coins, and the seizing officers sweep them into the case's custody address. The suspect
 * wallet is a fresh key, funded from the node's first dev account (also the TestUSDT issuer, which
 * mints the suspect's USDT). Callers send from that account one at a time.
 */
import { Contract, JsonRpcProvider, parseEther, parseUnits, Wallet } from 'ethers';
import { HARDHAT_DEV_KEYS, USDT_ABI, USDT_DECIMALS } from './accounts';

export interface EvmSweep {
  rpcUrl: string;
  usdtAddress: string;
  asset: 'ETH' | 'USDT';
  /** The custody address the coins are swept into. */
  to: string;
  /** Decimal string in the asset. */
  amount: string;
}

/** Fund a suspect wallet with the lot (and the gas of its sweep), sweep it to `to`; the sweep's tx hash. */
export async function sweepOnEvm(
  sweep: EvmSweep,
  provider = new JsonRpcProvider(sweep.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 }),
): Promise<{ txHash: string; suspect: string }> {
  const issuer = new Wallet(HARDHAT_DEV_KEYS[0], provider);
  const suspect = Wallet.createRandom(provider);
  const gas = parseEther('0.01');
  if (sweep.asset === 'ETH') {
    await (await issuer.sendTransaction({ to: suspect.address, value: parseEther(sweep.amount) + gas })).wait();
    const tx = await suspect.sendTransaction({ to: sweep.to, value: parseEther(sweep.amount) });
    await tx.wait();
    return { txHash: tx.hash, suspect: suspect.address };
  }
  const usdt = new Contract(sweep.usdtAddress, USDT_ABI as never, issuer);
  await (await issuer.sendTransaction({ to: suspect.address, value: gas })).wait();
  await (await usdt.getFunction('mint')(suspect.address, parseUnits(sweep.amount, USDT_DECIMALS))).wait();
  const tx = await (usdt.connect(suspect) as Contract).getFunction('transfer')(
    sweep.to,
    parseUnits(sweep.amount, USDT_DECIMALS),
  );
  await tx.wait();
  return { txHash: tx.hash as string, suspect: suspect.address };
}
