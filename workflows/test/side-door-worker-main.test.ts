/**
 * The worker process as deployed (worker-main.ts): it opens the control API's audit chain (its
 * AUDIT_SCHEMA, as `<AUDIT_SCHEMA>_service`) and its codec turns an undecodable signal into a refusal
 * that lands in that chain by digest, while the case keeps answering.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AuditChain, createPool, type Pool } from '@vcdc/shared';
import { createTestDatabase } from '../../test/support/database';
import { provisionSystemForTest } from '../../test/support/provision';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../src/codec/payload-codec';
import { REFUSAL_RECORD_KIND } from '../src/worker/refusal-sink';
import { caseWorkflow } from '../src/workflow/case-workflow';
import { decision, status } from '../src/workflow/shared';
import { TEST_DECISION_KEYS } from './audit-support';
import { DECISIONS, startCaseTestServer } from './case-support';
import { sampleRegistration } from './fake-services';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
let env: TestWorkflowEnvironment;
let worker: ChildProcess | undefined;
let owner: Pool;
const keyList = newCodecKey('k-main');
const keys = codecKeys(CodecKeyList.parse(keyList));
const taskQueue = `side-door-main-${randomUUID()}`;
const port = 17_000 + Math.floor(Math.random() * 2_000);
let stderr = '';

beforeAll(async () => {
  const [server, databaseUrl] = await Promise.all([startCaseTestServer(), createTestDatabase('side_door_main')]);
  env = server;
  owner = createPool(databaseUrl, 'audit', 2);
  // The provision step as the owner; the worker is given its two roles' URLs only.
  const roleUrls = await provisionSystemForTest(databaseUrl);
  worker = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'workflows/src/worker/worker-main.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      PAYLOAD_CODEC_KEYS: keyList,
      DECISION_VERIFY_KEYS: TEST_DECISION_KEYS.verifyKey,
      DATABASE_URL: roleUrls.notifications,
      AUDIT_DATABASE_URL: roleUrls.audit,
      // No services: the case's first step just retries while the test talks to it.
      CUSTODY_URL: 'http://127.0.0.1:9',
      EXCHANGE_URL: 'http://127.0.0.1:9',
      FX_URL: 'http://127.0.0.1:9',
      TREASURY_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600 || worker.exitCode !== null) throw new Error(`the worker did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker?.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
  }
  await owner?.end();
  await env?.teardown();
});

test('worker-main appends a refused, undecodable signal to the control API’s audit chain by digest', async () => {
  const caseId = `SDM-${randomUUID().slice(0, 8)}`;
  const client = new Client({
    connection: env.connection,
    dataConverter: { payloadCodecs: [new AesGcmPayloadCodec(keys)] },
  });
  const handle = await client.workflow.start(caseWorkflow, {
    taskQueue,
    workflowId: `case-${caseId}`,
    args: [sampleRegistration(caseId) as never],
  });
  try {
    const garbage = randomBytes(48);
    const liar: PayloadCodec = {
      encode: async (ps: Payload[]) =>
        ps.map(() => ({
          metadata: {
            encoding: new TextEncoder().encode('binary/encrypted'),
            'encryption-key-id': new TextEncoder().encode(keys.currentKeyId),
          },
          data: new Uint8Array(garbage),
        })),
      decode: async (ps: Payload[]) => ps,
    };
    await new Client({ connection: env.connection, dataConverter: { payloadCodecs: [liar] } }).workflow
      .getHandle(handle.workflowId)
      .signal(decision, DECISIONS.plan);

    const audit = new AuditChain(owner);
    let records: Awaited<ReturnType<AuditChain['list']>> = [];
    for (let i = 0; i < 200 && records.length === 0; i++) {
      records = (await audit.list({ caseId })).filter((r) => r.kind === REFUSAL_RECORD_KIND);
      if (records.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(records).toHaveLength(1);
    expect(records[0]?.data).toMatchObject({
      via: 'signal',
      reason: 'undecodable',
      sha256: createHash('sha256').update(garbage).digest('hex'),
    });
    // Written as audit_service, not the owner: the chain's writer cannot rewrite it.
    const { rows } = await owner.query<{ usename: string }>(
      `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND usename LIKE 'audit_service'`,
    );
    expect(rows.map((r) => r.usename)).toEqual(['audit_service']);
    // Still answering.
    expect((await handle.query(status)).caseId).toBe(caseId);
    expect(await audit.verify()).toMatchObject({ ok: true });
  } finally {
    await handle.terminate('test over');
  }
});
