/** @vcdc/custody: what other parts (the dev stack, the end-to-end test) use to run the custody service. */
export { type CustodyAppDeps, createApp } from './app';
export {
  type ChainAdapter,
  ChainRefusal,
  ChainSimulatorClient,
  type ChainTransaction,
  type SendRequest,
} from './chain-adapter';
export { type CustodyConfig, CustodyConfigSchema, DEV_CUSTODY_MASTER_SECRET } from './config';
export { CustodyAddressBook } from './custody-addresses';
export { CUSTODY_MIGRATIONS_DIR, type RunningCustodyService, startCustodyService } from './service';
