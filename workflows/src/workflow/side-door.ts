/**
 * Temporal is not a side door: what any client that reaches the Temporal frontend can send a case
 * (a signal, an Update, a cancellation request; the Web UI's buttons and the CLI included) can
 * neither jam, bloat nor kill it.
 *
 * - A payload the worker cannot decode (it claims to be encrypted but is not, an unknown key id, a
 *   broken tag, bytes the converter cannot read) reaches the workflow as a small marker that the
 *   worker's codec puts in its place (codec/payload-codec.ts `undecodable: 'marker'`), never as an
 *   error that fails every later workflow task.
 * - A signal or Update argument larger than the case's limit (64 KiB by default; a decision is a
 *   few KB) or a marker is refused before any state keeps it, and recorded by its SHA-256 and size.
 * - Every refusal goes to the control API's audit chain through the `refusals` sink (the worker
 *   appends it, refusal-sink.ts); a workflow task is never failed for it, and the case goes on.
 *
 * Workflow code: deterministic, no Node built-ins (the digest is sha256.ts, in plain JavaScript).
 */
import { proxySinks, type Sinks, workflowInfo } from '@temporalio/workflow';
import { sha256Hex } from './sha256';

/** The key of the marker the worker's codec puts in place of a payload it cannot decode. */
export const REFUSED_PAYLOAD = 'vcdc:refused-payload';

/** What the codec keeps of a payload it cannot decode: its digest, its size, and why. */
export interface RefusedPayload {
  sha256: string;
  size: number;
  reason: 'undecodable';
  detail: string;
}

/** The largest signal or Update argument a case takes by default (its JSON, in UTF-8 bytes). */
export const DEFAULT_MESSAGE_LIMIT_BYTES = 64 * 1024;
/** How many refusals the case's status keeps (the newest); the count and the audit chain keep them all. */
export const REFUSALS_KEPT = 50;
/** A refused decision larger than this is kept in the status by its digest only. */
export const REFUSED_DECISION_KEPT_BYTES = 8 * 1024;

export type RefusalReason =
  /** Larger than the limit. */
  | 'oversized'
  /** The worker could not decode it (the codec's marker). */
  | 'undecodable'
  /** A signal or Update name the case does not know. */
  | 'unknown-message'
  /** A decision the case's rules, its validator or the signature check refused. */
  | 'refused'
  /** Temporal's RequestCancelWorkflowExecution (the Web UI's "Request Cancellation", `temporal workflow cancel`). */
  | 'cancel-requested';

/** One message refused (or, for a cancellation request, not obeyed), as the status and the audit chain keep it. */
export interface MessageRefusal {
  via: 'signal' | 'update' | 'cancel';
  /** The signal or Update name ('cancel' for a cancellation request). */
  name: string;
  reason: RefusalReason;
  /** SHA-256 of the argument (its JSON in UTF-8; for an undecodable payload, of its bytes as received) and its size. */
  sha256?: string;
  size?: number;
  /** The refusal code of a refused decision (e.g. decision-replayed), and a short detail. */
  code?: string;
  detail?: string;
  /** The person a refused decision claims to be from (claimed, not verified). */
  claimedBy?: string;
  /** The Update's id, for an Update. */
  updateId?: string;
  /** Workflow time. */
  at: string;
}

/** The refusals in the case's status: how many in all and the newest few (`REFUSALS_KEPT`). */
export interface MessageRefusals {
  total: number;
  recent: MessageRefusal[];
}

/** What the worker appends to the control API's audit chain for each refusal (refusal-sink.ts). */
export interface RefusalRecord extends MessageRefusal {
  caseId: string;
  workflowId: string;
  runId: string;
}

/**
 * The worker's `refusals` sink: called only when the workflow code runs live (never on replay), also
 * from an Update validator (the SDK runs validators as live read-only code and delivers their sink
 * calls after the activation).
 */
export interface RefusalSinks extends Sinks {
  refusals: { record(refusal: RefusalRecord): void };
}

const { refusals } = proxySinks<RefusalSinks>();

export function isRefusedPayload(value: unknown): value is Record<typeof REFUSED_PAYLOAD, RefusedPayload> {
  return typeof value === 'object' && value !== null && REFUSED_PAYLOAD in value;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The argument's digest and size: the SHA-256 of its JSON in UTF-8. */
export function digestOf(arg: unknown): { sha256: string; size: number } {
  const bytes = utf8(JSON.stringify(arg) ?? 'undefined');
  return { sha256: sha256Hex(bytes), size: bytes.length };
}

/**
 * Whether a signal or Update argument may be looked at: undefined when it may, else the refusal
 * (by digest, never the argument itself) to record.
 */
export function screen(
  arg: unknown,
  limitBytes: number,
): Pick<MessageRefusal, 'reason' | 'sha256' | 'size' | 'detail'> | undefined {
  if (isRefusedPayload(arg)) {
    const marker = arg[REFUSED_PAYLOAD];
    return {
      reason: 'undecodable',
      sha256: String(marker?.sha256 ?? ''),
      size: Number(marker?.size ?? 0),
      detail: String(marker?.detail ?? '').slice(0, 200),
    };
  }
  const text = JSON.stringify(arg) ?? '';
  // A UTF-8 byte is at least one UTF-16 unit and at most three: only a borderline text needs encoding.
  if (text.length * 3 <= limitBytes) return undefined;
  const bytes = utf8(text);
  if (bytes.length <= limitBytes) return undefined;
  return {
    reason: 'oversized',
    sha256: sha256Hex(bytes),
    size: bytes.length,
    detail: `${bytes.length} bytes, above the case's limit of ${limitBytes}`,
  };
}

/**
 * The case's record of refusals: kept in its status (bounded) and sent to the audit chain. `keep`
 * is false where the workflow's state must not change (an Update validator is read-only).
 */
export function refusalLog(caseId: () => string, into: () => MessageRefusals) {
  return (refusal: Omit<MessageRefusal, 'at'>, keep = true): MessageRefusal => {
    const full: MessageRefusal = { ...refusal, at: new Date().toISOString() };
    if (full.detail && full.detail.length > 500) full.detail = full.detail.slice(0, 500);
    if (full.claimedBy && full.claimedBy.length > 200) full.claimedBy = full.claimedBy.slice(0, 200);
    if (keep) {
      const log = into();
      log.total += 1;
      log.recent.push(full);
      if (log.recent.length > REFUSALS_KEPT) log.recent.splice(0, log.recent.length - REFUSALS_KEPT);
    }
    const { workflowId, runId } = workflowInfo();
    refusals.record({ ...full, caseId: caseId(), workflowId, runId });
    return full;
  };
}

/** The person a decision-shaped argument claims to be from, if it names one (short strings only). */
export function claimedBy(arg: unknown): string | undefined {
  const by = (arg as { decidedBy?: unknown } | null)?.decidedBy;
  return typeof by === 'string' ? by.slice(0, 200) : undefined;
}
