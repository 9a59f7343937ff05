export { HARDHAT_DEV_KEYS, LOCAL_USDT_ADDRESS, USDT_ABI, USDT_DECIMALS } from './accounts';
export { evmTransfer } from './inspect';
export { type RunningEvmNode, startEvmNode } from './node';
export { type EvmSweep, sweepOnEvm } from './seizure';
