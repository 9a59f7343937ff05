/**
 * The whole system in this test process, on loopback ports the OS picks: the simulators, the four
 * services on their own schemas of a fresh database (in the embedded PostgreSQL of the test run),
 * a real Temporal dev server with the case search attributes, the worker and the control API.
 * The same code paths as the dev stack (the provision step as the owner, then each part's `start…`
 * function with its service roles' URLs only), only without child processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import {
  AUDIT_MIGRATIONS_DIR,
  AuditChain,
  listen,
  openRolePool,
  parseConfig,
  ServiceClient,
  silentLogger,
  startCheckpointerFromEnv,
} from '@vcdc/shared';
import { createLocalJWKSet } from 'jose';
import { buildConsole } from '../../console/build';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import { seedDevProviders } from '../../scripts/lib/dev-providers';
import { CustodyConfigSchema, loadCustodyKeyring, startCustodyService } from '../../services/custody/src';
import { ExchangeConfig, startExchangeService } from '../../services/exchange/src';
import { FxConfig, startFxService } from '../../services/fx/src';
import { startTreasuryService, TreasuryConfig } from '../../services/treasury/src';
import { startChainSimulator } from '../../simulators/src/chain';
import { type RunningDesk, startDevDesks } from '../../simulators/src/desks';
import { DEV_OFFSHORE_ACCOUNT } from '../../simulators/src/dev-accounts';
import { startEvmNode } from '../../simulators/src/evm';
import { HARDHAT_DEV_KEYS } from '../../simulators/src/evm/accounts';
import { startFxRateSimulator } from '../../simulators/src/fx-rates';
import { DEV_OSL_API_KEY, DEV_OSL_SECRET, type RunningOslSimulator, startOslSimulator } from '../../simulators/src/osl';
import { startVenueSimulator, type VenueSimulatorOptions } from '../../simulators/src/venue';
import { DecisionVerifyKeys, newDecisionKeyPair } from '../../workflows/src/activities/decision-signature';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../../workflows/src/codec/payload-codec';
import {
  createNotificationActivities,
  NotificationStore,
  openNotificationsPool,
} from '../../workflows/src/notifications/store';
import { createRefusalSinks } from '../../workflows/src/worker/refusal-sink';
import { createCaseWorker } from '../../workflows/src/worker/worker';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { createTestDatabase } from '../support/database';
import { provisionSystemForTest } from '../support/provision';
import { startDevServer } from '../support/temporal';

export interface TestStack {
  urls: {
    controlApi: string;
    custody: string;
    exchange: string;
    fx: string;
    treasury: string;
    chain: string;
    venue: string;
    fxRates: string;
    /** The local EVM node (ETH and USDT custody and deposits run on it) and its USDT contract. */
    evm: { rpcUrl: string; usdtAddress: string };
    /** The simulated OSL, the exchange's second trading venue (/v1/venues/osl/...), when asked for (`osl`). */
    osl?: string;
    /** The OTC desks the exchange's RFQs ask (desk-alpha, -beta, -gamma), unless `desks: false`. */
    desks: string[];
  };
  /** The desks themselves (a test steers them: `desks[0].state.set({ spreadBp: 5 })`, reads their trades). */
  desks: RunningDesk[];
  /** The simulated OSL, when asked for. */
  osl?: RunningOslSimulator;
  temporal: TestWorkflowEnvironment;
  /** A Temporal client with the stack's payload codec (case data in Temporal is encrypted). */
  client: Client;
  /** The stack's identity provider: `mint(person)` gives a seeded person's bearer token. */
  issuer: DevIssuer;
  /** Where the services and the control API keep their signed audit checkpoints, and the key that verifies them. */
  checkpoints: { dir: string; verifyKey: string };
  /** The control API's act key's public half (base64 SPKI, as ACT_VERIFY_KEYS): it verifies acts and case files. */
  actVerifyKey: string;
  close: () => Promise<void>;
}

/**
 * The control API's credential with the services in this stack. The services here run without
 * credentials, so nothing checks it; the credential scoping has its own test (service-credential.test.ts).
 */
const E2E_CONTROL_API_TOKEN = 'e2e-control-api-token-'.padEnd(40, 'x');

/** A case's `status`, read through the control API as the seeded auditor (who may read every case). */
export async function readCaseAsAuditor(stack: TestStack, caseId: string): Promise<CaseProgress> {
  const auditor = await stack.issuer.mint('auditor.qian');
  return new ServiceClient({
    service: 'control-api',
    baseUrl: stack.urls.controlApi,
    headers: { authorization: `Bearer ${auditor}` },
  }).get<CaseProgress>(`/v1/cases/${encodeURIComponent(caseId)}`);
}

/**
 * `venue`: the simulator's own options over the stack's (e.g. a deeper book for a very large lot);
 * `osl`: OSL beside HashKey (TRADING_VENUES); `desks: false`: no OTC desk (RFQ_DESKS empty). The desks
 * price from the venue's last prices and pay only for coins they see arrive on the chains.
 */
export async function startTestStack(
  options: { venue?: Partial<VenueSimulatorOptions>; osl?: boolean; desks?: boolean } = {},
): Promise<TestStack> {
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    // The provision step, as the owner (the test database's URL); nothing below is given that URL.
    const roleUrls = await provisionSystemForTest(await createTestDatabase('e2e'));
    // The providers the case deals with in the register, as the dev stack enters them (two people's acts).
    await seedDevProviders(roleUrls.exchange);
    const logger = silentLogger();

    const chain = await startChainSimulator({ port: 0, blockIntervalMs: 100 });
    closers.push(chain.close);
    // ETH and USDT: real transactions on a local EVM node (blocks every 100 ms, as the ledger chain).
    const evmNode = await startEvmNode({ blockIntervalMs: 100 });
    closers.push(evmNode.close);
    const evm = { rpcUrl: evmNode.url, usdtAddress: evmNode.usdtAddress };
    const venue = await startVenueSimulator({
      port: 0,
      chainUrl: chain.url,
      evm,
      bankAccounts: [DEV_OFFSHORE_ACCOUNT],
      pollIntervalMs: 200,
      withdrawalDelayMs: 300,
      ...options.venue,
    });
    closers.push(venue.close);
    // Its own gas key (as in the dev stack): its payouts on the EVM node never race the venue's for a nonce.
    const osl = options.osl
      ? await startOslSimulator({
          port: 0,
          chainUrl: chain.url,
          evm: { ...evm, gasKey: HARDHAT_DEV_KEYS[2] },
          bankAccounts: [DEV_OFFSHORE_ACCOUNT],
          pollIntervalMs: 200,
          withdrawalDelayMs: 300,
        })
      : undefined;
    if (osl) closers.push(osl.close);
    const desks =
      options.desks === false
        ? undefined
        : await startDevDesks({
            venueUrl: venue.url,
            ports: [0, 0, 0],
            pollMs: 500,
            chain: { ledgerUrl: chain.url, evmRpcUrl: evm.rpcUrl },
          });
    if (desks) closers.push(desks.close);
    const fxRates = await startFxRateSimulator({ port: 0 });
    closers.push(fxRates.close);

    // Signed audit checkpoints (issue 12): every part here runs in this one process, so they share one
    // key through the environment (the dev stack gives each part its own); restored when the stack closes.
    const checkpointKeys = newDecisionKeyPair();
    const checkpoints = {
      dir: mkdtempSync(path.join(os.tmpdir(), 'vcdc-e2e-checkpoints-')),
      verifyKey: checkpointKeys.verifyKey,
    };
    const checkpointEnv = {
      AUDIT_CHECKPOINT_DIR: checkpoints.dir,
      AUDIT_CHECKPOINT_KEY: checkpointKeys.signingKey,
      AUDIT_CHECKPOINT_VERIFY_KEYS: checkpointKeys.verifyKey,
      // The control API's chain is signed on this interval (the services' at each stage): a case now ends
      // within the default minute, and its first tick, at start, finds the chain still empty.
      AUDIT_CHECKPOINT_INTERVAL_MS: '2000',
    };
    const savedEnv = Object.fromEntries(Object.keys(checkpointEnv).map((k) => [k, process.env[k]]));
    Object.assign(process.env, checkpointEnv);
    closers.push(async () => {
      for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(checkpoints.dir, { recursive: true, force: true });
    });

    // The console, built as the README's commands build it, into a folder of this stack's own.
    const consoleDir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-e2e-console-'));
    closers.push(async () => rmSync(consoleDir, { recursive: true, force: true }));
    await buildConsole(consoleDir);

    // The control API signs people's acts and decisions; every service verifies them with the public half.
    const decisionKeys = newDecisionKeyPair();
    const db = { PORT: '0', LOG_LEVEL: 'silent', ACT_VERIFY_KEYS: decisionKeys.verifyKey };
    // The exchange first: it keeps the register of licensed providers custody asks before a transfer.
    const exchange = await startExchangeService(
      parseConfig(ExchangeConfig, {
        ...db,
        DATABASE_URL: roleUrls.exchange,
        VENUE_API_URL: venue.url,
        ...(osl
          ? {
              TRADING_VENUES: JSON.stringify([
                { id: 'osl', adapter: 'osl', url: osl.url, apiKey: DEV_OSL_API_KEY, secret: DEV_OSL_SECRET },
              ]),
            }
          : {}),
        ...(desks ? { RFQ_DESKS: desks.rfqDesks } : {}),
      }),
      logger,
    );
    closers.push(exchange.close);
    const custodyConfig = parseConfig(CustodyConfigSchema, {
      ...db,
      PROVIDER_REGISTER_URL: exchange.url,
      DATABASE_URL: roleUrls.custody,
      CHAIN_RPC_URL: chain.url,
      CUSTODY_MIN_CONFIRMATIONS: '2',
      EVM_RPC_URL: evm.rpcUrl,
      EVM_USDT_CONTRACT: evm.usdtAddress,
      // Two custodians approve the venue's addresses; a cooling-off of seconds (not 24 h) in a test.
      CUSTODY_WHITELIST_COOLING_OFF_SECONDS: '2',
    });
    // The custody gas station pays the ETH gas of USDT transfers out of case wallets.
    await evmNode.fundEth((await loadCustodyKeyring(custodyConfig)).gasStation().address, '10');
    const custody = await startCustodyService(custodyConfig, logger);
    closers.push(custody.close);
    const fx = await startFxService(
      parseConfig(FxConfig, {
        ...db,
        DATABASE_URL: roleUrls.fx,
        FX_RATE_SOURCE_URL: fxRates.url,
        PROVIDER_REGISTER_URL: exchange.url,
      }),
      logger,
    );
    closers.push(fx.close);
    const treasury = await startTreasuryService(
      parseConfig(TreasuryConfig, { ...db, DATABASE_URL: roleUrls.treasury }),
      logger,
    );
    closers.push(treasury.close);

    const temporal = await startDevServer();
    closers.push(() => temporal.teardown());

    const serviceUrls = { custody: custody.url, exchange: exchange.url, fx: fx.url, treasury: treasury.url };
    // Case data is encrypted in Temporal here as in the dev stack and production: worker and control API share the key.
    const payloadCodec = new AesGcmPayloadCodec(codecKeys(CodecKeyList.parse(newCodecKey('e2e'))));
    // The notifications outbox, as worker-main and the control API set it up (one schema, both sides).
    const notificationsPool = await openNotificationsPool({
      url: roleUrls.notifications,
      schema: 'notifications',
      max: 4,
    });
    closers.push(() => notificationsPool.end());
    // The control API's audit chain: the control API writes it, and the worker's refusals of messages sent
    // to Temporal directly go there too.
    const { pool: auditPool } = await openRolePool({
      url: roleUrls.audit,
      schema: 'audit',
      migrationsDir: AUDIT_MIGRATIONS_DIR,
      max: 4,
    });
    closers.push(() => auditPool.end());
    // The control API's chain is checkpointed as the control API's server does it (startControlApi).
    const auditCheckpointer = startCheckpointerFromEnv({ db: auditPool, chain: 'audit', logger });
    closers.push(async () => auditCheckpointer?.stop());
    const worker: Worker = await createCaseWorker({
      refusalSinks: createRefusalSinks(new AuditChain(auditPool), logger),
      connection: temporal.nativeConnection,
      serviceUrls,
      payloadCodec,
      decisionVerifyKeys: DecisionVerifyKeys.parse(decisionKeys.verifyKey),
      notifications: createNotificationActivities(notificationsPool),
    });
    const running = worker.run();
    closers.push(async () => {
      worker.shutdown();
      await running;
    });

    const client = new Client({ connection: temporal.connection, dataConverter: { payloadCodecs: [payloadCodec] } });
    const controlApiConfig = parseConfig(ControlApiConfig, {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: roleUrls.audit,
      NOTIFICATIONS_DATABASE_URL: roleUrls.notifications,
      PAYLOAD_CODEC_KEYS: newCodecKey('unused'),
      DECISION_SIGNING_KEY: decisionKeys.signingKey,
      DEFAULT_OFFSHORE_BANK_ACCOUNT_ID: DEV_OFFSHORE_ACCOUNT.id,
      // Each lot sold in two slices over four seconds: the test waits for the whole sale.
      DEFAULT_SALE_SLICES: '2',
      DEFAULT_SALE_HORIZON_SECONDS: '4',
      // The simulated book is thin next to a demo lot: slices reach 30 bp under the reference to fill.
      DEFAULT_SALE_PRICE_OFFSET_BP: '30',
      DEFAULT_SALE_MAX_REPRICINGS: '5',
    });
    const issuer = await createDevIssuer();
    const keys = createLocalJWKSet(issuer.jwks);
    const controlApi = await listen(
      createControlApi({
        audit: new AuditChain(auditPool),
        notifications: new NotificationStore(notificationsPool),
        decisionSigningKey: controlApiConfig.DECISION_SIGNING_KEY,
        authenticator: jwtAuthenticator({ issuer: issuer.issuer, audience: controlApiConfig.AUTH_AUDIENCE, keys }),
        client,
        taskQueue: controlApiConfig.TEMPORAL_TASK_QUEUE,
        logger,
        defaults: registrationDefaults(controlApiConfig),
        // People's acts (attestations, whitelist requests and approvals) go to custody through here, signed.
        // The services run without credentials in this stack; the token is what the control API would send.
        // GET /v1/audit/verify walks every service's chain too.
        auditServices: [
          { chain: 'custody', url: custody.url },
          { chain: 'exchange', url: exchange.url },
          { chain: 'fx', url: fx.url },
          { chain: 'treasury', url: treasury.url },
        ],
        actServices: {
          custody: { url: custody.url, token: E2E_CONTROL_API_TOKEN },
          fx: { url: fx.url, token: E2E_CONTROL_API_TOKEN },
          treasury: { url: treasury.url, token: E2E_CONTROL_API_TOKEN },
        },
        bookServices: {
          custody: { url: custody.url },
          exchange: { url: exchange.url },
          fx: { url: fx.url },
          treasury: { url: treasury.url },
        },
        // The people's console at /console/, signed in as a seeded person (the dev issuer's sign-in).
        console: { dir: consoleDir, signIn: { mode: 'dev', issuer } },
      }),
      0,
    );
    closers.push(controlApi.close);

    return {
      urls: {
        controlApi: controlApi.url,
        ...serviceUrls,
        chain: chain.url,
        venue: venue.url,
        fxRates: fxRates.url,
        evm,
        ...(osl ? { osl: osl.url } : {}),
        desks: desks?.desks.map((d) => d.url) ?? [],
      },
      desks: desks?.desks ?? [],
      ...(osl ? { osl } : {}),
      temporal,
      client,
      issuer,
      checkpoints,
      actVerifyKey: decisionKeys.verifyKey,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
