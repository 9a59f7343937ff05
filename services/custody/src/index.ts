/** @vcdc/custody: what other parts (the dev stack, the end-to-end test) use to run the custody service. */
export { type CustodyAppDeps, createApp } from './app';
export {
  type ChainAdapter,
  ChainRefusal,
  ChainRouter,
  ChainSimulatorClient,
  type ChainTransaction,
  type SendRequest,
} from './chain-adapter';
export { type CustodyConfig, CustodyConfigSchema, DEV_CUSTODY_MASTER_SECRET } from './config';
export { CustodyAddressBook } from './custody-addresses';
export { CustodyKeyring } from './custody-keyring';
export { EvmChainAdapter, type EvmChainOptions } from './evm-chain';
export { CUSTODY_MIGRATIONS_DIR, loadCustodyKeyring, type RunningCustodyService, startCustodyService } from './service';
