export { HARDHAT_DEV_KEYS, type RunningEvmNode, startEvmNode, USDT_ABI, USDT_DECIMALS } from './node';
