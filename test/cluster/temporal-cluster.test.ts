/**
 * A real multi-node Temporal cluster (issue 18, part 3): the dev stack (scripts/dev.ts, every part its own
 * process) with VCDC_TEMPORAL=cluster — two Temporal server processes, built from the pinned Go module,
 * joined as one cluster on the stack's PostgreSQL with the schemas Temporal's SQL tool set up — and two
 * case workers, the first on node 1's frontend, the second on node 2's. A few small cases run through it
 * (sale compressed, every decision taken by the demo's people through the control API), and while they
 * are in flight, kill -9 of the Temporal server that serves the control API and the first worker (or of
 * the other, if the ring gave that one no history shard), held down until the other node has taken over
 * its shards, then of the second worker; the stack's process group starts each again. Then: every case
 * COMPLETED; no order, withdrawal, transfer or remittance happened twice (test/support/case-effects.ts, as
 * the fault suite judges it); each case reconciles to the last unit with no difference explained away;
 * and the cluster was one: both nodes members for every service, the history shards taken over when a
 * node died.
 *
 * Needs the server built (scripts/ensure-deps.sh does it): without it the test fails, saying so.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Decimal, ServiceClient } from '@vcdc/shared';
import pg from 'pg';
import { type CaseEnd, COMPRESSED_SALE, runCasesAtOnce } from '../../bench/lib/demo-cases';
import { embeddedPostgresUrl } from '../../scripts/lib/embedded-postgres-url';
import {
  CLUSTER_DIR,
  findTemporalServer,
  keptClusterPorts,
  NOT_BUILT,
  type NodePorts,
  nodeName,
  TEMPORAL_DATABASES,
} from '../../scripts/lib/temporal-cluster';
import { portOpen } from '../../scripts/lib/wait';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { caseEffects } from '../support/case-effects';
import { type StackProcess, startStackProcess } from '../support/stack-process';

jest.setTimeout(15 * 60_000);

const CASES = 4;
const PREFIX = 'CLUSTER';
/** A case not ended by then fails the test (the whole file stays under 15 min). */
const CASE_DEADLINE_MS = 8 * 60_000;
const caseIds = Array.from({ length: CASES }, (_, i) => `${PREFIX}-${String(i + 1).padStart(3, '0')}`);

let stack: StackProcess;
let ends: CaseEnd[] = [];
const started = Date.now();
const kills: Array<{ part: string; casesAt: string; downMs: number }> = [];
/** Live members per service role (from Temporal's own membership table): at the start, and at the end. */
let membersAtStart: Map<number, number>;
/** What the stack printed until it was up (a part that died while starting says so there). */
let startOutput = '';
/** The history shards the killed node owned when it was killed, with their range ids then. */
let killedNodeShards: Array<{ shard: number; range: number }> = [];
/** From the kill to the other node owning every shard the killed one had (undefined: it never did). */
let takeoverMs: number | undefined;

/** Temporal's own database, as the stack's owner (read-only use here). */
async function temporalDb<T>(query: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: embeddedPostgresUrl(stack.postgresPort, TEMPORAL_DATABASES.main) });
  await client.connect();
  try {
    return await query(client);
  } finally {
    await client.end();
  }
}

/** How many hosts of each service role heartbeated in the last 20 s (the server's own cut-off for "healthy"). */
const liveMembers = () =>
  temporalDb(async (c) => {
    const { rows } = await c.query<{ role: number; hosts: string }>(
      `SELECT role, count(DISTINCT rpc_port) AS hosts FROM cluster_membership
        WHERE last_heartbeat > (now() AT TIME ZONE 'utc') - interval '20 seconds' GROUP BY role`,
    );
    return new Map(rows.map((r) => [Number(r.role), Number(r.hosts)]));
  });

/**
 * Each history shard's range id and owner (its record names the history host by address: the owner's gRPC
 * port is in it). A shard acquired by a host, another or the same one back, gets a higher range id.
 */
const shards = () =>
  temporalDb(async (c) => {
    const { rows } = await c.query<{ shard_id: number; range_id: string; data: Buffer }>(
      'SELECT shard_id, range_id, data FROM shards ORDER BY shard_id',
    );
    return rows.map((r) => ({ shard: r.shard_id, range: Number(r.range_id), data: r.data.toString('latin1') }));
  });
const ownedBy = async (historyPort: number) =>
  (await shards())
    .filter((s) => s.data.includes(`127.0.0.1:${historyPort}`))
    .map(({ shard, range }) => ({ shard, range }));

async function auditorApi(): Promise<ServiceClient> {
  return new ServiceClient({
    service: 'control-api',
    baseUrl: stack.urls.controlApi,
    timeoutMs: 15_000,
    headers: { authorization: `Bearer ${await stack.issuer.mint('auditor.qian')}` },
  });
}

/** The test's cases still running, by stage (Temporal visibility through the control API); [] when it cannot say. */
async function runningStages(): Promise<string[]> {
  try {
    const { cases } = await (await auditorApi()).get<{
      cases: Array<{ caseId: string; stage: string | null; status: string | null }>;
    }>('/v1/cases', { limit: '100' });
    return cases
      .filter((c) => caseIds.includes(c.caseId))
      .filter((c) => !['COMPLETED', 'HELD', 'FAILED', 'REJECTED', 'CANCELLED'].includes(c.status ?? ''))
      .map((c) => c.stage ?? '?');
  } catch {
    return [];
  }
}

/** Wait (bounded) until a case is at one of `stages`; the running cases' stages then. */
async function whenAt(stages: string[], timeoutMs = 4 * 60_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await runningStages();
    if (now.some((s) => stages.includes(s)) || Date.now() > until) return now;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A frontend is back when it answers for the namespace (its node rejoined and loaded it). */
async function frontendAnswers(address: string): Promise<boolean> {
  const port = Number(address.split(':')[1]);
  if (!(await portOpen(port))) return false;
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * kill -9 a node, and again each time the stack starts it (at most 4 deaths: the process group starts a
 * part again after 1, 2, 4, 8 s and gives up after 5 in 5 min), until `tookOver` holds; then let it come
 * back and wait until it is `ready`. Started again after 1 s, a node takes its own shards back before
 * the other notices it died: held down, the other must take them over.
 */
async function holdDown(
  part: `temporal-${number}`,
  tookOver: () => Promise<boolean>,
  ready: () => Promise<boolean>,
): Promise<{ kills: number; tookOverMs?: number; downMs: number }> {
  const killedAt = Date.now();
  let kills = 0;
  let last: number | undefined;
  let tookOverMs: number | undefined;
  while (Date.now() - killedAt < 60_000) {
    if (await tookOver().catch(() => false)) {
      tookOverMs = Date.now() - killedAt;
      break;
    }
    const pid = stack.pidOf(part);
    if (pid !== undefined && pid !== last && kills < 4) {
      try {
        process.kill(pid, 'SIGKILL');
        kills++;
      } catch {
        // It died already.
      }
      last = pid;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  for (;;) {
    const pid = stack.pidOf(part);
    if (pid !== undefined && pid !== last && (await ready().catch(() => false)))
      return { kills, ...(tookOverMs === undefined ? {} : { tookOverMs }), downMs: Date.now() - killedAt };
    if (Date.now() - killedAt > 180_000) throw new Error(`${part} did not come back within 3 min`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  // No skipping: a machine without the server fails here, saying how to build it.
  if (!findTemporalServer()) throw new Error(NOT_BUILT);
  stack = await startStackProcess({
    VCDC_TEMPORAL: 'cluster',
    VCDC_TEMPORAL_NODES: '2',
    VCDC_WORKERS: '2',
    ...COMPRESSED_SALE,
    // The drivers poll the control API from one address: its per-address limit is for people.
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  startOutput = stack.output();
  membersAtStart = await liveMembers();
  const nodes = keptClusterPorts(path.join(stack.dataDir, CLUSTER_DIR));

  const run = runCasesAtOnce(stack, CASES, PREFIX, CASE_DEADLINE_MS);

  // While cases move coins or sell them: the node the control API and the first worker talk to, unless the
  // ring gave it no history shard (then the other: a node that owns none would hand nothing over).
  let at = await whenAt(['TRANSFER', 'SALE']);
  const victim = (await ownedBy((nodes[0] as NodePorts).history)).length > 0 ? 0 : 1;
  const victimPorts = nodes[victim] as NodePorts;
  killedNodeShards = await ownedBy(victimPorts.history);
  const survivor = nodes[1 - victim] as NodePorts;
  const killedSet = new Set(killedNodeShards.map((k) => k.shard));
  const down = await holdDown(
    nodeName(victim),
    async () =>
      (await shards())
        .filter((s) => killedSet.has(s.shard))
        .every((s) => s.data.includes(`127.0.0.1:${survivor.history}`)),
    () => frontendAnswers(`127.0.0.1:${victimPorts.frontend}`),
  );
  takeoverMs = down.tookOverMs;
  kills.push({
    part: `${nodeName(victim)} (Temporal server, owning ${killedNodeShards.length} of ${(await shards()).length} history shards; killed ${down.kills} times in a row, its shards the other node's after ${down.tookOverMs === undefined ? '—' : `${(down.tookOverMs / 1000).toFixed(1)} s`})`,
    casesAt: at.join(', '),
    downMs: down.downMs,
  });

  // The second worker (on node 2's frontend), while cases still run.
  at = await whenAt(['SALE', 'WITHDRAWAL', 'FX', 'TREASURY']);
  const worker = await stack.killAndAwaitRestart('worker-2', async () => true);
  kills.push({ part: 'worker-2 (case worker)', casesAt: at.join(', '), downMs: worker.downMs });

  ends = (await run).ends;
}, 14 * 60_000);

afterAll(async () => {
  if (!stack) return;
  const lines = [
    '',
    `Temporal cluster: ${CASES} cases, 2 server nodes, 2 workers, ${((Date.now() - started) / 60_000).toFixed(1)} min in all`,
    '| killed | cases running then (stage) | back in (s) |',
    '|---|---|---|',
    ...kills.map((k) => `| ${k.part} | ${k.casesAt || 'none'} | ${(k.downMs / 1000).toFixed(1)} |`),
    ...ends.map((e) => `${e.caseId}: ${e.status} after ${(e.ms / 1000).toFixed(0)} s`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await stack.stop();
});

test('one cluster: two server processes, each a live member for every service; a killed one was taken over and rejoined', async () => {
  // It came up whole: no node (nor any other part) died while the stack started.
  expect(startOutput.split('\n').filter((line) => / exited \(code/.test(line))).toEqual([]);
  // Four roles (frontend, history, matching, worker), two hosts each, at the start and again at the end.
  expect([...membersAtStart.values()]).toEqual([2, 2, 2, 2]);
  expect([...(await liveMembers()).values()]).toEqual([2, 2, 2, 2]);
  // Both kills struck while cases were in flight, and each part came back.
  expect(kills.map((k) => k.casesAt.length > 0)).toEqual([true, true]);
  // The killed node owned history shards; while it was down the other node took every one of them over,
  // and each was acquired again (its range id rose).
  expect(killedNodeShards.length).toBeGreaterThan(0);
  expect(takeoverMs).toBeDefined();
  const after = new Map((await shards()).map((s) => [s.shard, s.range]));
  for (const { shard, range } of killedNodeShards)
    expect({ shard, reacquired: (after.get(shard) ?? 0) > range }).toEqual({ shard, reacquired: true });
});

test('every case COMPLETED', () => {
  expect(ends.map((e) => [e.caseId, e.status])).toEqual(caseIds.map((id) => [id, 'COMPLETED']));
});

test('nothing happened twice: orders and withdrawals (the venue’s records), transfers (the chain’s), remittances (the treasury’s)', async () => {
  const effects = await caseEffects(stack, caseIds);
  expect(effects.venueOrdersTwice).toEqual([]);
  expect(effects.venueWithdrawalsTwice).toEqual([]);
  expect(effects.venueOrdersUnknown).toEqual([]);
  for (const e of effects.cases) {
    expect({
      caseId: e.caseId,
      duplicates: e.duplicates,
      onChainOut: e.onChainOut,
      remittances: e.remittances,
    }).toEqual({ caseId: e.caseId, duplicates: 0, onChainOut: e.transfers, remittances: 1 });
    // It did sell and move coins: a case that did nothing would pass the counts above trivially.
    expect(e.orders).toBeGreaterThan(0);
    expect(e.transfers).toBeGreaterThan(0);
  }
});

test('conservation: each case reconciles to the last unit, no difference explained away', async () => {
  const api = await auditorApi();
  for (const caseId of caseIds) {
    const { reconciliation } = await api.get<CaseProgress>(`/v1/cases/${caseId}`);
    expect({ caseId, ok: reconciliation?.ok, differences: reconciliation?.differences }).toEqual({
      caseId,
      ok: true,
      differences: [],
    });
    for (const check of reconciliation?.checks ?? []) {
      expect({ caseId, check: check.name, explainedBy: check.explainedBy }).toEqual({
        caseId,
        check: check.name,
        explainedBy: undefined,
      });
      expect(new Decimal(check.left.amount).eq(check.right.amount)).toBe(true);
    }
    expect(reconciliation?.checks.length).toBeGreaterThan(0);
  }
});
