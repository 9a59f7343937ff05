/**
 * The notifications outbox on real PostgreSQL (a fresh database of the jest run's embedded server):
 * the store (once per key, a conflict on another body, the filters), the worker's `notify` activity
 * (a conflict is non-retryable), and the control API's two routes with the role filter (real HTTP
 * through supertest; the Temporal client never connects: these routes do not use it).
 */
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type AuditChain, createPool, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createLocalJWKSet } from 'jose';
import request from 'supertest';
import { readableNotificationRoles } from '../../control-api/src/access';
import { createControlApi } from '../../control-api/src/app';
import { jwtAuthenticator } from '../../control-api/src/auth';
import { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
import { CONTROL_API_AUDIENCE, createDevIssuer, type DevIssuer } from '../../control-api/src/dev-issuer';
import { createTestDatabase } from '../../test/support/database';
import { provisionForTest } from '../../test/support/provision';
import {
  createNotificationActivities,
  migrateNotifications,
  NOTIFICATIONS_MIGRATIONS_DIR,
  NotificationConflict,
  NotificationStore,
  openNotificationsPool,
} from '../src/notifications/store';
import type { CaseNotification } from '../src/notifications/types';
import { TEST_CONTROL_API_ENV, testAuditChain } from './audit-support';

let pool: Pool;
let auditPool: Pool;
let audit: AuditChain;
let store: NotificationStore;
let app: Express;
let issuer: DevIssuer;
let connection: Connection;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('notifications');
  expect(await migrateNotifications(databaseUrl, 'outbox')).toContain('00001_notifications_outbox');
  // Forward-only and idempotent: a second start (the control API after the worker) applies nothing.
  expect(await migrateNotifications(databaseUrl, 'outbox')).toEqual([]);
  pool = createPool(databaseUrl, 'outbox', 4);
  store = new NotificationStore(pool);
  ({ audit, pool: auditPool } = await testAuditChain('notifications_api'));
  issuer = await createDevIssuer();
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  app = createControlApi({
    audit,
    notifications: store,
    client: new Client({ connection }),
    taskQueue: 'unused',
    logger: silentLogger(),
    defaults: registrationDefaults(ControlApiConfig.parse(TEST_CONTROL_API_ENV)),
    decisionSigningKey: ControlApiConfig.parse(TEST_CONTROL_API_ENV).DECISION_SIGNING_KEY,
    authenticator: jwtAuthenticator({
      issuer: issuer.issuer,
      audience: CONTROL_API_AUDIENCE,
      keys: createLocalJWKSet(issuer.jwks),
    }),
  });
});

afterAll(async () => {
  await connection?.close();
  await pool?.end();
  await auditPool?.end();
});

const reminder = (caseId: string, over: Partial<CaseNotification> = {}): CaseNotification => ({
  caseId,
  workflowId: `case-${caseId}`,
  kind: 'REMINDER',
  toRole: 'supervisor',
  stage: 'DISPOSAL_PLAN',
  message: `Case ${caseId} waits for the supervisor's DISPOSAL_PLAN decision until 2026-03-04T00:00:00.000Z`,
  deadline: '2026-03-04T00:00:00.000Z',
  raisedAt: '2026-03-01T00:00:00.000Z',
  ...over,
});

describe('the outbox store', () => {
  test('the same key stores one row and answers it again; the stored row carries every field', async () => {
    const n = reminder('NT-1');
    const first = await store.insert(n, 'case-NT-1/DISPOSAL_PLAN/REMINDER');
    expect(first).toEqual({
      ...n,
      notificationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      storedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const again = await store.insert({ ...n }, 'case-NT-1/DISPOSAL_PLAN/REMINDER');
    expect(again).toEqual(first);
    // Concurrent retries of the same activity: still one row.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => store.insert(reminder('NT-1', { kind: 'ESCALATION' }), 'race-key')),
    );
    expect(new Set(racing.map((r) => r.notificationId)).size).toBe(1);
    expect(await store.list({ caseId: 'NT-1', limit: 100 })).toHaveLength(2);
  });

  test('an offset timestamp is stored as the same instant; the same key with it is the same notification', async () => {
    const n = reminder('NT-2', { raisedAt: '2026-03-01T08:00:00.000+08:00', deadline: undefined, stage: undefined });
    const stored = await store.insert(n, 'nt-2');
    expect(stored.raisedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(stored).not.toHaveProperty('deadline');
    expect(stored).not.toHaveProperty('stage');
    expect((await store.insert(n, 'nt-2')).notificationId).toBe(stored.notificationId);
  });

  test('the same key with another body is a conflict, and the stored row is unchanged', async () => {
    const stored = await store.insert(reminder('NT-3'), 'nt-3');
    const other = reminder('NT-3', { message: 'something else' });
    await expect(store.insert(other, 'nt-3')).rejects.toBeInstanceOf(NotificationConflict);
    await expect(store.insert(other, 'nt-3')).rejects.toMatchObject({
      status: 409,
      type: 'urn:vcdc:problem:notification-conflict',
      extensions: { notificationId: stored.notificationId },
    });
    expect(await store.list({ caseId: 'NT-3', limit: 10 })).toEqual([stored]);
  });

  test('a malformed notification is refused naming the field, and nothing is stored', async () => {
    const bad = { ...reminder('NT-4'), kind: 'GOSSIP', toRole: 'janitor' } as unknown as CaseNotification;
    await expect(store.insert(bad, 'nt-4')).rejects.toMatchObject({
      status: 400,
      detail: expect.stringMatching(/kind: .*toRole: /),
    });
    await expect(store.insert(reminder('NT-4'), '')).rejects.toMatchObject({ status: 400 });
    expect(await store.list({ caseId: 'NT-4', limit: 10 })).toEqual([]);
  });

  test('list filters by case, role (one or several), kind and time, in stored order, up to the limit', async () => {
    const a = await store.insert(reminder('NT-5'), 'nt-5-a');
    const b = await store.insert(reminder('NT-5', { kind: 'ESCALATION', toRole: 'senior-supervisor' }), 'nt-5-b');
    await new Promise((r) => setTimeout(r, 5));
    const c = await store.insert(
      reminder('NT-5', { kind: 'CASE_HELD', toRole: 'operator', stage: undefined }),
      'nt-5-c',
    );
    const d = await store.insert(reminder('NT-6', { toRole: 'fx-officer', stage: 'FX_DECLARATION' }), 'nt-5-d');

    expect(await store.list({ caseId: 'NT-5', limit: 100 })).toEqual([a, b, c]);
    expect(await store.list({ caseId: 'NT-5', toRole: 'senior-supervisor', limit: 100 })).toEqual([b]);
    expect(await store.list({ caseId: 'NT-5', toRole: ['operator', 'supervisor'], limit: 100 })).toEqual([a, c]);
    expect(await store.list({ caseId: 'NT-5', kind: 'CASE_HELD', limit: 100 })).toEqual([c]);
    expect(await store.list({ toRole: 'fx-officer', limit: 100 })).toEqual([d]);
    // `since` is inclusive: a poller passing the last storedAt it saw gets that row again, never misses one.
    expect(await store.list({ caseId: 'NT-5', since: c.storedAt, limit: 100 })).toEqual([c]);
    expect(await store.list({ since: c.storedAt, limit: 100 })).toEqual([c, d]);
    expect(await store.list({ caseId: 'NT-5', limit: 2 })).toEqual([a, b]);
  });
});

describe('the role the worker and the control API work as', () => {
  test('notifications_service adds and reads notifications and can never change or remove one', async () => {
    const databaseUrl = await createTestDatabase('notifications_role');
    const url = await provisionForTest(databaseUrl, {
      schema: 'outbox',
      dir: NOTIFICATIONS_MIGRATIONS_DIR,
      auditChain: false,
    });
    const asRole = await openNotificationsPool({ url, schema: 'outbox', max: 2 });
    try {
      expect((await asRole.query('SELECT current_user')).rows[0]).toEqual({ current_user: 'outbox_service' });
      const roleStore = new NotificationStore(asRole);
      const stored = await roleStore.insert(reminder('NT-ROLE'), 'nt-role-1');
      expect(await roleStore.list({ caseId: 'NT-ROLE', limit: 10 })).toEqual([stored]);
      await expect(asRole.query(`UPDATE notifications SET message = 'forged'`)).rejects.toThrow(/permission denied/);
      await expect(asRole.query('DELETE FROM notifications')).rejects.toThrow(/permission denied/);
      await expect(asRole.query('TRUNCATE notifications')).rejects.toThrow(/permission denied/);
      // and the owner is stopped by the rows' trigger
      const owner = createPool(databaseUrl, 'outbox', 1);
      try {
        await expect(owner.query(`UPDATE notifications SET message = 'forged'`)).rejects.toThrow(/never changed/);
      } finally {
        await owner.end();
      }
    } finally {
      await asRole.end();
    }
  });
});

describe('the notify activity', () => {
  test('stores once per key; a reused key with another body fails non-retryably', async () => {
    const { notify } = createNotificationActivities(pool);
    const first = await notify(reminder('NT-7'), 'nt-7');
    expect(await notify(reminder('NT-7'), 'nt-7')).toEqual(first);
    const failure = await notify(reminder('NT-7', { toRole: 'operator' }), 'nt-7').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: 'urn:vcdc:problem:notification-conflict' });
  });
});

describe('GET /v1/notifications and GET /v1/cases/:caseId/notifications', () => {
  const as = async (sub: string, roles: string[]) => {
    const token = await issuer.sign({ sub, roles });
    return (url: string) => request(app).get(url).set('authorization', `Bearer ${token}`);
  };
  const roles = (res: request.Response) =>
    (res.body.notifications as CaseNotification[]).map((n) => `${n.caseId}:${n.toRole}:${n.kind}`);

  beforeAll(async () => {
    await store.insert(reminder('API-1'), 'api-1-sup');
    await store.insert(reminder('API-1', { kind: 'ESCALATION', toRole: 'senior-supervisor' }), 'api-1-senior');
    await store.insert(reminder('API-1', { kind: 'DEPOSIT_HELD', toRole: 'operator', stage: undefined }), 'api-1-op');
    await store.insert(
      reminder('API-2', { toRole: 'fx-officer', stage: 'FX_DECLARATION', kind: 'DEADLINE_PASSED' }),
      'api-2-fx',
    );
  });

  test('readable roles: auditors and operators read all, everyone else what is addressed to their roles', () => {
    expect(readableNotificationRoles(['auditor'])).toBe('all');
    expect(readableNotificationRoles(['operator', 'case-officer'])).toBe('all');
    expect(readableNotificationRoles(['senior-supervisor', 'supervisor'])).toEqual(['senior-supervisor', 'supervisor']);
  });

  test('a supervisor sees what is addressed to supervisors only', async () => {
    const get = await as('supervisor.li', ['supervisor']);
    const res = await get('/v1/notifications?caseId=API-1');
    expect(res.status).toBe(200);
    expect(roles(res)).toEqual(['API-1:supervisor:REMINDER']);
    expect(res.body.notifications[0]).toMatchObject({
      workflowId: 'case-API-1',
      stage: 'DISPOSAL_PLAN',
      deadline: '2026-03-04T00:00:00.000Z',
      notificationId: expect.any(String),
      storedAt: expect.any(String),
    });
  });

  test('a person with two roles sees both; filtering by one of them narrows it', async () => {
    const get = await as('senior.supervisor.wu', ['senior-supervisor', 'supervisor']);
    expect(roles(await get('/v1/cases/API-1/notifications'))).toEqual([
      'API-1:supervisor:REMINDER',
      'API-1:senior-supervisor:ESCALATION',
    ]);
    expect(roles(await get('/v1/cases/API-1/notifications?role=senior-supervisor'))).toEqual([
      'API-1:senior-supervisor:ESCALATION',
    ]);
  });

  test('auditors and operators read all, and may filter by any role, kind and time', async () => {
    const auditor = await as('auditor.qian', ['auditor']);
    const all = await auditor('/v1/notifications?caseId=API-1');
    expect(roles(all)).toEqual([
      'API-1:supervisor:REMINDER',
      'API-1:senior-supervisor:ESCALATION',
      'API-1:operator:DEPOSIT_HELD',
    ]);
    const operator = await as('operator.he', ['operator']);
    expect(roles(await operator('/v1/notifications?role=fx-officer'))).toEqual([
      'NT-6:fx-officer:REMINDER',
      'API-2:fx-officer:DEADLINE_PASSED',
    ]);
    expect(roles(await operator('/v1/cases/API-1/notifications?kind=ESCALATION'))).toEqual([
      'API-1:senior-supervisor:ESCALATION',
    ]);
    // `since` is inclusive (a poller passing its last storedAt misses nothing): everything stored at or
    // after the third one's time, in stored order; rows stored in the same millisecond come along.
    const stored = all.body.notifications as { storedAt: string; kind: string; toRole: string; caseId: string }[];
    const since = stored[2]!.storedAt;
    const atOrAfter = stored.filter((n) => Date.parse(n.storedAt) >= Date.parse(since));
    const later = await operator(`/v1/notifications?caseId=API-1&since=${encodeURIComponent(since)}`);
    expect(roles(later)).toEqual(atOrAfter.map((n) => `${n.caseId}:${n.toRole}:${n.kind}`));
    expect(roles(later).at(-1)).toBe('API-1:operator:DEPOSIT_HELD');
    const first = await operator(`/v1/notifications?caseId=API-1&since=${encodeURIComponent(since)}&limit=1`);
    expect(roles(first)).toEqual(roles(later).slice(0, 1));
  });

  test('asking for another role than your own is 403, recorded in the audit chain', async () => {
    const get = await as('fx.officer.wang', ['fx-officer']);
    const res = await get('/v1/cases/API-1/notifications?role=supervisor');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:vcdc:problem:forbidden', role: 'supervisor' });
    expect((await audit.list({ caseId: 'API-1' })).at(-1)).toMatchObject({
      kind: 'access.refused',
      actor: 'fx.officer.wang',
      data: { status: 403, reason: 'notification-role', role: 'supervisor' },
    });
    // Their own role: fine.
    expect(roles(await get('/v1/notifications?role=fx-officer&kind=DEADLINE_PASSED'))).toEqual([
      'API-2:fx-officer:DEADLINE_PASSED',
    ]);
  });

  test('a bad query is 400 naming the field', async () => {
    const get = await as('auditor.qian', ['auditor']);
    for (const [query, field] of [
      ['role=janitor', 'role'],
      ['kind=GOSSIP', 'kind'],
      ['since=yesterday', 'since'],
      ['limit=0', 'limit'],
      ['caseId=no%20spaces', 'caseId'],
    ] as const) {
      const res = await get(`/v1/notifications?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:vcdc:problem:validation');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    expect((await get('/v1/cases/bad%20id/notifications')).status).toBe(400);
  });

  test('no token is 401; a token without a known role is 403', async () => {
    expect((await request(app).get('/v1/notifications')).status).toBe(401);
    const get = await as('root', ['admin']);
    expect((await get('/v1/notifications')).status).toBe(403);
  });
});
