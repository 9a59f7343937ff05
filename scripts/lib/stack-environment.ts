/**
 * What each process of the dev stack is started with (scripts/dev.ts), built in one pure function so
 * a test can check it: every process that works on the database gets the URLs of its service roles
 * (from the provision step) and nothing else. The owner's URL is not an input here: no process can be
 * given it by mistake.
 */
import { devRfqDesks } from '../../simulators/src/desks/credentials';
import { DEV_OSL_API_KEY, DEV_OSL_SECRET } from '../../simulators/src/osl/credentials';
import type { RoleUrls } from './system-database';

export const SERVICES = ['custody', 'exchange', 'fx', 'treasury'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type StackProcess = ServiceName | 'worker' | 'control-api' | 'simulators';

export interface StackSettings {
  logLevel: string;
  ports: Record<ServiceName | 'controlApi', number> & {
    venue: number;
    chain: number;
    fxRates: number;
    evm: number;
    temporalUi: number;
    /** The worker's /healthz and /metrics, and the Temporal SDK's own metrics exporter (defaults: 7110, 7111). */
    worker?: number;
    workerSdkMetrics?: number;
    /** The simulated OSL (a second trading venue); absent: not started, the exchange trades at the venue alone. */
    osl?: number;
    /** The simulated OTC desks (desk-alpha, -beta, -gamma in that order); absent: none, every RFQ is NO_DESK. */
    desks?: readonly number[];
  };
  /** The URLs the processes reach each other at. */
  urls: Record<ServiceName | 'controlApi' | 'venue' | 'chain' | 'fxRates', string> & {
    evm: { rpcUrl: string; usdtAddress: string };
    osl?: string;
    /** The desks' URLs, in the order of `ports.desks`. */
    desks?: readonly string[];
  };
  /** The provision step's role URLs (scripts/lib/system-database.ts). */
  roleUrls: RoleUrls;
  /** Each service's credential (the worker holds them all) and the control API's own. */
  serviceTokens: Record<ServiceName, string>;
  controlApiToken: string;
  /** The credential custody reads the exchange's register of providers with (it opens nothing else). */
  registerReadToken: string;
  decisionKeys: { signingKey: string; verifyKey: string };
  temporal: { address: string; namespace: string; payloadCodecKeys: string };
  devKeyDir: string;
  codecUiSecret: string;
  /** Addresses the local EVM node funds at start (the custody gas station). */
  evmFundAddresses: string;
  simulatorStateDir: string;
  /** The execution engine's schedule for cases that name none (default: three slices over 30 s, to watch). */
  sale?: { slices: number; horizonSeconds: number; maxRepricings?: number };
  /**
   * Signed audit checkpoints (issue 12): where they are kept, each signer's own key (a service for its
   * chain, the control API for `audit`) and every signer's public key, which each verifier accepts.
   */
  auditCheckpoints?: {
    dir: string;
    signingKeys: Record<ServiceName | 'control-api', string>;
    verifyKeys: string;
  };
}

export function stackEnvironments(s: StackSettings): Record<StackProcess, NodeJS.ProcessEnv> {
  const common = { LOG_LEVEL: s.logLevel, HOST: '127.0.0.1' };
  const temporalEnv = {
    TEMPORAL_ADDRESS: s.temporal.address,
    TEMPORAL_NAMESPACE: s.temporal.namespace,
    // One payload key for the worker and the control API: case data in Temporal is ciphertext.
    PAYLOAD_CODEC_KEYS: s.temporal.payloadCodecKeys,
  };
  const extra: Record<ServiceName, NodeJS.ProcessEnv> = {
    custody: {
      CHAIN_RPC_URL: s.urls.chain,
      EVM_RPC_URL: s.urls.evm.rpcUrl,
      EVM_USDT_CONTRACT: s.urls.evm.usdtAddress,
      // Two custodians approve each venue address; a short cooling-off (not production's 24 h), long
      // enough to see an entry wait in COOLING_OFF before it becomes ACTIVE.
      CUSTODY_WHITELIST_COOLING_OFF_SECONDS: '20',
      // The register of licensed providers is the exchange's: custody reads a provider's standing there.
      PROVIDER_REGISTER_URL: s.urls.exchange,
      PROVIDER_REGISTER_TOKEN: s.registerReadToken,
    },
    exchange: {
      VENUE_API_URL: s.urls.venue,
      PROVIDER_REGISTER_READ_TOKEN: s.registerReadToken,
      // OSL beside HashKey, with the simulated OSL's dev-only credentials (simulators/src/osl).
      ...(s.urls.osl
        ? {
            TRADING_VENUES: JSON.stringify([
              { id: 'osl', adapter: 'osl', url: s.urls.osl, apiKey: DEV_OSL_API_KEY, secret: DEV_OSL_SECRET },
            ]),
          }
        : {}),
      // The OTC desks an RFQ asks, with their dev-only shared secrets (simulators/src/desks/credentials.ts).
      ...(s.urls.desks?.length ? { RFQ_DESKS: JSON.stringify(devRfqDesks(s.urls.desks)) } : {}),
    },
    fx: {
      FX_RATE_SOURCE_URL: s.urls.fxRates,
      // The bank it settles with must be in good standing in the exchange's register.
      PROVIDER_REGISTER_URL: s.urls.exchange,
      PROVIDER_REGISTER_TOKEN: s.registerReadToken,
    },
    treasury: {},
  };
  const checkpoints = (signer: ServiceName | 'control-api'): NodeJS.ProcessEnv =>
    s.auditCheckpoints
      ? {
          AUDIT_CHECKPOINT_DIR: s.auditCheckpoints.dir,
          AUDIT_CHECKPOINT_KEY: s.auditCheckpoints.signingKeys[signer],
          AUDIT_CHECKPOINT_VERIFY_KEYS: s.auditCheckpoints.verifyKeys,
        }
      : {};
  const service = (name: ServiceName): NodeJS.ProcessEnv => ({
    ...checkpoints(name),
    // The control API signs every person's act and decision; each service verifies them with the public half.
    ACT_VERIFY_KEYS: s.decisionKeys.verifyKey,
    ...common,
    ...extra[name],
    PORT: String(s.ports[name]),
    // Its own role's login (`<name>_service`): it can add audit records, never change them.
    DATABASE_URL: s.roleUrls[name],
    // Each service accepts calls only with its own credential; the control API has a narrower one.
    SERVICE_TOKEN: s.serviceTokens[name],
    CONTROL_API_TOKEN: s.controlApiToken,
  });
  return {
    simulators: {
      ...common,
      VENUE_SIM_PORT: String(s.ports.venue),
      CHAIN_SIM_PORT: String(s.ports.chain),
      FX_RATES_SIM_PORT: String(s.ports.fxRates),
      EVM_NODE_PORT: String(s.ports.evm),
      ...(s.ports.osl !== undefined ? { OSL_SIM_PORT: String(s.ports.osl) } : {}),
      ...(s.ports.desks?.length ? { DESK_SIM_PORTS: s.ports.desks.join(',') } : {}),
      EVM_FUND_ADDRESSES: s.evmFundAddresses,
      SIM_STATE_DIR: s.simulatorStateDir,
    },
    custody: service('custody'),
    exchange: service('exchange'),
    fx: service('fx'),
    treasury: service('treasury'),
    worker: {
      // The worker verifies decisions too (a raw signal from the Web UI is refused).
      DECISION_VERIFY_KEYS: s.decisionKeys.verifyKey,
      ...common,
      ...temporalEnv,
      CUSTODY_URL: s.urls.custody,
      EXCHANGE_URL: s.urls.exchange,
      FX_URL: s.urls.fx,
      TREASURY_URL: s.urls.treasury,
      CUSTODY_SERVICE_TOKEN: s.serviceTokens.custody,
      EXCHANGE_SERVICE_TOKEN: s.serviceTokens.exchange,
      FX_SERVICE_TOKEN: s.serviceTokens.fx,
      TREASURY_SERVICE_TOKEN: s.serviceTokens.treasury,
      ...(s.ports.worker ? { PORT: String(s.ports.worker) } : {}),
      ...(s.ports.workerSdkMetrics ? { SDK_METRICS_PORT: String(s.ports.workerSdkMetrics) } : {}),
      // The notifications outbox, written as notifications_service (the control API reads it).
      DATABASE_URL: s.roleUrls.notifications,
      NOTIFICATIONS_SCHEMA: 'notifications',
      // The refusals of messages sent to Temporal directly go to the control API's audit chain, as audit_service.
      AUDIT_DATABASE_URL: s.roleUrls.audit,
      // The lot manifests of large cases, read in pages by their intake, as lot_manifests_service.
      LOT_MANIFESTS_DATABASE_URL: s.roleUrls.lot_manifests,
      LOT_MANIFESTS_SCHEMA: 'lot_manifests',
    },
    'control-api': {
      ...checkpoints('control-api'),
      ...common,
      ...temporalEnv,
      PORT: String(s.ports.controlApi),
      AUTH_MODE: 'dev',
      AUTH_DEV_KEY_DIR: s.devKeyDir,
      // Its audit chain and Idempotency-Key store, as audit_service; the outbox, as notifications_service.
      DATABASE_URL: s.roleUrls.audit,
      NOTIFICATIONS_DATABASE_URL: s.roleUrls.notifications,
      NOTIFICATIONS_SCHEMA: 'notifications',
      // The lot manifests of large cases (POST /v1/cases/:caseId/lots), as lot_manifests_service.
      LOT_MANIFESTS_DATABASE_URL: s.roleUrls.lot_manifests,
      LOT_MANIFESTS_SCHEMA: 'lot_manifests',
      // GET /v1/audit/verify asks every service to verify its own chain too; people's acts go to custody and
      // the treasury. With the control API's own credential, not the worker's.
      CUSTODY_URL: s.urls.custody,
      EXCHANGE_URL: s.urls.exchange,
      FX_URL: s.urls.fx,
      TREASURY_URL: s.urls.treasury,
      CONTROL_API_TOKEN: s.controlApiToken,
      CODEC_UI_SECRET: s.codecUiSecret,
      // The demo sells each lot in three slices over half a minute: long enough to watch in the Web UI.
      DEFAULT_SALE_SLICES: String(s.sale?.slices ?? 3),
      DEFAULT_SALE_HORIZON_SECONDS: String(s.sale?.horizonSeconds ?? 30),
      // The simulated book is thin next to a demo lot: slices reach 30 bp under the reference to fill.
      DEFAULT_SALE_PRICE_OFFSET_BP: '30',
      DEFAULT_SALE_MAX_REPRICINGS: String(s.sale?.maxRepricings ?? 5),
      DECISION_SIGNING_KEY: s.decisionKeys.signingKey,
      CODEC_CORS_ORIGINS: `http://127.0.0.1:${s.ports.temporalUi},http://localhost:${s.ports.temporalUi}`,
      // The console's link from a case to its workflow in the Web UI.
      TEMPORAL_UI_URL: `http://127.0.0.1:${s.ports.temporalUi}`,
      // … and the workflow's link back to the case's page in the console.
      CONSOLE_PUBLIC_URL: `${s.urls.controlApi}/console`,
    },
  };
}
