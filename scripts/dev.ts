/**
 * The whole VCDC system on one machine, on embedded defaults:
 * embedded PostgreSQL (or DATABASE_OWNER_URL), the provision step with the owner's credentials
 * (migrations, and a login with a fresh password for each service role), the Temporal dev server with
 * its Web UI and our search attributes, the simulators (venue, chain, FX rates), the four services, the
 * worker and the control API — each given its service roles' URLs only, never the owner's
 * (lib/stack-environment.ts) — then a demo case, approved by a demo supervisor and a demo FX officer,
 * that you can watch in the Web UI. State lives under `.data/`: stop with Ctrl-C, start again, running
 * cases resume.
 *
 * VCDC_TEMPORAL=cluster puts a real multi-node Temporal cluster in place of the dev server, and
 * VCDC_WORKERS=n starts n case workers (scripts/temporal-cluster.ts, `npm run cluster`, does both).
 */

import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { loadOrCreateCodecUiSecret, loadOrCreateDevIssuer } from '../control-api/src/dev-issuer';
import { loadConfigOrExit } from '../packages/shared/src/config';
import { DEV_CUSTODY_MASTER_SECRET } from '../services/custody/src/config';
import { CustodyKeyring } from '../services/custody/src/custody-keyring';
import { LOCAL_USDT_ADDRESS } from '../simulators/src/evm/accounts';
import { loadOrCreateDevDecisionKeys } from '../workflows/src/activities/decision-signature';
import { loadOrCreateDevCodecKeys } from '../workflows/src/codec/dev-keys';
import { SEARCH_ATTRIBUTES, TASK_QUEUE } from '../workflows/src/workflow/shared';
import { runDemoCase } from './demo/demo-case';
import { untilWorkerPolls } from './demo/worker-ready';
import { seedDevProviders } from './lib/dev-providers';
import { embeddedPostgresUrl } from './lib/embedded-postgres-url';
import { freePortIn } from './lib/ports';
import { ProcessGroup, stamped } from './lib/process-group';
import { SERVICES, type ServiceName, stackEnvironments } from './lib/stack-environment';
import { passwordCredentials, provisionSystem } from './lib/system-database';
import { ensureTemporalBinary } from './lib/temporal-binaries';
import {
  CLUSTER_DIR,
  ensureTemporalServer,
  setUpTemporalDatabases,
  startTemporalCluster,
  TEMPORAL_DATABASES,
} from './lib/temporal-cluster';
import { startTemporalDevServer } from './lib/temporal-dev-server';
import { httpOk, waitFor } from './lib/wait';

const ROOT = path.resolve(__dirname, '..');

const DevConfig = z.object({
  VCDC_DATA_DIR: z.string().default(path.join(ROOT, '.data')),
  /** A PostgreSQL database to use instead of the embedded one: its owner's URL (only the provision step gets it). */
  DATABASE_OWNER_URL: z
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
  /** The worker's /healthz and /metrics; the Temporal SDK's own exporter listens on WORKER_SDK_METRICS_PORT. */
  WORKER_PORT: z.coerce.number().int().positive().default(7110),
  WORKER_SDK_METRICS_PORT: z.coerce.number().int().positive().default(7111),
  VENUE_SIM_PORT: z.coerce.number().int().positive().default(7201),
  CHAIN_SIM_PORT: z.coerce.number().int().positive().default(7202),
  FX_RATES_SIM_PORT: z.coerce.number().int().positive().default(7203),
  EVM_NODE_PORT: z.coerce.number().int().positive().default(7204),
  /** The simulated OSL, the exchange service's second trading venue (/v1/venues/osl/...). */
  OSL_SIM_PORT: z.coerce.number().int().positive().default(7205),
  /** The simulated OTC desks an RFQ asks (desk-alpha, -beta, -gamma: the register's dev desks), comma-separated. */
  DESK_SIM_PORTS: z
    .string()
    .regex(/^\d{1,5},\d{1,5},\d{1,5}$/, 'three ports, comma-separated')
    .default('7211,7212,7213')
    .transform((text) => text.split(',').map(Number)),
  /** `auto` (default): a demo case on the first start of a data folder only; `1`: one on every start; `0`: never. */
  VCDC_DEMO: z.enum(['0', '1', 'auto']).default('auto'),
  LOG_LEVEL: z.string().default('info'),
  /** The sale schedule of cases that name none: three slices over 30 s by default (to watch); the fault suite compresses it. */
  VCDC_SALE_SLICES: z.coerce.number().int().min(1).max(500).default(3),
  VCDC_SALE_HORIZON_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  /** How many times a slice's unsold remainder is re-priced after the horizon (the control API's default: 5). */
  VCDC_SALE_MAX_REPRICINGS: z.coerce.number().int().min(0).max(50).optional(),
  /**
   * `dev` (default): the Temporal CLI's dev server with its Web UI. `cluster`: a real Temporal cluster of
   * VCDC_TEMPORAL_NODES server processes on this PostgreSQL (scripts/lib/temporal-cluster.ts; no Web UI).
   */
  VCDC_TEMPORAL: z.enum(['dev', 'cluster']).default('dev'),
  /**
   * The dev server's SQLite pragmas, comma-separated `name=value` (scripts/lib/temporal-dev-server.ts
   * DEV_SQLITE_PRAGMAS by default: WAL, no fsync per commit); `none`: SQLite's own (an fsync per commit).
   */
  VCDC_TEMPORAL_SQLITE_PRAGMAS: z
    .string()
    .regex(/^(none|[a-z_]+=[a-z0-9_]+(,[a-z_]+=[a-z0-9_]+)*)$/, 'none, or name=value pairs, comma-separated')
    .optional(),
  VCDC_TEMPORAL_NODES: z.coerce.number().int().min(1).max(5).default(2),
  /** Case workers on the task queue; the n-th talks to the n-th node's frontend (round robin). */
  VCDC_WORKERS: z.coerce.number().int().min(1).max(8).default(1),
  /**
   * Processes of the stack to profile, by name, comma-separated (`worker,control-api`): each runs under
   * `--cpu-prof`, one .cpuprofile per thread in VCDC_CPU_PROF_DIR (default <data dir>/cpu-prof), written when
   * it exits. How the benchmarks' figures were taken apart (README, issue 18).
   */
  VCDC_CPU_PROF: z
    .string()
    .regex(/^([a-z0-9-]+(,[a-z0-9-]+)*)?$/, 'process names, comma-separated')
    .default('')
    .transform((text) => new Set(text.split(',').filter(Boolean))),
  VCDC_CPU_PROF_DIR: z.string().optional(),
});

let stopStack: (code: number) => Promise<void> = async (code) => process.exit(code);

async function main(): Promise<void> {
  const cfg = loadConfigOrExit(DevConfig);
  // Every child inherits this process's environment: the owner's URL must not be in it (each part gets
  // its role URLs explicitly).
  delete process.env.DATABASE_OWNER_URL;
  delete process.env.DATABASE_URL;
  const say = (line: string) => process.stdout.write(stamped('vcdc', line));
  let shuttingDown = false;
  const group = new ProcessGroup(ROOT, path.join(cfg.VCDC_DATA_DIR, 'logs'), (name, code) => {
    if (shuttingDown) return;
    say(
      `${name} keeps exiting (code ${code}) and was started again as often as it may; see ${path.join(cfg.VCDC_DATA_DIR, 'logs', `${name}.log`)}. Stopping.`,
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
  const profileDir = cfg.VCDC_CPU_PROF_DIR ?? path.join(cfg.VCDC_DATA_DIR, 'cpu-prof');
  const runTs = (name: string, file: string, env: NodeJS.ProcessEnv) =>
    group.start(
      name,
      process.execPath,
      [
        ...(cfg.VCDC_CPU_PROF.has(name) ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
        '--import',
        'tsx',
        path.join(ROOT, file),
      ],
      env,
    );
  const cluster = cfg.VCDC_TEMPORAL === 'cluster';
  // The cluster's server is built by scripts/ensure-deps.sh; built here if missing (minutes, once).
  const temporalServer = cluster ? ensureTemporalServer(say).found : undefined;
  const temporalCli = cluster ? undefined : ensureTemporalBinary('cli', say);
  if (!cluster && !temporalCli) {
    throw new Error(
      'the Temporal CLI is not available and could not be installed (see ARCHITECTURE.md §5); set TEMPORAL_CLI_PATH',
    );
  }

  let ownerUrl = cfg.DATABASE_OWNER_URL;
  if (!ownerUrl) {
    say(
      `starting embedded PostgreSQL on 127.0.0.1:${cfg.VCDC_PG_PORT} (data in ${path.join(cfg.VCDC_DATA_DIR, 'postgres')})`,
    );
    runTs('postgres', 'scripts/postgres-main.ts', {
      VCDC_PG_DIR: path.join(cfg.VCDC_DATA_DIR, 'postgres'),
      VCDC_PG_PORT: String(cfg.VCDC_PG_PORT),
      VCDC_PG_DATABASE: 'vcdc',
    });
    ownerUrl = embeddedPostgresUrl(cfg.VCDC_PG_PORT, 'vcdc');
    const url = ownerUrl;
    await waitFor('embedded PostgreSQL', () => canConnect(url), 120_000);
  }

  // The provision step, here in this process, as the owner: migrate every schema and give each service
  // role a login with a fresh password (this run's). The processes started below get those role URLs.
  say('provisioning the database (migrations and service roles, as the owner)');
  const roleUrls = await provisionSystem(
    ownerUrl,
    passwordCredentials(() => randomBytes(24).toString('hex')),
  );
  // The providers the demo deals with (the simulated HashKey and OSL venues, the custodian, the bank) in the register
  // of licensed providers, each proposed and approved by two dev people; one already there is left alone.
  await seedDevProviders(roleUrls.exchange);

  // The dev Web UI has no login to forward a token: it reaches the codec endpoint through a secret path
  // (kept under .data/, readable by this user only). In production the UI forwards its user's token.
  const codecUiSecret = await loadOrCreateCodecUiSecret(path.join(cfg.VCDC_DATA_DIR, 'codec-ui-secret'));
  // Every Temporal frontend the stack has; the control API talks to the first, worker n to the n-th.
  let frontends = [`127.0.0.1:${cfg.TEMPORAL_PORT}`];
  if (temporalServer) {
    say(`setting up Temporal's databases (its SQL tool, as the ${TEMPORAL_DATABASES.main} login)`);
    const database = await setUpTemporalDatabases(ownerUrl, temporalServer.sqlTool, randomBytes(24).toString('hex'));
    say(
      `starting a Temporal cluster of ${cfg.VCDC_TEMPORAL_NODES} server processes (frontend 127.0.0.1:${cfg.TEMPORAL_PORT} first)`,
    );
    frontends = await startTemporalCluster(group, {
      server: temporalServer.server,
      dir: path.join(cfg.VCDC_DATA_DIR, CLUSTER_DIR),
      database,
      nodes: cfg.VCDC_TEMPORAL_NODES,
      frontendPort: cfg.TEMPORAL_PORT,
      namespace: cfg.TEMPORAL_NAMESPACE,
      searchAttributes: SEARCH_ATTRIBUTES,
    });
  } else if (temporalCli) {
    say(`starting the Temporal dev server on 127.0.0.1:${cfg.TEMPORAL_PORT}`);
    await startTemporalDevServer(group, {
      cliPath: temporalCli,
      dataDir: path.join(cfg.VCDC_DATA_DIR, 'temporal'),
      port: cfg.TEMPORAL_PORT,
      uiPort: cfg.TEMPORAL_UI_PORT,
      // The control API decodes the encrypted payloads for the Web UI.
      uiCodecEndpoint: `http://127.0.0.1:${cfg.CONTROL_API_PORT}/codec/${codecUiSecret}`,
      ...(cfg.VCDC_TEMPORAL_SQLITE_PRAGMAS
        ? {
            sqlitePragmas:
              cfg.VCDC_TEMPORAL_SQLITE_PRAGMAS === 'none' ? [] : cfg.VCDC_TEMPORAL_SQLITE_PRAGMAS.split(','),
          }
        : {}),
      namespace: cfg.TEMPORAL_NAMESPACE,
      searchAttributes: Object.fromEntries(
        Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, cliType(type)]),
      ),
    });
  }

  const url = (port: number) => `http://127.0.0.1:${port}`;
  const urls = {
    controlApi: url(cfg.CONTROL_API_PORT),
    custody: url(cfg.CUSTODY_PORT),
    exchange: url(cfg.EXCHANGE_PORT),
    fx: url(cfg.FX_PORT),
    treasury: url(cfg.TREASURY_PORT),
    venue: url(cfg.VENUE_SIM_PORT),
    osl: url(cfg.OSL_SIM_PORT),
    desks: cfg.DESK_SIM_PORTS.map(url),
    chain: url(cfg.CHAIN_SIM_PORT),
    fxRates: url(cfg.FX_RATES_SIM_PORT),
    // ETH and USDT custody, the demo's seizure sweep and the venue's deposits: the local EVM node.
    evm: { rpcUrl: url(cfg.EVM_NODE_PORT), usdtAddress: LOCAL_USDT_ADDRESS },
    webUi: `http://127.0.0.1:${cfg.TEMPORAL_UI_PORT}`,
  };
  // Each service accepts calls only with its own credential; the worker (and the demo, for custody) holds them.
  const serviceTokens = Object.fromEntries(SERVICES.map((name) => [name, randomBytes(32).toString('hex')])) as Record<
    ServiceName,
    string
  >;
  // The control API's own credential with every service: it reads and carries people's signed acts, no more.
  const controlApiToken = randomBytes(32).toString('hex');
  // Custody's credential with the exchange: it reads the register of licensed providers, nothing else.
  const registerReadToken = randomBytes(32).toString('hex');
  // This start's credentials, for a person calling a service or the control API's routes by hand: owner-only.
  const credentialsFile = path.join(cfg.VCDC_DATA_DIR, 'service-credentials.json');
  await writeFile(credentialsFile, `${JSON.stringify({ serviceTokens, controlApiToken }, null, 2)}\n`, { mode: 0o600 });
  await chmod(credentialsFile, 0o600);
  // The dev identity provider's key: created here first, so the control API and the demo share it.
  const devKeyDir = path.join(cfg.VCDC_DATA_DIR, 'dev-issuer');
  const issuer = await loadOrCreateDevIssuer(devKeyDir);
  // Each part signs its own audit chain's head with a key of its own (kept under .data/, outside the
  // database); every verifier accepts any of them. The checkpoints go to .data/audit-checkpoints/.
  const checkpointSigners = [...SERVICES, 'control-api'] as const;
  const checkpointKeys = Object.fromEntries(
    await Promise.all(
      checkpointSigners.map(
        async (signer) =>
          [
            signer,
            await loadOrCreateDevDecisionKeys(path.join(cfg.VCDC_DATA_DIR, 'audit-checkpoint-keys', `${signer}.json`)),
          ] as const,
      ),
    ),
  );
  const environments = stackEnvironments({
    logLevel: cfg.LOG_LEVEL,
    ports: {
      controlApi: cfg.CONTROL_API_PORT,
      custody: cfg.CUSTODY_PORT,
      exchange: cfg.EXCHANGE_PORT,
      fx: cfg.FX_PORT,
      treasury: cfg.TREASURY_PORT,
      venue: cfg.VENUE_SIM_PORT,
      osl: cfg.OSL_SIM_PORT,
      desks: cfg.DESK_SIM_PORTS,
      chain: cfg.CHAIN_SIM_PORT,
      fxRates: cfg.FX_RATES_SIM_PORT,
      evm: cfg.EVM_NODE_PORT,
      temporalUi: cfg.TEMPORAL_UI_PORT,
      worker: cfg.WORKER_PORT,
      workerSdkMetrics: cfg.WORKER_SDK_METRICS_PORT,
    },
    urls,
    roleUrls,
    serviceTokens,
    controlApiToken,
    registerReadToken,
    // The control API signs every person's act and decision; each service verifies them with the public half.
    decisionKeys: await loadOrCreateDevDecisionKeys(path.join(cfg.VCDC_DATA_DIR, 'decision-signing.json')),
    temporal: {
      address: `127.0.0.1:${cfg.TEMPORAL_PORT}`,
      namespace: cfg.TEMPORAL_NAMESPACE,
      payloadCodecKeys: await loadOrCreateDevCodecKeys(path.join(cfg.VCDC_DATA_DIR, 'payload-codec-keys')),
    },
    devKeyDir,
    codecUiSecret,
    // The custody gas station (pays the ETH gas of USDT transfers out of case wallets) gets ETH at start.
    evmFundAddresses: CustodyKeyring.fromSecret(
      process.env.CUSTODY_MASTER_SECRET ?? DEV_CUSTODY_MASTER_SECRET,
    ).gasStation().address,
    simulatorStateDir: path.join(cfg.VCDC_DATA_DIR, 'simulators'),
    sale: {
      slices: cfg.VCDC_SALE_SLICES,
      horizonSeconds: cfg.VCDC_SALE_HORIZON_SECONDS,
      ...(cfg.VCDC_SALE_MAX_REPRICINGS !== undefined ? { maxRepricings: cfg.VCDC_SALE_MAX_REPRICINGS } : {}),
    },
    auditCheckpoints: {
      dir: path.join(cfg.VCDC_DATA_DIR, 'audit-checkpoints'),
      signingKeys: Object.fromEntries(checkpointSigners.map((s) => [s, checkpointKeys[s]!.signingKey])) as Record<
        (typeof checkpointSigners)[number],
        string
      >,
      verifyKeys: checkpointSigners.map((s) => checkpointKeys[s]!.verifyKey).join(','),
    },
  });

  say('starting the simulators (venues, chains, OTC desks, FX rates)');
  runTs('simulators', 'simulators/src/main.ts', environments.simulators);
  for (const u of [urls.chain, urls.venue, urls.osl, ...urls.desks, urls.fxRates])
    await waitFor(`${u}/healthz`, () => httpOk(`${u}/healthz`));

  say('starting the services (custody, exchange, fx, treasury)');
  for (const name of SERVICES) runTs(name, `services/${name}/src/main.ts`, environments[name]);
  for (const name of SERVICES) await waitFor(`${name} /readyz`, () => httpOk(`${urls[name]}/readyz`), 90_000);

  say(
    cfg.VCDC_WORKERS === 1
      ? 'starting the worker and the control API'
      : `starting ${cfg.VCDC_WORKERS} workers and the control API`,
  );
  const workerStarted = new Date();
  const workerPorts: number[] = [];
  for (let i = 0; i < cfg.VCDC_WORKERS; i++) {
    // The first is `worker` on the configured ports, as ever; the others `worker-2`… on free ones below the
    // OS's ephemeral ports (one of those may become an outgoing connection's before the worker binds it).
    const ports =
      i === 0
        ? [cfg.WORKER_PORT, cfg.WORKER_SDK_METRICS_PORT]
        : [await freePortIn(20_000, 32_767), await freePortIn(20_000, 32_767)];
    workerPorts.push(ports[0] as number);
    runTs(i === 0 ? 'worker' : `worker-${i + 1}`, 'workflows/src/worker/worker-main.ts', {
      ...environments.worker,
      TEMPORAL_ADDRESS: frontends[i % frontends.length],
      PORT: String(ports[0]),
      SDK_METRICS_PORT: String(ports[1]),
    });
  }
  runTs('control-api', 'control-api/src/main.ts', environments['control-api']);
  await waitFor('control API /readyz', () => httpOk(`${urls.controlApi}/readyz`), 90_000);
  // The stack is ready, and a case may be registered, once every worker polls its task queue (worker-ready.ts).
  await untilWorkerPolls({
    address: `127.0.0.1:${cfg.TEMPORAL_PORT}`,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: environments.worker.TEMPORAL_TASK_QUEUE ?? TASK_QUEUE,
    since: workerStarted,
    pollers: cfg.VCDC_WORKERS,
  });
  say(
    cfg.VCDC_WORKERS === 1
      ? 'the worker polls its task queue'
      : `the ${cfg.VCDC_WORKERS} workers poll their task queue`,
  );

  say('');
  if (cluster) say(`Temporal cluster  frontends ${frontends.join('  ')}  (no Web UI; logs temporal-<n>.log)`);
  else say(`Temporal Web UI   ${urls.webUi}/namespaces/${cfg.TEMPORAL_NAMESPACE}/workflows`);
  say(`Console           ${urls.controlApi}/console/  (sign in as any seeded person)`);
  say(`Control API       ${urls.controlApi}/v1/cases  (token: node --import tsx cli/src/dev-token.ts --list)`);
  say(`Services          custody ${urls.custody}  exchange ${urls.exchange}  fx ${urls.fx}  treasury ${urls.treasury}`);
  say(
    `Simulators        venue ${urls.venue}  OSL ${urls.osl}  desks ${urls.desks.join(' ')}  chain ${urls.chain}  EVM ${urls.evm.rpcUrl}  FX rates ${urls.fxRates}`,
  );
  say('Venue market      npm run venue -- market BTC/USDT | move BTC/USDT -8% 30s | faults  (simulators/README.md)');
  say(
    `Metrics           ${[urls.controlApi, ...workerPorts.map((p) => `http://127.0.0.1:${p}`), ...SERVICES.map((n) => urls[n])].map((u) => `${u}/metrics`).join('  ')}`,
  );
  say(
    `Traces            ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? `to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT} (OTLP/HTTP)` : 'made, not sent (set OTEL_EXPORTER_OTLP_ENDPOINT to send them); trace_id and case_id are in every log line'}`,
  );
  say(`Logs              ${path.join(cfg.VCDC_DATA_DIR, 'logs')}/<process>.log`);
  say('');

  // A restart does not start a second demo case unless asked (VCDC_DEMO=1): the first one is remembered.
  const demoMarker = path.join(cfg.VCDC_DATA_DIR, 'demo-case.json');
  const earlierDemo = await readFile(demoMarker, 'utf8').then(
    (text) => (JSON.parse(text) as { caseId: string }).caseId,
    () => undefined,
  );
  if (cfg.VCDC_DEMO === 'auto' && earlierDemo)
    say(`the demo case ${earlierDemo} ran on this data already (VCDC_DEMO=1 starts another)`);
  if (cfg.VCDC_DEMO === '1' || (cfg.VCDC_DEMO === 'auto' && !earlierDemo)) {
    const outcome = await runDemoCase({
      // The custody credential only opens the case's wallets for the seizure sweep; every person's act goes
      // through the control API as that person.
      urls: { ...urls, custodyCredential: serviceTokens.custody },
      log: say,
      token: (person) => issuer.mint(person),
    });
    await writeFile(demoMarker, JSON.stringify({ caseId: outcome.caseId, status: outcome.status }), { mode: 0o600 });
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
  process.stderr.write(stamped('vcdc', error instanceof Error ? error.message : String(error)));
  void stopStack(1);
});
