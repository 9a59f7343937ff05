/** The custody service as a running process: load the custody key, migrate, open the pool, build the app, listen. */
import path from 'node:path';
import { createLogger, HttpProviderRegister, type Logger, type RunningService, startService } from '@vcdc/shared';
import { CUSTODY_ACT_ROUTES, createApp } from './app';
import { type ChainAdapter, ChainRouter, ChainSimulatorClient } from './chain-adapter';
import type { CustodyConfig } from './config';
import { CustodyAddressBook } from './custody-addresses';
import { CustodyKeyring } from './custody-keyring';
import { EvmChainAdapter } from './evm-chain';

export const CUSTODY_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export type RunningCustodyService = RunningService;

export async function loadCustodyKeyring(config: CustodyConfig): Promise<CustodyKeyring> {
  if (config.CUSTODY_KEYSTORE_FILE) {
    return CustodyKeyring.fromKeystoreFile(config.CUSTODY_KEYSTORE_FILE, config.CUSTODY_KEYSTORE_PASSWORD ?? '');
  }
  return CustodyKeyring.fromSecret(config.CUSTODY_MASTER_SECRET);
}

export async function startCustodyService(
  config: CustodyConfig,
  logger: Logger = createLogger('custody', config.LOG_LEVEL),
): Promise<RunningCustodyService> {
  const keyring = await loadCustodyKeyring(config);
  let evm: EvmChainAdapter | undefined;
  const chainFor = (pool: Parameters<typeof createApp>[0]['pool']): ChainAdapter => {
    const simulator = new ChainSimulatorClient(config.CHAIN_RPC_URL);
    if (!config.EVM_RPC_URL || !config.EVM_USDT_CONTRACT) return simulator;
    evm = new EvmChainAdapter({
      rpcUrl: config.EVM_RPC_URL,
      pool,
      keyring,
      tokens: { USDT: { address: config.EVM_USDT_CONTRACT, decimals: config.EVM_USDT_DECIMALS } },
    });
    return new ChainRouter({ ethereum: evm, bitcoin: simulator });
  };
  const running = await startService({
    name: 'custody',
    config,
    migrationsDir: CUSTODY_MIGRATIONS_DIR,
    logger,
    describe: {
      chain: config.CHAIN_RPC_URL,
      evm: config.EVM_RPC_URL ?? null,
      keystore: Boolean(config.CUSTODY_KEYSTORE_FILE),
    },
    actRoutes: CUSTODY_ACT_ROUTES,
    buildApp: (pool, { serviceRole }) => {
      return createApp({
        pool,
        chain: chainFor(pool),
        addresses: new CustodyAddressBook(keyring),
        minConfirmations: {
          bitcoin: config.CUSTODY_MIN_CONFIRMATIONS_BITCOIN ?? config.CUSTODY_MIN_CONFIRMATIONS,
          ethereum: config.CUSTODY_MIN_CONFIRMATIONS_ETHEREUM ?? config.CUSTODY_MIN_CONFIRMATIONS,
        },
        logger,
        migrationsDir: CUSTODY_MIGRATIONS_DIR,
        serviceRole,
        whitelistCoolingOffSeconds: config.CUSTODY_WHITELIST_COOLING_OFF_SECONDS,
        testDepositMax: config.CUSTODY_TEST_DEPOSIT_MAX,
        actVerifyKeys: config.ACT_VERIFY_KEYS,
        providerRegister: new HttpProviderRegister({
          url: config.PROVIDER_REGISTER_URL,
          ...(config.PROVIDER_REGISTER_TOKEN ? { token: config.PROVIDER_REGISTER_TOKEN } : {}),
        }),
      });
    },
  });
  return {
    ...running,
    close: async () => {
      await running.close();
      evm?.close();
    },
  };
}
