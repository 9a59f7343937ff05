/**
 * The notifications outbox in PostgreSQL (its own schema, `notifications` by default; the migrations
 * in ./migrations are applied by the provision step, scripts/db-provision.ts, like every schema's):
 * the worker's `notify` activity writes it, the control API reads it (`GET /v1/notifications`).
 *
 * Once and only once: a row per Idempotency-Key. The same key with the same notification answers the
 * stored row; the same key with another notification is a conflict (NotificationConflict), which the
 * activity reports as a non-retryable failure.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import {
  canonicalJson,
  contracts,
  migrate,
  openRolePool,
  type Pool,
  Problem,
  parseInput,
  sha256Hex,
} from '@vcdc/shared';
import { z } from 'zod';
import { Role } from '../workflow/decision';
import {
  type CaseNotification,
  type NotificationKind as Kind,
  NOTIFICATION_KINDS,
  type NotificationActivities,
  type StoredNotification,
} from './types';

export const NOTIFICATIONS_MIGRATIONS_DIR = path.join(__dirname, 'migrations');
/** The schema the worker and the control API use unless NOTIFICATIONS_SCHEMA says otherwise. */
export const DEFAULT_NOTIFICATIONS_SCHEMA = 'notifications';
/** The failure type of a key reused for another notification (and the problem type's slug). */
export const NOTIFICATION_CONFLICT = 'notification-conflict';

/** A schema name the pool's search_path and the migrations accept. */
export const NotificationsSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
  .default(DEFAULT_NOTIFICATIONS_SCHEMA);

export const NotificationKind = z.enum(NOTIFICATION_KINDS);
export const NotificationKey = z.string().min(1).max(255);

/** What `insert` accepts: a CaseNotification, checked (the workflow is trusted, not infallible). */
export const CaseNotificationSchema = z.object({
  caseId: contracts.common.CaseId,
  workflowId: z.string().min(1).max(255),
  kind: NotificationKind,
  toRole: Role,
  stage: z.string().min(1).max(64).optional(),
  message: z.string().min(1).max(2000),
  deadline: contracts.common.IsoTimestamp.optional(),
  raisedAt: contracts.common.IsoTimestamp,
}) satisfies z.ZodType<CaseNotification>;

export interface NotificationQuery {
  caseId?: string;
  /** One role, or any of several (the roles a reader holds). */
  toRole?: Role | readonly Role[];
  kind?: Kind;
  /** Stored at or after this time (ISO 8601): inclusive, so a poller that passes its last `storedAt` misses nothing. */
  since?: string;
  limit: number;
}

export function migrateNotifications(
  databaseUrl: string,
  schema: string = DEFAULT_NOTIFICATIONS_SCHEMA,
  log?: (m: string) => void,
): Promise<string[]> {
  return migrate({ databaseUrl, schema, dir: NOTIFICATIONS_MIGRATIONS_DIR, log, auditChain: false });
}

/**
 * The outbox as the worker and the control API open it: with `url`, the login of `<schema>_service`
 * (NOTIFICATIONS_DATABASE_URL; the provision step migrated the schema and made the role), which may add
 * and read notifications and never change one (their trigger, and a grant of SELECT and INSERT only).
 * Refused when `url` holds more than that role or the schema is not current (openRolePool).
 */
export async function openNotificationsPool(options: {
  url: string;
  schema: string;
  max: number;
  /** The setting `url` came from, for the refusal's message. */
  source?: string;
}): Promise<Pool> {
  const { pool } = await openRolePool({
    url: options.url,
    schema: options.schema,
    migrationsDir: NOTIFICATIONS_MIGRATIONS_DIR,
    auditChain: false,
    max: options.max,
    ...(options.source ? { source: options.source } : {}),
  });
  return pool;
}

/** The same key was used for another notification: never stored twice, never overwritten. */
export class NotificationConflict extends Problem {
  constructor(key: string, existing: StoredNotification) {
    super(
      409,
      NOTIFICATION_CONFLICT,
      'Notification key reused',
      `idempotency key ${key} already stored another notification (${existing.notificationId})`,
      { key, notificationId: existing.notificationId },
    );
    this.name = 'NotificationConflict';
  }
}

interface Row {
  notification_id: string;
  request_sha256: string;
  case_id: string;
  workflow_id: string;
  kind: Kind;
  to_role: Role;
  stage: string | null;
  message: string;
  deadline: Date | null;
  raised_at: Date;
  stored_at: Date;
}

const COLUMNS = `notification_id, request_sha256, case_id, workflow_id, kind, to_role, stage, message,
  deadline, raised_at, stored_at`;

function fromRow(row: Row): StoredNotification {
  return {
    notificationId: row.notification_id,
    caseId: row.case_id,
    workflowId: row.workflow_id,
    kind: row.kind,
    toRole: row.to_role,
    ...(row.stage !== null ? { stage: row.stage } : {}),
    message: row.message,
    ...(row.deadline !== null ? { deadline: row.deadline.toISOString() } : {}),
    raisedAt: row.raised_at.toISOString(),
    storedAt: row.stored_at.toISOString(),
  };
}

/** The outbox in one schema (the pool's search_path names it: `createPool(url, schema)`). */
export class NotificationStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Store `notification` under `key` once. The same key and notification answer the stored row; the
   * same key with another notification throws NotificationConflict. A malformed notification is a
   * 400 validation Problem naming the field.
   */
  async insert(notification: CaseNotification, key: string): Promise<StoredNotification> {
    const n = parseInput(CaseNotificationSchema, notification, 'notification');
    const k = parseInput(NotificationKey, key, 'idempotency key');
    const requestSha256 = sha256Hex(canonicalJson(n));
    const inserted = await this.pool.query<Row>(
      `INSERT INTO notifications
         (idempotency_key, request_sha256, case_id, workflow_id, kind, to_role, stage, message, deadline, raised_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        k,
        requestSha256,
        n.caseId,
        n.workflowId,
        n.kind,
        n.toRole,
        n.stage ?? null,
        n.message,
        n.deadline ?? null,
        n.raisedAt,
      ],
    );
    const row =
      inserted.rows[0] ??
      (await this.pool.query<Row>(`SELECT ${COLUMNS} FROM notifications WHERE idempotency_key = $1`, [k])).rows[0];
    // Unreachable (a conflicting row exists, and rows are never deleted); say so rather than return nothing.
    if (!row) throw new Error(`notification ${k}: neither inserted nor found`);
    if (row.request_sha256 !== requestSha256) throw new NotificationConflict(k, fromRow(row));
    return fromRow(row);
  }

  /** Notifications in the order they were stored, filtered; at most `limit`. */
  async list(query: NotificationQuery): Promise<StoredNotification[]> {
    const roles = query.toRole === undefined ? null : typeof query.toRole === 'string' ? [query.toRole] : query.toRole;
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM notifications
        WHERE ($1::text IS NULL OR case_id = $1)
          AND ($2::text[] IS NULL OR to_role = ANY($2))
          AND ($3::text IS NULL OR kind = $3)
          AND ($4::timestamptz IS NULL OR stored_at >= $4)
        ORDER BY stored_at, seq
        LIMIT $5`,
      [query.caseId ?? null, roles ? [...roles] : null, query.kind ?? null, query.since ?? null, query.limit],
    );
    return rows.map(fromRow);
  }
}

/**
 * The worker's `notify` activity on the outbox. A conflicting or malformed notification is a
 * non-retryable failure (retrying cannot help); a database fault is retried by Temporal.
 */
export function createNotificationActivities(pool: Pool): NotificationActivities {
  const store = new NotificationStore(pool);
  return {
    async notify(notification, key) {
      try {
        return await store.insert(notification, key);
      } catch (error) {
        if (error instanceof Problem) {
          throw ApplicationFailure.nonRetryable(error.message, error.type, error.toBody());
        }
        throw error;
      }
    },
  };
}
