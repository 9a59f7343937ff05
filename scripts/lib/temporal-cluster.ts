/**
 * A real multi-node Temporal cluster on this machine (issue 18, part 3): the Temporal server built from
 * its Go module (pinned, into .tools/ by scripts/ensure-deps.sh; nothing downloaded as a binary), its
 * `temporal` and `temporal_visibility` databases in the stack's PostgreSQL with the schemas Temporal's own
 * SQL tool sets up, and N server processes, each running every service (frontend, history, matching,
 * worker) on loopback ports of its own, joined into one cluster by ringpop membership through the shared
 * database. Each node is a part of the stack's process group (`temporal-1`, `temporal-2`, …): one killed is
 * started again, with the same config and ports, and rejoins.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { buildFromGoModule, type GoModuleTool, goVersion, isBuilt } from './go-module-build';
import { freePortIn } from './ports';
import type { ProcessGroup } from './process-group';
import { TOOLS_DIR } from './temporal-binaries';
import { portOpen, waitFor } from './wait';

/** The newest server release whose go.mod this machine's Go (1.26.8) accepts: v1.32.2 asks for 1.26.10. */
export const TEMPORAL_SERVER = { module: 'go.temporal.io/server', version: 'v1.32.1' } as const;
export const TEMPORAL_SERVER_DIR = path.join(TOOLS_DIR, `temporal-server-${TEMPORAL_SERVER.version}`);

const SERVER_TOOL: GoModuleTool = {
  dir: TEMPORAL_SERVER_DIR,
  packages: [
    { pkg: `${TEMPORAL_SERVER.module}/cmd/server`, binary: 'temporal-server' },
    { pkg: `${TEMPORAL_SERVER.module}/cmd/tools/sql`, binary: 'temporal-sql-tool' },
  ],
  version: TEMPORAL_SERVER.version,
  ldflags: '-s -w',
};

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

const binaries = (): TemporalServerBinaries => ({
  server: path.join(TEMPORAL_SERVER_DIR, 'temporal-server'),
  sqlTool: path.join(TEMPORAL_SERVER_DIR, 'temporal-sql-tool'),
});

/** The pinned server and SQL tool if built already. */
export function findTemporalServer(): TemporalServerBinaries | undefined {
  return isBuilt(SERVER_TOOL) ? binaries() : undefined;
}

/** What to tell someone whose machine has not built them. */
export const NOT_BUILT = `the Temporal server ${TEMPORAL_SERVER.version} is not built in ${TEMPORAL_SERVER_DIR}: run scripts/ensure-deps.sh (it builds it from its Go module with go, minutes once)`;

/** Find the pinned server and SQL tool, or build both from the one module version (minutes on a cold Go cache). */
export function ensureTemporalServer(log: (line: string) => void = () => undefined): {
  found: TemporalServerBinaries;
  seconds: number;
} {
  const found = findTemporalServer();
  if (found) return { found, seconds: 0 };
  const go = goVersion();
  if (!go) throw new Error(`Go is not installed: ${NOT_BUILT}`);
  log(
    `building the Temporal server ${TEMPORAL_SERVER.version} and its SQL tool from ${TEMPORAL_SERVER.module} with ${go}`,
  );
  const seconds = buildFromGoModule(SERVER_TOOL);
  return { found: binaries(), seconds };
}

/** Where the cluster keeps its state: Temporal's own two databases, and the role the servers log in as. */
export const TEMPORAL_DATABASES = { main: 'temporal', visibility: 'temporal_visibility' } as const;
const TEMPORAL_ROLE = 'temporal';

export interface TemporalDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
}

/**
 * As the owner: the `temporal` login (this start's password) and its two databases, created when
 * missing; then, as that login, Temporal's SQL tool brings both schemas to the version this server
 * ships (embedded in the tool: `--schema-name postgresql/v12/…`). Run again, it changes nothing but the
 * password.
 */
export async function setUpTemporalDatabases(
  ownerUrl: string,
  sqlTool: string,
  password: string,
): Promise<TemporalDatabase> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const exists = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [TEMPORAL_ROLE]);
    // A password cannot be a bind parameter in DDL: quote it as a literal (hex, no quotes in it anyway).
    const literal = owner.escapeLiteral(password);
    await owner.query(
      exists.rowCount
        ? `ALTER ROLE ${TEMPORAL_ROLE} LOGIN PASSWORD ${literal}`
        : `CREATE ROLE ${TEMPORAL_ROLE} LOGIN PASSWORD ${literal}`,
    );
    for (const db of Object.values(TEMPORAL_DATABASES)) {
      const has = await owner.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!has.rowCount) await owner.query(`CREATE DATABASE ${db} OWNER ${TEMPORAL_ROLE}`);
    }
  } finally {
    await owner.end();
  }
  const url = new URL(ownerUrl);
  const database: TemporalDatabase = {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: TEMPORAL_ROLE,
    password,
  };
  const sql = (db: string, ...args: string[]) =>
    execFileSync(
      sqlTool,
      [
        '--plugin',
        'postgres12',
        '--endpoint',
        database.host,
        '--port',
        String(database.port),
        '--user',
        database.user,
        '--database',
        db,
        ...args,
      ],
      // The password by environment, not on the command line (where `ps` shows it).
      { env: { ...process.env, SQL_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  for (const [db, schema] of [
    [TEMPORAL_DATABASES.main, 'postgresql/v12/temporal'],
    [TEMPORAL_DATABASES.visibility, 'postgresql/v12/visibility'],
  ] as const) {
    // The version table only (0.0), then every versioned step up to this server's schema.
    sql(db, 'setup-schema', '-v', '0.0');
    sql(db, 'update-schema', '--schema-name', schema);
  }
  return database;
}

/** The loopback ports of one node: gRPC and membership for each service, and the frontend's HTTP API. */
export interface NodePorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface ClusterSettings {
  database: TemporalDatabase;
  /** Every node's ports; node 1's frontend is the cluster's address for clients. */
  nodes: NodePorts[];
  numHistoryShards: number;
  dynamicConfigFile: string;
  logLevel: string;
}

/**
 * One node's server config (config/development-postgres12.yaml of the module, cut to what a cluster on
 * loopback needs). Written as JSON, which is YAML too: the server reads it with its YAML loader.
 */
export function clusterNodeConfig(s: ClusterSettings, node: number) {
  const ports = s.nodes[node];
  if (!ports) throw new Error(`no node ${node} in a cluster of ${s.nodes.length}`);
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${s.database.host}:${s.database.port}`,
      connectProtocol: 'tcp',
      user: s.database.user,
      password: s.database.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  const first = s.nodes[0] as NodePorts;
  return {
    log: { stdout: true, level: s.logLevel },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      // Fixed for the life of the cluster (the shards are rows in the database): every node says the same.
      numHistoryShards: s.numHistoryShards,
      // Each node runs four services, each with its own pools: 4 × (8 + 2) connections a node.
      datastores: { default: store(TEMPORAL_DATABASES.main, 8), visibility: store(TEMPORAL_DATABASES.visibility, 2) },
    },
    global: {
      // Nodes find each other through the cluster_membership table, then gossip (ringpop) on these ports.
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${first.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: s.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * The cluster's dynamic config: a namespace or search attribute registered through one node is seen by
 * the others within 2 s (default 10 s), so the stack's readiness does not wait on a cache.
 */
const DYNAMIC_CONFIG = `system.namespaceCacheRefreshInterval:
  - value: 2s
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
limit.maxIDLength:
  - value: 255
`;

const PORT_NAMES: Array<keyof NodePorts> = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
];

/**
 * The nodes' ports: node 1's frontend is `frontendPort`, every other port one free below 32768 (the
 * membership table keeps a node's port as a SMALLINT: an ephemeral port from the OS fails its
 * heartbeat, and the node exits), kept in `<dir>/ports.json` so a restarted stack finds its nodes where
 * the database's membership table says.
 */
export async function clusterPorts(dir: string, nodes: number, frontendPort: number): Promise<NodePorts[]> {
  const file = path.join(dir, 'ports.json');
  const kept = keptClusterPorts(dir);
  const all: NodePorts[] = [];
  for (let i = 0; i < nodes; i++) {
    const ports = {} as NodePorts;
    for (const name of PORT_NAMES) ports[name] = kept[i]?.[name] ?? (await freePortIn(20_000, 32_767));
    all.push(ports);
  }
  (all[0] as NodePorts).frontend = frontendPort;
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  return all;
}

/** The ports a cluster's nodes were given (`[]` before its first start): for a reader of its state. */
export function keptClusterPorts(dir: string): NodePorts[] {
  const file = path.join(dir, 'ports.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as NodePorts[]) : [];
}

/** Where the stack keeps its cluster (configs, ports) under its data folder. */
export const CLUSTER_DIR = 'temporal-cluster';

export interface StartClusterOptions {
  server: string;
  dir: string;
  database: TemporalDatabase;
  nodes: number;
  frontendPort: number;
  namespace: string;
  searchAttributes: Record<string, SearchAttributeType>;
  logLevel?: string;
}

/** Each node's process-group name. */
export const nodeName = (i: number): `temporal-${number}` => `temporal-${i + 1}`;

/**
 * Start the nodes, wait until every frontend answers, register the namespace and the search attributes
 * (through node 1; each node then sees them). The frontends' addresses, node 1's first.
 */
export async function startTemporalCluster(group: ProcessGroup, o: StartClusterOptions): Promise<string[]> {
  mkdirSync(o.dir, { recursive: true });
  const dynamicConfigFile = path.join(o.dir, 'dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
  const settings: ClusterSettings = {
    database: o.database,
    nodes: await clusterPorts(o.dir, o.nodes, o.frontendPort),
    // Enough that each of two nodes owns some (ringpop hashes them; with 4, one node had them all at times).
    numHistoryShards: 8,
    dynamicConfigFile,
    logLevel: o.logLevel ?? 'warn',
  };
  // Node 1 first, alone until its frontend is up: on a fresh database each node writes the cluster's
  // metadata record at start, and the second to write it at once got a duplicate key and exited.
  for (const [i, n] of settings.nodes.entries()) {
    const configFile = path.join(o.dir, `${nodeName(i)}.yaml`);
    // Owner-only: it carries the database password.
    writeFileSync(configFile, `${JSON.stringify(clusterNodeConfig(settings, i), null, 2)}\n`, { mode: 0o600 });
    group.start(nodeName(i), o.server, ['--config-file', configFile, '--allow-no-auth', 'start'], {});
    if (i === 0)
      await waitFor(
        `Temporal ${nodeName(i)}'s frontend on 127.0.0.1:${n.frontend}`,
        () => portOpen(n.frontend),
        120_000,
      );
  }
  const frontends = settings.nodes.map((n) => `127.0.0.1:${n.frontend}`);
  for (const [i, n] of settings.nodes.entries())
    await waitFor(`Temporal ${nodeName(i)}'s frontend on 127.0.0.1:${n.frontend}`, () => portOpen(n.frontend), 120_000);
  await registerNamespace(frontends, o.namespace, o.searchAttributes);
  return frontends;
}

/** The proto's IndexedValueType for each of the SDK's search attribute type names (the test servers' setup uses it too). */
export const INDEXED_VALUE_TYPE: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** How long a closed case's history stays in the cluster (the dev server keeps one day too). */
const RETENTION_MS = 24 * 3600 * 1000;

/** A client connection to a frontend that has just opened its port (its first answers may take a while). */
async function connectWhenUp(address: string): Promise<Connection> {
  let connection: Connection | undefined;
  await waitFor(
    `a connection to the Temporal frontend ${address}`,
    async () => {
      connection = await Connection.connect({ address, connectTimeout: 5000 });
      return true;
    },
    120_000,
    1000,
  );
  return connection as Connection;
}

/**
 * The namespace (left alone when it exists) and each search attribute it lacks, through the first
 * frontend; then wait until every frontend knows the namespace with all of them.
 */
async function registerNamespace(
  frontends: string[],
  namespace: string,
  searchAttributes: Record<string, SearchAttributeType>,
): Promise<void> {
  const first = await connectWhenUp(frontends[0] as string);
  try {
    await waitFor(
      `the namespace ${namespace} registered`,
      async () => {
        try {
          await first.workflowService.registerNamespace({
            namespace,
            workflowExecutionRetentionPeriod: msNumberToTs(RETENTION_MS),
          });
        } catch (error) {
          // ALREADY_EXISTS: a restarted stack's cluster has it. Anything else (no history host yet): again.
          if ((error as { code?: number }).code !== 6) throw error;
        }
        return true;
      },
      120_000,
      1000,
    );
    await waitFor(
      `the search attributes of ${namespace}`,
      async () => {
        const { customAttributes } = await first.operatorService.listSearchAttributes({ namespace });
        const missing = Object.entries(searchAttributes).filter(([name]) => !customAttributes?.[name]);
        if (missing.length === 0) return true;
        await first.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]])),
        });
        return false;
      },
      120_000,
      1000,
    );
  } finally {
    await first.close();
  }
  for (const address of frontends) {
    const connection = await connectWhenUp(address);
    try {
      await waitFor(
        `${address} to know the namespace ${namespace}`,
        async () => {
          await connection.workflowService.describeNamespace({ namespace });
          return true;
        },
        60_000,
      );
    } finally {
      await connection.close();
    }
  }
}
