/**
 * Temporal is not a side door (issue #11, deliverable 6): what a bare Temporal client sends a case —
 * a signal that claims to be encrypted but is not, signals of 1.2 MB, "Request Cancellation", a
 * replayed, misdirected or unsigned decision as an Update — neither jams, bloats nor kills it. The
 * case answers its status query throughout, goes on to its end, and every refusal is in the control
 * API's audit chain by digest (the worker's `refusals` sink), never the message itself.
 *
 * The time-skipping server; the worker encrypts with the payload codec in its worker mode
 * (`undecodable: 'marker'`) and appends refusals to a real audit chain (PostgreSQL).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { AuditChain, AuditRecord, Pool } from '@vcdc/shared';
import { createDecisionActivities, DecisionSigningKey, signDecision } from '../src/activities/decision-signature';
import { AesGcmPayloadCodec, CodecKeyList, codecKeys, newCodecKey } from '../src/codec/payload-codec';
import { createRefusalSinks, REFUSAL_RECORD_KIND } from '../src/worker/refusal-sink';
import type { CaseRegistration } from '../src/workflow/case-input';
import type { CaseProgress } from '../src/workflow/case-state';
import { caseWorkflow } from '../src/workflow/case-workflow';
import type { Decision } from '../src/workflow/decision';
import { sha256Hex } from '../src/workflow/sha256';
import { decide, decision, status } from '../src/workflow/shared';
import { DEFAULT_MESSAGE_LIMIT_BYTES, type MessageRefusals, REFUSED_PAYLOAD } from '../src/workflow/side-door';
import { TEST_DECISION_KEYS, testAuditChain, testDecisionVerifyKeys } from './audit-support';
import { awaiting, bundleCaseWorkflows, DECISIONS, settleAt, startCaseTestServer } from './case-support';
import { createFakeActivities, sampleRegistration } from './fake-services';

jest.setTimeout(240_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let audit: AuditChain;
let pool: Pool;
const keys = codecKeys(CodecKeyList.parse(newCodecKey('k-side')));
/** What the control API and the worker use. */
const codec = new AesGcmPayloadCodec(keys);
const signingKey = DecisionSigningKey.parse(TEST_DECISION_KEYS.signingKey);

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  [env, bundle, { audit, pool }] = await Promise.all([
    startCaseTestServer(),
    bundleCaseWorkflows(),
    testAuditChain('side_door'),
  ]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
  await pool?.end();
});

type Progress = CaseProgress & { refusedMessages?: MessageRefusals };

/** A client that encodes with `payloadCodec` (the control API's, or an attacker's). */
function clientWith(payloadCodec: PayloadCodec): Client {
  return new Client({ connection: env.connection, dataConverter: { payloadCodecs: [payloadCodec] } });
}

/** Payloads that claim to be encrypted under the case's key id, but are random bytes. */
const FAKE_CIPHERTEXT = randomBytes(64);
const liar: PayloadCodec = {
  async encode(payloads: Payload[]) {
    return payloads.map(() => ({
      metadata: {
        encoding: new TextEncoder().encode('binary/encrypted'),
        'encryption-key-id': new TextEncoder().encode(keys.currentKeyId),
      },
      data: new Uint8Array(FAKE_CIPHERTEXT),
    }));
  },
  async decode(payloads: Payload[]) {
    return payloads;
  },
};

/** Run a case with the worker as worker-main.ts makes it (codec in marker mode, the refusals sink). */
async function withCase<T>(
  registration: CaseRegistration,
  body: (client: Client, workflowId: string) => Promise<T>,
  overrides: (fake: ReturnType<typeof createFakeActivities>) => object = () => ({}),
): Promise<T> {
  const fake = createFakeActivities();
  const taskQueue = `side-door-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: { ...fake, ...createDecisionActivities(testDecisionVerifyKeys()), ...overrides(fake) },
    dataConverter: { payloadCodecs: [new AesGcmPayloadCodec(keys, { undecodable: 'marker' })] },
    sinks: createRefusalSinks(audit),
  });
  const client = clientWith(codec);
  const workflowId = `case-${registration.caseId}`;
  return worker.runUntil(async () => {
    const handle = await client.workflow.start(caseWorkflow, { taskQueue, workflowId, args: [registration] });
    try {
      return await body(client, workflowId);
    } finally {
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test over');
    }
  });
}

/** Poll the status query until `test` holds (a minute at most); every answer must come (a failing workflow task fails the query). */
async function until(client: Client, workflowId: string, test: (p: Progress) => boolean): Promise<Progress> {
  const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
  let last: Progress | undefined;
  for (let i = 0; i < 1200; i++) {
    last = (await handle.query(status)) as Progress;
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not reached; last status ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/** The rest of the happy path, from the DISPOSAL_PLAN decision to the result. */
async function decideToTheEnd(
  client: Client,
  workflowId: string,
  plan: Decision = DECISIONS.plan,
  { fromFx = false } = {},
) {
  const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
  if (!fromFx) {
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    await handle.executeUpdate(decide, { args: [plan] });
  }
  await until(client, workflowId, awaiting('FX_DECLARATION'));
  await handle.executeUpdate(decide, { args: [DECISIONS.fx] });
  await settleAt(handle);
  await until(client, workflowId, awaiting('REMITTANCE'));
  await handle.executeUpdate(decide, { args: [DECISIONS.remit] });
  return (await handle.result()) as Progress;
}

async function auditRecords(caseId: string, test: (r: AuditRecord[]) => boolean): Promise<AuditRecord[]> {
  for (let i = 0; i < 100; i++) {
    const records = (await audit.list({ caseId })).filter((r) => r.kind === REFUSAL_RECORD_KIND);
    if (test(records)) return records;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await audit.list({ caseId })).filter((r) => r.kind === REFUSAL_RECORD_KIND);
}

function registration(overrides: Record<string, unknown> = {}): CaseRegistration {
  return sampleRegistration(`SD-${randomUUID().slice(0, 8)}`, overrides) as CaseRegistration;
}

test('the workflow sandbox’s SHA-256 is SHA-256', () => {
  for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 100_000]) {
    const bytes = randomBytes(size);
    expect(sha256Hex(new Uint8Array(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
  }
});

test('the worker’s codec: an undecodable workflow payload becomes a marker by digest; an activity’s still fails; clients still throw', async () => {
  const lie = (await liar.encode([{}]))[0] as Payload;
  const brokenJson: Payload = {
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data: new TextEncoder().encode('{'),
  };
  const worker = new AesGcmPayloadCodec(keys, { undecodable: 'marker' });
  const workflow = { type: 'workflow', namespace: 'default', workflowId: 'case-X' } as const;
  for (const bad of [lie, brokenJson]) {
    const [marker] = await worker.decode([bad], workflow);
    expect(defaultPayloadConverter.fromPayload(marker as Payload)).toEqual({
      [REFUSED_PAYLOAD]: expect.objectContaining({
        reason: 'undecodable',
        sha256: createHash('sha256')
          .update(bad.data as Uint8Array)
          .digest('hex'),
      }),
    });
  }
  // A good payload is decoded as before.
  const good = await codec.encode([defaultPayloadConverter.toPayload({ a: 1 })]);
  expect(defaultPayloadConverter.fromPayload((await worker.decode(good, workflow))[0] as Payload)).toEqual({ a: 1 });
  // What the worker reads back for an activity, and what clients decode, still fail loudly.
  const activity = {
    type: 'activity',
    namespace: 'default',
    workflowId: 'case-X',
    activityId: '1',
    isLocal: false,
  } as const;
  await expect(worker.decode([lie], activity)).rejects.toThrow();
  await expect(codec.decode([lie], workflow)).rejects.toThrow();
});

test('a: a signal that claims to be encrypted but is not is refused by digest; the case still answers and completes', async () => {
  const reg = registration();
  await withCase(reg, async (client, workflowId) => {
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    await clientWith(liar).workflow.getHandle(workflowId).signal(decision, DECISIONS.plan);

    const p = await until(client, workflowId, (s) => (s.refusedMessages?.total ?? 0) >= 1);
    expect(p.status).toBe('AWAITING_DECISION');
    expect(p.refusedMessages?.recent[0]).toMatchObject({
      via: 'signal',
      name: 'decision',
      reason: 'undecodable',
      sha256: createHash('sha256').update(FAKE_CIPHERTEXT).digest('hex'),
    });
    // The same lie as an Update: refused by its validator, nothing reaches history.
    const error = await clientWith(liar)
      .workflow.getHandle(workflowId)
      .executeUpdate(decide, { args: [DECISIONS.plan] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'message-undecodable' });
    // The same worker goes on deciding: the case is not jammed.
    const outcome = await decideToTheEnd(client, workflowId);
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.decisions.refused).toEqual([]);
    expect(outcome.refusedMessages?.total).toBe(1);

    const records = await auditRecords(reg.caseId, (r) => r.length >= 2);
    expect(records.map((r) => [r.data.via, r.data.reason])).toEqual([
      ['signal', 'undecodable'],
      ['update', 'undecodable'],
    ]);
    expect(records[0]).toMatchObject({
      actor: 'anonymous',
      caseId: reg.caseId,
      data: { via: 'signal', name: 'decision', reason: 'undecodable', sha256: p.refusedMessages?.recent[0]?.sha256 },
    });
  });
});

test('b: four 1.2 MB signals are refused and recorded by digest, never kept; the next decisions complete the case', async () => {
  const reg = registration();
  await withCase(reg, async (client, workflowId) => {
    const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    const bulky = (n: number): Decision => ({ ...DECISIONS.plan, reason: `${n}`.padEnd(1_200_000, 'x') });
    const digests: string[] = [];
    for (let n = 0; n < 4; n++) {
      await handle.signal(decision, bulky(n));
      digests.push(
        createHash('sha256')
          .update(JSON.stringify(bulky(n)))
          .digest('hex'),
      );
    }
    const p = await until(client, workflowId, (s) => (s.refusedMessages?.total ?? 0) >= 4);
    expect(p.refusedMessages?.recent.map((r) => [r.reason, r.sha256])).toEqual(digests.map((d) => ['oversized', d]));
    expect(p.refusedMessages?.recent.every((r) => (r.size ?? 0) > 1_200_000)).toBe(true);
    expect(JSON.stringify(p).length).toBeLessThan(DEFAULT_MESSAGE_LIMIT_BYTES);

    // An oversized Update is refused by its validator: nothing reaches history.
    const error = await handle.executeUpdate(decide, { args: [bulky(5)] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);

    const outcome = await decideToTheEnd(client, workflowId);
    expect(outcome.status).toBe('COMPLETED');
    expect(JSON.stringify(outcome).length).toBeLessThan(100_000);
    expect(outcome.decisions.accepted[0]?.reason).toBeUndefined();

    const records = await auditRecords(reg.caseId, (r) => r.length >= 5);
    expect(records.map((r) => [r.data.via, r.data.reason, r.data.sha256])).toEqual([
      ...digests.map((d) => ['signal', 'oversized', d]),
      [
        'update',
        'oversized',
        createHash('sha256')
          .update(JSON.stringify(bulky(5)))
          .digest('hex'),
      ],
    ]);
    // By digest only: no record holds the message.
    expect(records.every((r) => JSON.stringify(r).length < 2_000)).toBe(true);
  });
});

test('c: Temporal’s "Request Cancellation" never fails a workflow task: recorded, a supervisor is asked, the case carries on', async () => {
  const reg = registration();
  await withCase(reg, async (client, workflowId) => {
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    // A bare client, as the Web UI's button or `temporal workflow cancel` does it.
    await env.client.workflow.getHandle(workflowId).cancel();

    const p = await until(client, workflowId, (s) => (s.refusedMessages?.total ?? 0) >= 1);
    expect(p.status).toBe('AWAITING_DECISION');
    expect(p.refusedMessages?.recent[0]).toMatchObject({ via: 'cancel', name: 'cancel', reason: 'cancel-requested' });
    // The supervisors are told that a cancellation was asked for outside the control API.
    await until(client, workflowId, (s) =>
      s.notifications.some((n) => n.toRole === 'supervisor' && n.stage === 'CANCELLATION'),
    );
    // Queryable throughout, and it decides and completes as any case.
    const outcome = await decideToTheEnd(client, workflowId);
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.cancellation).toBeUndefined();

    const records = await auditRecords(reg.caseId, (r) => r.length >= 1);
    expect(records.map((r) => [r.data.via, r.data.reason])).toEqual([['cancel', 'cancel-requested']]);
  });
});

test('c: a cancellation request while coins are at the venue leaves the case queryable and it still completes', async () => {
  const reg = registration();
  await withCase(reg, async (client, workflowId) => {
    const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    await handle.executeUpdate(decide, { args: [DECISIONS.plan] });
    await until(client, workflowId, (s) => s.stage === 'SALE' || s.stage === 'WITHDRAWAL' || s.stage === 'FX');
    await env.client.workflow.getHandle(workflowId).cancel();
    await until(client, workflowId, (s) => (s.refusedMessages?.total ?? 0) >= 1);
    await until(client, workflowId, awaiting('FX_DECLARATION'));
    await handle.executeUpdate(decide, { args: [DECISIONS.fx] });
    await settleAt(handle);
    await until(client, workflowId, awaiting('REMITTANCE'));
    await handle.executeUpdate(decide, { args: [DECISIONS.remit] });
    const outcome = (await handle.result()) as Progress;
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.refusedMessages?.recent.map((r) => r.reason)).toEqual(['cancel-requested']);
  });
});

test('d: a replayed, misdirected or unsigned decision sent as an Update is refused and in the audit chain', async () => {
  const reg = registration({ decisionSigning: 'required' });
  await withCase(reg, async (client, workflowId) => {
    const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
    const { authorisationRequested } = await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    // As the control API signs: the approver's unit, a nonce, and the authorisation the case asks for.
    const signed = (forWorkflow: string, d: Decision): Decision => {
      const withNonce = {
        ...d,
        decidedAt: new Date().toISOString(),
        unit: 'case-handling',
        nonce: randomUUID(),
        authorisation: authorisationRequested,
      };
      return { ...withNonce, act: signDecision(signingKey, forWorkflow, withNonce) };
    };
    const refused = async (d: Decision) => {
      const e = await handle.executeUpdate(decide, { args: [d] }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
      return ((e as WorkflowUpdateFailedError).cause as { type?: string }).type;
    };
    // Unsigned, and signed for another case.
    expect(await refused(DECISIONS.plan)).toBe('decision-unsigned');
    expect(await refused(signed('case-SOMEONE-ELSE', DECISIONS.plan))).toBe('decision-signature');
    // A good one, then the same again (a replay): the validator refuses it, nothing reaches history.
    const good = signed(workflowId, DECISIONS.plan);
    await handle.executeUpdate(decide, { args: [good] });
    expect(await refused(good)).toBe('decision-replayed');

    const records = await auditRecords(reg.caseId, (r) => r.length >= 3);
    expect(records.map((r) => [r.data.via, r.data.reason, r.data.code])).toEqual([
      ['update', 'refused', 'decision-unsigned'],
      ['update', 'refused', 'decision-signature'],
      ['update', 'refused', 'decision-replayed'],
    ]);
    for (const r of records) {
      expect(r.actor).toBe('unverified');
      expect(r.data).toMatchObject({ name: 'decide', claimedBy: 'supervisor.zhang' });
      expect(r.data.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof r.data.updateId).toBe('string');
    }
    const replay = records[2];
    expect(replay?.data.sha256).toBe(createHash('sha256').update(JSON.stringify(good)).digest('hex'));
  });
});

test('a signal of a name the case does not know is refused by digest, not kept waiting for a handler', async () => {
  const reg = registration();
  await withCase(reg, async (client, workflowId) => {
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    await client.workflow.getHandle(workflowId).signal('approveEverything', { please: true });
    const p = await until(client, workflowId, (s) => (s.refusedMessages?.total ?? 0) >= 1);
    expect(p.refusedMessages?.recent[0]).toMatchObject({
      via: 'signal',
      name: 'approveEverything',
      reason: 'unknown-message',
      sha256: createHash('sha256')
        .update(JSON.stringify([{ please: true }]))
        .digest('hex'),
    });
    const records = await auditRecords(reg.caseId, (r) => r.length >= 1);
    expect(records.map((r) => r.data.reason)).toEqual(['unknown-message']);
  });
});

/** The first sale engine the case started (its child workflow id), once it runs. */
async function firstEngine(client: Client, workflowId: string): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  for (let i = 0; i < 400; i++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const id = events.find(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'saleExecutionWorkflow',
    )?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (id) return id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no sale engine started');
}

/** Slices three seconds apart (real seconds while the test polls): time to reach the running engine. */
function slowSale(): CaseRegistration {
  const base = registration();
  return { ...base, disposal: { ...base.disposal, execution: { slices: 2, horizonSeconds: 6, maxRepricings: 1 } } };
}

test('a cancellation request sent to the sale engine directly neither fails the case nor leaves the round half done', async () => {
  await withCase(slowSale(), async (client, workflowId) => {
    const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    await handle.executeUpdate(decide, { args: [DECISIONS.plan] });
    const engine = await firstEngine(client, workflowId);
    await env.client.workflow.getHandle(engine).cancel();
    const outcome = await decideToTheEnd(client, workflowId, undefined, { fromFx: true });
    expect(outcome.status).toBe('COMPLETED');
    expect((await env.client.workflow.getHandle(engine).describe()).status.name).toBe('COMPLETED');
  });
});

test('a cancellation request sent to an intake batch directly is recorded and the batch runs again; the case completes', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let calls = 0;
  // The first lot's intake waits until the test has cancelled its batch.
  const gated = (fake: ReturnType<typeof createFakeActivities>) => ({
    recordIntake: async (...args: Parameters<typeof fake.recordIntake>) => {
      if (calls++ === 0) await gate;
      return fake.recordIntake(...args);
    },
  });
  const reg = registration();
  await withCase(
    reg,
    async (client, workflowId) => {
      const batch = `${workflowId}/intake/1`;
      for (let i = 0; calls === 0 && i < 400; i++) await new Promise((r) => setTimeout(r, 25));
      await env.client.workflow.getHandle(batch).cancel();
      const p = await until(client, workflowId, (s) => (s.refusedMessages?.total ?? 0) >= 1);
      expect(p.refusedMessages?.recent[0]).toMatchObject({ via: 'cancel', name: batch, reason: 'cancel-requested' });
      release();
      const outcome = await decideToTheEnd(client, workflowId);
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.intakes).toHaveLength(2);
      const records = await auditRecords(reg.caseId, (r) => r.length >= 1);
      expect(records.map((r) => [r.data.via, r.data.name])).toEqual([['cancel', batch]]);
    },
    gated,
  );
});

test('a stopSale signal sent to the sale engine from outside cancels nothing: a supervisor decides whether to go on', async () => {
  const base = registration();
  // Slices three seconds apart (real seconds while the test polls): time to reach the running engine.
  const reg = {
    ...base,
    disposal: { ...base.disposal, execution: { slices: 2, horizonSeconds: 6, maxRepricings: 1 } },
  };
  await withCase(reg, async (client, workflowId) => {
    const handle = client.workflow.getHandle<typeof caseWorkflow>(workflowId);
    await until(client, workflowId, awaiting('DISPOSAL_PLAN'));
    await handle.executeUpdate(decide, { args: [DECISIONS.plan] });
    let engine: string | undefined;
    for (let i = 0; i < 400 && !engine; i++) {
      const events = (await handle.fetchHistory()).events ?? [];
      engine = events.find(
        (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'saleExecutionWorkflow',
      )?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId as string | undefined;
      if (!engine) await new Promise((r) => setTimeout(r, 25));
    }
    expect(engine).toBeDefined();
    await env.client.workflow.getHandle(engine as string).signal('stopSale', 'stopped from the Web UI');

    const asked = await until(client, workflowId, awaiting('SALE_PRICE'));
    expect(asked.awaiting?.what).toContain('a signal the case did not send');
    expect(asked.cancellation).toBeUndefined();
    await handle.executeUpdate(decide, {
      args: [
        {
          stage: 'SALE_PRICE',
          outcome: 'APPROVE',
          decidedBy: 'supervisor.zhang',
          role: 'supervisor',
          decidedAt: '2026-01-03T09:00:00Z',
        },
      ],
    });
    const outcome = await decideToTheEnd(client, workflowId, undefined, { fromFx: true });
    expect(outcome.status).toBe('COMPLETED');
  });
});
