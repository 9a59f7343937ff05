/**
 * A workflow's Temporal history and its children's, read with the raw service calls (the payloads are
 * encrypted by the stack's codec and none is needed), and where its time went:
 *  - busy: a workflow task from scheduled to completed, an activity from scheduled (its last attempt's
 *    start, when it was retried) to its end, a child from initiated to started; over the case and every
 *    child it started. The union of these is the machine-side time;
 *  - the rest is waiting, each gap named by what ended it: a timer firing (with what it waited between),
 *    a person's decision (an update or a signal), an activity's retry after its backoff (a poll by retry),
 *    a wait that follows the answer inside its activity (workflows/src/activities/follow.ts: only its dispatch, from
 *    scheduled to started, is busy; its looks, tens of milliseconds each, count with the wait).
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { FOLLOWING_WAITS } from '../../workflows/src/activities/follow';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Service = Connection['workflowService'];

export interface WorkflowHistory {
  workflowId: string;
  type: string;
  events: HistoryEvent[];
}

/** The activities and children one workflow scheduled, its children's in the order it started them. */
export interface Shape {
  activities: number;
  children: Shape[];
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
const following = new Set<string>(FOLLOWING_WAITS);
const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => ms(d);

/** One workflow's history (the latest run), page by page; at most 200 pages. */
export async function historyOf(service: Service, namespace: string, workflowId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let page: Uint8Array | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const h = await service.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, nextPageToken: page });
    events.push(...(h.history?.events ?? []));
    page = h.nextPageToken?.length ? h.nextPageToken : undefined;
    if (!page) break;
  }
  return events;
}

/** The workflow and every child it started, recursively (at most 500 workflows). */
export async function treeOf(service: Service, namespace: string, workflowId: string): Promise<WorkflowHistory[]> {
  const out: WorkflowHistory[] = [];
  const queue = [workflowId];
  while (queue.length > 0 && out.length < 500) {
    const id = queue.shift() as string;
    const events = await historyOf(service, namespace, id);
    const type = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
    out.push({ workflowId: id, type, events });
    for (const e of events) {
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      if (child) queue.push(child);
    }
  }
  return out;
}

/** The shape of a workflow tree (its first entry is the root), for the no-op baseline to copy. */
export function shapeOf(tree: WorkflowHistory[]): Shape {
  const byId = new Map(tree.map((w) => [w.workflowId, w]));
  const shape = (w: WorkflowHistory): Shape => ({
    activities: w.events.filter((e) => e.activityTaskScheduledEventAttributes).length,
    children: w.events
      .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
      .filter((id): id is string => id !== undefined && id !== null && byId.has(id))
      .map((id) => shape(byId.get(id) as WorkflowHistory)),
  });
  return shape(tree[0] as WorkflowHistory);
}

export interface Busy {
  from: number;
  to: number;
  /** What started it, when it starts after a gap: the gap's name (a timer's is read once its label is whole). */
  cause: string | TimerSpan;
  /** What kept the machine busy: `workflow task`, `child start`, or an activity's type. */
  kind: string;
}

export interface TimerSpan {
  workflow: string;
  /** What it waited between: the last activity completed before it, the next one scheduled after it. */
  label: string;
  setMs: number;
  elapsedMs: number;
  fired: boolean;
}

export interface ActivitySpan {
  workflow: string;
  type: string;
  attempts: number;
  /** Scheduled to its end (every attempt and backoff). */
  totalMs: number;
  /** Its last attempt, started to its end. */
  lastAttemptMs: number;
}

export interface Analysis {
  totalMs: number;
  machineMs: number;
  /** Machine-side time by what was busy (each moment counted once, for the interval that covered it first). */
  machineBy: Map<string, number>;
  /** Waiting time by what ended the wait. */
  waits: Map<string, number>;
  timers: TimerSpan[];
  activities: ActivitySpan[];
  events: number;
  workflows: number;
}

/** Busy intervals, timers and activities of one workflow's history. */
function spansOf(w: WorkflowHistory): { busy: Busy[]; timers: TimerSpan[]; activities: ActivitySpan[] } {
  const { events } = w;
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const idOf = (e: HistoryEvent) => String(e.eventId);
  const busy: Busy[] = [];
  const timers: TimerSpan[] = [];
  const activities: ActivitySpan[] = [];
  const name = w.type;
  /** Timers by their TimerStarted event's id, with when they started. */
  const timerById = new Map<string, { span: TimerSpan; at: number }>();
  /** Fired timers waiting for the next activity to complete their label. */
  const timerOpen: TimerSpan[] = [];
  let lastCompleted = 'start';
  const activityStart = new Map<string, { at: number; attempt: number }>();
  const childInitiated = new Map<string, number>();
  for (const [i, e] of events.entries()) {
    const at = ms(e.eventTime);
    if (e.workflowTaskScheduledEventAttributes) {
      const before = events[i - 1];
      let cause: Busy['cause'] = 'registration';
      if (before?.timerFiredEventAttributes) {
        cause = timerById.get(String(before.timerFiredEventAttributes.startedEventId))?.span ?? 'timer: ?';
      } else if (before?.workflowExecutionSignaledEventAttributes) {
        cause = `signal ${before.workflowExecutionSignaledEventAttributes.signalName}`;
      } else if (before?.childWorkflowExecutionCompletedEventAttributes) {
        cause = 'child workflow ended';
      } else if (before) {
        cause = temporal.api.enums.v1.EventType[before.eventType ?? 0] ?? String(before.eventType);
      }
      // An update's workflow task: the update is accepted right after the task completes.
      const acceptedAfter = events
        .slice(i + 1, i + 5)
        .some(
          (n) => n.workflowExecutionUpdateAcceptedEventAttributes || n.workflowExecutionUpdateAdmittedEventAttributes,
        );
      if (acceptedAfter) cause = 'decision (update)';
      const end = events
        .slice(i + 1)
        .find(
          (n) =>
            String(
              n.workflowTaskCompletedEventAttributes?.scheduledEventId ??
                n.workflowTaskFailedEventAttributes?.scheduledEventId ??
                n.workflowTaskTimedOutEventAttributes?.scheduledEventId ??
                '',
            ) === idOf(e),
        );
      busy.push({ from: at, to: end ? ms(end.eventTime) : at, cause, kind: 'workflow task' });
    } else if (e.activityTaskStartedEventAttributes) {
      activityStart.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), {
        at,
        attempt: e.activityTaskStartedEventAttributes.attempt ?? 1,
      });
    } else if (
      e.activityTaskCompletedEventAttributes ||
      e.activityTaskFailedEventAttributes ||
      e.activityTaskTimedOutEventAttributes ||
      e.activityTaskCanceledEventAttributes
    ) {
      const sid = String(
        e.activityTaskCompletedEventAttributes?.scheduledEventId ??
          e.activityTaskFailedEventAttributes?.scheduledEventId ??
          e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
          e.activityTaskCanceledEventAttributes?.scheduledEventId,
      );
      const scheduled = byId.get(sid);
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      const scheduledAt = ms(scheduled?.eventTime);
      const started = activityStart.get(sid) ?? { at: scheduledAt, attempt: 1 };
      activities.push({
        workflow: name,
        type,
        attempts: started.attempt,
        totalMs: at - scheduledAt,
        lastAttemptMs: at - started.at,
      });
      // A retried activity waited out its backoffs between attempts: only its last attempt is known busy.
      const attempt: Busy =
        started.attempt > 1
          ? { from: started.at, to: at, cause: `retry backoff: ${type}`, kind: type }
          : { from: scheduledAt, to: at, cause: 'activity', kind: type };
      if (following.has(type)) {
        // Its dispatch is work; from its start it waited for the answer, and the answer ended the wait.
        busy.push({
          ...attempt,
          to: Math.min(attempt.to, activityStart.get(sid)?.at ?? attempt.from),
          kind: `${type} (dispatch)`,
        });
        busy.push({ from: at, to: at, cause: `followed: ${type}`, kind: type });
      } else {
        busy.push(attempt);
      }
      lastCompleted = type;
      for (const t of timerOpen.splice(0)) t.label = `${t.label} → ${type}`;
    } else if (e.activityTaskScheduledEventAttributes) {
      const type = e.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
      for (const t of timerOpen.splice(0)) t.label = `${t.label} → ${type}`;
    } else if (e.timerStartedEventAttributes) {
      const span: TimerSpan = {
        workflow: name,
        label: `${name}: after ${lastCompleted}`,
        setMs: durationMs(e.timerStartedEventAttributes.startToFireTimeout),
        elapsedMs: Number.NaN,
        fired: false,
      };
      timers.push(span);
      timerById.set(idOf(e), { span, at });
    } else if (e.timerFiredEventAttributes || e.timerCanceledEventAttributes) {
      const sid = String(e.timerFiredEventAttributes?.startedEventId ?? e.timerCanceledEventAttributes?.startedEventId);
      const started = timerById.get(sid);
      if (started) {
        started.span.elapsedMs = at - started.at;
        started.span.fired = Boolean(e.timerFiredEventAttributes);
        if (started.span.fired) timerOpen.push(started.span);
      }
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      childInitiated.set(idOf(e), at);
    } else if (e.childWorkflowExecutionStartedEventAttributes) {
      const from = childInitiated.get(String(e.childWorkflowExecutionStartedEventAttributes.initiatedEventId));
      if (from !== undefined) busy.push({ from, to: at, cause: 'child start', kind: 'child start' });
    }
  }
  for (const t of timerOpen) t.label = `${t.label} → end`;
  return { busy, timers, activities };
}

/**
 * Where a workflow tree's time went, from the root's start to its close: the union of every busy
 * interval of the tree is machine-side time; each gap in it is a wait, named by what ended it.
 */
export function analyse(tree: WorkflowHistory[]): Analysis {
  const root = tree[0] as WorkflowHistory;
  const start = ms(root.events[0]?.eventTime);
  const end = ms(root.events[root.events.length - 1]?.eventTime);
  const busy: Busy[] = [];
  const timers: TimerSpan[] = [];
  const activities: ActivitySpan[] = [];
  for (const w of tree) {
    const s = spansOf(w);
    busy.push(...s.busy);
    timers.push(...s.timers);
    activities.push(...s.activities);
  }
  busy.sort((a, b) => a.from - b.from);
  const waits = new Map<string, number>();
  let machineMs = 0;
  const machineBy = new Map<string, number>();
  let cursor = start;
  for (const b of busy) {
    const from = Math.max(b.from, start);
    const to = Math.min(b.to, end);
    if (to <= cursor) continue;
    if (from > cursor) {
      const cause = typeof b.cause === 'string' ? b.cause : `timer: ${b.cause.label}`;
      waits.set(cause, (waits.get(cause) ?? 0) + (from - cursor));
      cursor = from;
    }
    machineMs += to - cursor;
    machineBy.set(b.kind, (machineBy.get(b.kind) ?? 0) + (to - cursor));
    cursor = to;
  }
  if (end > cursor) waits.set('end', (waits.get('end') ?? 0) + (end - cursor));
  return {
    totalMs: end - start,
    machineMs,
    machineBy,
    waits,
    timers,
    activities,
    events: tree.reduce((n, w) => n + w.events.length, 0),
    workflows: tree.length,
  };
}
