/**
 * What the case workflow tells people while it waits or when it stops: reminders, escalations to the
 * next role up, a passed deadline, a held or cancelled case. The workflow raises them through the
 * `notify` activity (one Idempotency-Key per wait and kind, so a retried activity stores one row); the
 * worker writes them to the notifications outbox table, and the control API exposes that table
 * (`GET /v1/notifications`) so a console or a mail/SMS relay can show or send them.
 * Types only: imported by the workflow (bundled) and by the worker and the control API.
 */
import type { Role } from '../workflow/decision';

export const NOTIFICATION_KINDS = [
  'REMINDER',
  'ESCALATION',
  'DEADLINE_PASSED',
  'CASE_HELD',
  'CASE_CANCELLED',
  'DEPOSIT_HELD',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface CaseNotification {
  caseId: string;
  workflowId: string;
  kind: NotificationKind;
  /** The role to tell: for a REMINDER the role that decides, for an ESCALATION the next role up. */
  toRole: Role;
  /** The decision stage (or other wait) it is about, if any. */
  stage?: string;
  /** One sentence a person can act on: what is awaited, from whom, until when. */
  message: string;
  /** The wait's final deadline (ISO 8601), if any. */
  deadline?: string;
  /** Workflow time when it was raised (ISO 8601). */
  raisedAt: string;
}

export interface StoredNotification extends CaseNotification {
  notificationId: string;
  /** Database time when it was stored. */
  storedAt: string;
}

export interface NotificationActivities {
  /** Store one notification; the same key stores it once and answers the stored one. */
  notify(notification: CaseNotification, key: string): Promise<StoredNotification>;
}
