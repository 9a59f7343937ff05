/**
 * The whole VCDC system on one machine, on embedded defaults:
 * embedded PostgreSQL (or DATABASE_URL), the Temporal dev server with its Web UI and our search
 * attributes, the simulators (venue, chain, FX rates), the four services, the worker and the control
 * API — then a demo case, approved by a demo supervisor and a demo FX officer, that you can watch in
 * the Web UI. State lives under `.data/`: stop with Ctrl-C, start again, running cases resume.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { loadConfigOrExit } from '../packages/shared/src/config';
import { DEV_CUSTODY_MASTER_SECRET } from '../services/custody/src/config';
import { CustodyKeyring } from '../services/custody/src/custody-keyring';
import { LOCAL_USDT_ADDRESS } from '../simulators/src/evm/accounts';
import { loadOrCreateDevCodecKeys } from '../workflows/src/codec/dev-keys';
import { loadOrCreateCodecUiSecret, loadOrCreateDevIssuer } from '../workflows/src/control-api/dev-issuer';
import { loadOrCreateDevDecisionKeys } from '../workflows/src/decision-signature';
import { SEARCH_ATTRIBUTES } from '../workflows/src/shared';
import { runDemoCase } from './demo/demo-case';
import { embeddedPostgresUrl } from './lib/embedded-postgres-url';
import { ProcessGroup } from './lib/process-group';
import { ensureTemporalBinary } from './lib/temporal-binaries';
import { startTemporalDevServer } from './lib/temporal-dev-server';
import { httpOk, waitFor } from './lib/wait';

const ROOT = path.resolve(__dirname, '..');

const DevConfig = z.object({
  VCDC_DATA_DIR: z.string().default(path.join(ROOT, '.data')),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  VCDC_PG_PORT: z.coerce.number().int().positive().default(5433),
  TEMPORAL_PORT: z.coerce.number().int().positive().default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().positive().default(8233),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  CONTROL_API_PORT: z.coerce.number().int().positive().default(7100),
  CUSTODY_PORT: z.coerce.number().int().positive().default(7101),
  EXCHANGE_PORT: z.coerce.number().int().positive().default(7102),
  FX_PORT: z.coerce.number().int().positive().default(7103),
  TREASURY_PORT: z.coerce.number().int().positive().default(7104),
  VENUE_SIM_PORT: z.coerce.number().int().positive().default(7201),
  CHAIN_SIM_PORT: z.coerce.number().int().positive().default(7202),
  FX_RATES_SIM_PORT: z.coerce.number().int().positive().default(7203),
  EVM_NODE_PORT: z.coerce.number().int().positive().default(7204),
  VCDC_DEMO: z.enum(['0', '1']).default('1'),
  LOG_LEVEL: z.string().default('info'),
});

let stopStack: (code: number) => Promise<void> = async (code) => process.exit(code);

async function main(): Promise<void> {
  const cfg = loadConfigOrExit(DevConfig);
  const say = (line: string) => process.stdout.write(`[vcdc] ${line}\n`);
  let shuttingDown = false;
  const group = new ProcessGroup(ROOT, path.join(cfg.VCDC_DATA_DIR, 'logs'), (name, code) => {
    if (shuttingDown) return;
    say(
      `${name} exited unexpectedly (code ${code}); see ${path.join(cfg.VCDC_DATA_DIR, 'logs', `${name}.log`)}. Stopping.`,
    );
    void shutdown(1);
  });
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    say('stopping…');
    await group.stopAll();
    say('stopped');
    process.exit(code);
  }
  stopStack = shutdown;
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  // Each part runs as `node --import tsx <file>`: one process per part, so our SIGTERM reaches the
  // part's own shutdown handler (the tsx CLI wrapper relays signals and may SIGKILL a slow child).
  const runTs = (name: string, file: string, env: NodeJS.ProcessEnv) =>
    group.start(name, process.execPath, ['--import', 'tsx', path.join(ROOT, file)], env);
  const temporalCli = ensureTemporalBinary('cli', say);
  if (!temporalCli) {
    throw new Error(
      'the Temporal CLI is not available and could not be installed (see ARCHITECTURE.md §5); set TEMPORAL_CLI_PATH',
    );
  }

  let databaseUrl = cfg.DATABASE_URL;
  if (!databaseUrl) {
    say(
      `starting embedded PostgreSQL on 127.0.0.1:${cfg.VCDC_PG_PORT} (data in ${path.join(cfg.VCDC_DATA_DIR, 'postgres')})`,
    );
    runTs('postgres', 'scripts/postgres-main.ts', {
      VCDC_PG_DIR: path.join(cfg.VCDC_DATA_DIR, 'postgres'),
      VCDC_PG_PORT: String(cfg.VCDC_PG_PORT),
      VCDC_PG_DATABASE: 'vcdc',
    });
    databaseUrl = embeddedPostgresUrl(cfg.VCDC_PG_PORT, 'vcdc');
    const url = databaseUrl;
    await waitFor('embedded PostgreSQL', () => canConnect(url), 120_000);
  }

  say(`starting the Temporal dev server on 127.0.0.1:${cfg.TEMPORAL_PORT}`);
  // The dev Web UI has no login to forward a token: it reaches the codec endpoint through a secret path
  // (kept under .data/, readable by this user only). In production the UI forwards its user's token.
  const codecUiSecret = await loadOrCreateCodecUiSecret(path.join(cfg.VCDC_DATA_DIR, 'codec-ui-secret'));
  await startTemporalDevServer(group, {
    cliPath: temporalCli,
    dataDir: path.join(cfg.VCDC_DATA_DIR, 'temporal'),
    port: cfg.TEMPORAL_PORT,
    uiPort: cfg.TEMPORAL_UI_PORT,
    // The control API decodes the encrypted payloads for the Web UI.
    uiCodecEndpoint: `http://127.0.0.1:${cfg.CONTROL_API_PORT}/codec/${codecUiSecret}`,
    namespace: cfg.TEMPORAL_NAMESPACE,
    searchAttributes: Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, cliType(type)]),
    ),
  });

  const url = (port: number) => `http://127.0.0.1:${port}`;
  const urls = {
    controlApi: url(cfg.CONTROL_API_PORT),
    custody: url(cfg.CUSTODY_PORT),
    exchange: url(cfg.EXCHANGE_PORT),
    fx: url(cfg.FX_PORT),
    treasury: url(cfg.TREASURY_PORT),
    venue: url(cfg.VENUE_SIM_PORT),
    chain: url(cfg.CHAIN_SIM_PORT),
    fxRates: url(cfg.FX_RATES_SIM_PORT),
    // ETH and USDT custody, the demo's seizure sweep and the venue's deposits: the local EVM node.
    evm: { rpcUrl: url(cfg.EVM_NODE_PORT), usdtAddress: LOCAL_USDT_ADDRESS },
    webUi: `http://127.0.0.1:${cfg.TEMPORAL_UI_PORT}`,
  };
  const common = { LOG_LEVEL: cfg.LOG_LEVEL, HOST: '127.0.0.1' };

  say('starting the simulators (venue, chain, FX rates)');
  runTs('simulators', 'simulators/src/main.ts', {
    ...common,
    VENUE_SIM_PORT: String(cfg.VENUE_SIM_PORT),
    CHAIN_SIM_PORT: String(cfg.CHAIN_SIM_PORT),
    FX_RATES_SIM_PORT: String(cfg.FX_RATES_SIM_PORT),
    EVM_NODE_PORT: String(cfg.EVM_NODE_PORT),
    // The custody gas station (pays the ETH gas of USDT transfers out of case wallets) gets ETH at start.
    EVM_FUND_ADDRESSES: CustodyKeyring.fromSecret(
      process.env.CUSTODY_MASTER_SECRET ?? DEV_CUSTODY_MASTER_SECRET,
    ).gasStation().address,
    SIM_STATE_DIR: path.join(cfg.VCDC_DATA_DIR, 'simulators'),
  });
  for (const u of [urls.chain, urls.venue, urls.fxRates]) await waitFor(`${u}/healthz`, () => httpOk(`${u}/healthz`));

  say('starting the services (custody, exchange, fx, treasury)');
  const services = [
    [
      'custody',
      cfg.CUSTODY_PORT,
      {
        CHAIN_RPC_URL: urls.chain,
        EVM_RPC_URL: urls.evm.rpcUrl,
        EVM_USDT_CONTRACT: urls.evm.usdtAddress,
        // Two custodians approve each venue address; a short cooling-off (not production's 24 h), long
        // enough to see an entry wait in COOLING_OFF before it becomes ACTIVE.
        CUSTODY_WHITELIST_COOLING_OFF_SECONDS: '20',
      },
    ],
    ['exchange', cfg.EXCHANGE_PORT, { VENUE_API_URL: urls.venue }],
    ['fx', cfg.FX_PORT, { FX_RATE_SOURCE_URL: urls.fxRates }],
    ['treasury', cfg.TREASURY_PORT, {}],
  ] as const;
  // Each service accepts calls only with its own credential; the worker (and the demo, for custody) holds them.
  const serviceTokens = Object.fromEntries(services.map(([name]) => [name, randomBytes(32).toString('hex')]));
  // The control API's own credential with every service: it reads and carries people's signed acts, no more.
  const controlApiToken = randomBytes(32).toString('hex');
  // Each service's pool logs in as its own `<schema>_service` role (never the owner, which can rewrite the
  // audit chain): the service gives that role this password at start-up (a fresh one each run).
  const databasePassword = () => randomBytes(24).toString('hex');
  // The control API signs every person's act and decision; each service verifies them with the public half.
  const decisionKeys = await loadOrCreateDevDecisionKeys(path.join(cfg.VCDC_DATA_DIR, 'decision-signing.json'));
  for (const [name, port, extra] of services) {
    runTs(name, `services/${name}/src/main.ts`, {
      ACT_VERIFY_KEYS: decisionKeys.verifyKey,
      ...common,
      ...extra,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DB_SERVICE_PASSWORD: databasePassword(),
      SERVICE_TOKEN: serviceTokens[name],
      CONTROL_API_TOKEN: controlApiToken,
    });
  }
  for (const [name, port] of services) await waitFor(`${name} /readyz`, () => httpOk(`${url(port)}/readyz`), 90_000);

  say('starting the worker and the control API');
  const temporalEnv = {
    TEMPORAL_ADDRESS: `127.0.0.1:${cfg.TEMPORAL_PORT}`,
    TEMPORAL_NAMESPACE: cfg.TEMPORAL_NAMESPACE,
    // One payload key for the worker and the control API: case data in Temporal is ciphertext.
    PAYLOAD_CODEC_KEYS: await loadOrCreateDevCodecKeys(path.join(cfg.VCDC_DATA_DIR, 'payload-codec-keys')),
  };
  // The worker verifies decisions too (a raw signal from the Web UI is refused).
  // The worker appends the refusals of messages sent to Temporal directly to the control API's audit chain,
  // as the same role (audit_service) and so with the same password as the control API.
  const auditPassword = databasePassword();
  runTs('worker', 'workflows/src/worker-main.ts', {
    AUDIT_DB_PASSWORD: auditPassword,
    DECISION_VERIFY_KEYS: decisionKeys.verifyKey,
    ...common,
    ...temporalEnv,
    CUSTODY_URL: urls.custody,
    EXCHANGE_URL: urls.exchange,
    FX_URL: urls.fx,
    TREASURY_URL: urls.treasury,
    CUSTODY_SERVICE_TOKEN: serviceTokens.custody,
    EXCHANGE_SERVICE_TOKEN: serviceTokens.exchange,
    FX_SERVICE_TOKEN: serviceTokens.fx,
    TREASURY_SERVICE_TOKEN: serviceTokens.treasury,
    // The notifications outbox (the control API reads the same schema).
    DATABASE_URL: databaseUrl,
    NOTIFICATIONS_SCHEMA: 'notifications',
  });
  // The dev identity provider's key: created here first, so the control API and the demo share it.
  const devKeyDir = path.join(cfg.VCDC_DATA_DIR, 'dev-issuer');
  const issuer = await loadOrCreateDevIssuer(devKeyDir);
  runTs('control-api', 'workflows/src/control-api/main.ts', {
    ...common,
    ...temporalEnv,
    PORT: String(cfg.CONTROL_API_PORT),
    AUTH_MODE: 'dev',
    AUTH_DEV_KEY_DIR: devKeyDir,
    DATABASE_URL: databaseUrl,
    DB_SERVICE_PASSWORD: auditPassword,
    NOTIFICATIONS_SCHEMA: 'notifications',
    // GET /v1/audit/verify asks every service to verify its own chain too; people's acts go to custody and
    // the treasury. With the control API's own credential, not the worker's.
    CUSTODY_URL: urls.custody,
    EXCHANGE_URL: urls.exchange,
    FX_URL: urls.fx,
    TREASURY_URL: urls.treasury,
    CONTROL_API_TOKEN: controlApiToken,
    CODEC_UI_SECRET: codecUiSecret,
    // The demo sells each lot in three slices over half a minute: long enough to watch in the Web UI.
    DEFAULT_SALE_SLICES: '3',
    DEFAULT_SALE_HORIZON_SECONDS: '30',
    // The simulated book is thin next to a demo lot: slices reach 30 bp under the reference to fill.
    DEFAULT_SALE_PRICE_OFFSET_BP: '30',
    DEFAULT_SALE_MAX_REPRICINGS: '5',
    DECISION_SIGNING_KEY: decisionKeys.signingKey,
    CODEC_CORS_ORIGINS: `http://127.0.0.1:${cfg.TEMPORAL_UI_PORT},http://localhost:${cfg.TEMPORAL_UI_PORT}`,
  });
  await waitFor('control API /readyz', () => httpOk(`${urls.controlApi}/readyz`), 90_000);

  say('');
  say(`Temporal Web UI   ${urls.webUi}/namespaces/${cfg.TEMPORAL_NAMESPACE}/workflows`);
  say(
    `Control API       ${urls.controlApi}/v1/cases  (token: node --import tsx workflows/src/cli/dev-token.ts --list)`,
  );
  say(`Services          custody ${urls.custody}  exchange ${urls.exchange}  fx ${urls.fx}  treasury ${urls.treasury}`);
  say(`Simulators        venue ${urls.venue}  chain ${urls.chain}  EVM ${urls.evm.rpcUrl}  FX rates ${urls.fxRates}`);
  say(`Logs              ${path.join(cfg.VCDC_DATA_DIR, 'logs')}/<process>.log`);
  say('');

  if (cfg.VCDC_DEMO === '1') {
    const outcome = await runDemoCase({
      // The custody credential only opens the case's wallets for the seizure sweep; every person's act goes
      // through the control API as that person.
      urls: { ...urls, custodyCredential: serviceTokens.custody },
      log: say,
      token: (person) => issuer.mint(person),
    });
    say(`demo case ${outcome.caseId} ended ${outcome.status}. Find it in the Web UI: CaseId="${outcome.caseId}"`);
    say(
      `  ${urls.webUi}/namespaces/${cfg.TEMPORAL_NAMESPACE}/workflows?query=${encodeURIComponent(`CaseId="${outcome.caseId}"`)}`,
    );
  }
  say('running; Ctrl-C stops everything');
}

async function canConnect(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function cliType(type: string): string {
  // The SDK names types in capitals (KEYWORD, KEYWORD_LIST); the CLI flag wants Keyword, KeywordList.
  return type
    .split('_')
    .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
    .join('');
}

main().catch((error) => {
  process.stderr.write(`[vcdc] ${error instanceof Error ? error.message : String(error)}\n`);
  void stopStack(1);
});
