/**
 * The cluster's node configs (scripts/lib/temporal-cluster.ts): what must be the same on every node for
 * them to be one cluster (the database, the shard count, the cluster's metadata) is, and no two
 * listeners share a port; a restarted stack finds its nodes on the ports it had; a port picked for a
 * stack is not picked again by another stack starting at the same time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortIn } from '../scripts/lib/ports';
import { type ClusterSettings, clusterNodeConfig, clusterPorts } from '../scripts/lib/temporal-cluster';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vcdc-cluster-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('two nodes: one database, one shard count, one cluster; every listener on a port of its own', async () => {
  const nodes = await clusterPorts(dir, 2, 17233);
  const settings: ClusterSettings = {
    database: { host: '127.0.0.1', port: 5433, user: 'temporal', password: 'p' },
    nodes,
    numHistoryShards: 4,
    dynamicConfigFile: path.join(dir, 'dynamic-config.yaml'),
    logLevel: 'warn',
  };
  const [a, b] = [clusterNodeConfig(settings, 0), clusterNodeConfig(settings, 1)];
  for (const key of ['persistence', 'clusterMetadata', 'global', 'dynamicConfigClient'] as const)
    expect({ key, b: b[key] }).toEqual({ key, b: a[key] });
  expect(a.persistence.numHistoryShards).toBe(4);
  // Clients reach the cluster at node 1's frontend: the port the stack was given.
  expect(a.services.frontend.rpc.grpcPort).toBe(17233);
  expect(a.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:17233');
  const ports = [a, b].flatMap((c) =>
    Object.values(c.services).flatMap(({ rpc }) =>
      Object.entries(rpc)
        .filter(([k]) => k.endsWith('Port'))
        .map(([, v]) => v),
    ),
  );
  // 4 services × (gRPC + membership) + the frontend's HTTP, per node.
  expect(ports).toHaveLength(18);
  expect(new Set(ports).size).toBe(18);
  expect(() => clusterNodeConfig(settings, 2)).toThrow(/no node 2/);
});

test('a restarted stack gets the same ports (the membership table names them)', async () => {
  const first = await clusterPorts(dir, 2, 17233);
  expect(await clusterPorts(dir, 2, 17233)).toEqual(first);
  // A third node added later keeps the first two where they were.
  const three = await clusterPorts(dir, 3, 17233);
  expect(three.slice(0, 2)).toEqual(first);
  expect(three).toHaveLength(3);
});

test('a port picked is claimed: neither this process nor another stack gets it again while the claim is fresh', async () => {
  process.env.VCDC_PORT_CLAIMS_DIR = path.join(dir, 'claims');
  try {
    const a = await freePortIn(9990, 9991);
    const b = await freePortIn(9990, 9991);
    expect(new Set([a, b])).toEqual(new Set([9990, 9991]));
    await expect(freePortIn(9990, 9991, 20)).rejects.toThrow(/no free port in 9990-9991/);
  } finally {
    delete process.env.VCDC_PORT_CLAIMS_DIR;
  }
});
