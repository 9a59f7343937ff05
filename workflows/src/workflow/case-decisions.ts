/**
 * How a decision reaches a running case (the `decide` Update, its validator, the `decision` signal):
 * screened at the side door (side-door.ts), admitted by the one admission (decision-admission.ts:
 * replay, signature present, the rules of decision.ts) against what the case waits for, its signature
 * verified by the control API (an activity), admitted again, then accepted into the run
 * (`CaseRun.accepted`/`approvals`), where `awaitDecision` sees it. Refusals are recorded in the status
 * and the audit chain.
 */
import {
  ApplicationFailure,
  currentUpdateInfo,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { DecisionActivities } from '../activities/types';
import { missingApprovals } from './approval-policy';
import { DECISION_CHECKS, DECISION_CHECKS_LOCAL, HOLD_RESOLUTION_APPROVALS } from './case-policy';
import type { CaseRun } from './case-run';
import type { CaseStage } from './case-state';
import type { Decision, DecisionRefusal, DecisionStage } from './decision';
import { admitDecision, type CaseDecisionState } from './decision-admission';
import type { DecisionAccepted } from './shared';
import {
  claimedBy,
  DEFAULT_MESSAGE_LIMIT_BYTES,
  digestOf,
  REFUSALS_KEPT,
  REFUSED_DECISION_KEPT_BYTES,
  screen,
} from './side-door';

/** The control API's signature on a decision, checked before the decision counts (a few quick tries). */
const decisionCheckTasks = proxyActivities<DecisionActivities>(DECISION_CHECKS);
/** The same check as a local activity: a signature is pure CPU, no activity task through the server (issue 18). */
const decisionChecksLocal = proxyLocalActivities<DecisionActivities>(DECISION_CHECKS_LOCAL);
/** Cases started before the change keep their activity tasks. */
const decisionChecks = (): typeof decisionChecksLocal =>
  patched('verify-decision-local') ? decisionChecksLocal : decisionCheckTasks;

/** One limit for every case: no registration field sets it (a start input must not raise its own limit). */
const limit = DEFAULT_MESSAGE_LIMIT_BYTES;

/** Where a decision moves the case; the Update's answer and the workflow's next step agree by construction. */
function movesTo(d: Decision, stage: CaseStage): DecisionAccepted['movesTo'] {
  const approve = d.outcome === 'APPROVE';
  switch (d.stage) {
    case 'INTAKE_DISCREPANCY':
      return approve ? { stage: 'AUTHORISATION', status: 'RUNNING' } : { stage: 'INTAKE', status: 'HELD' };
    case 'DISPOSAL_PLAN':
      return approve ? { stage: 'TRANSFER', status: 'RUNNING' } : { stage: 'AUTHORISATION', status: 'REJECTED' };
    case 'SALE_PRICE':
      return approve ? { stage: 'SALE', status: 'RUNNING' } : { stage: 'SALE', status: 'HELD' };
    case 'REMITTANCE':
    case 'RECONCILIATION':
      return approve ? { stage: 'TREASURY', status: 'RUNNING' } : { stage: 'TREASURY', status: 'HELD' };
    case 'JUDGMENT':
      return { stage: 'TREASURY', status: 'RUNNING' };
    case 'FX_RESUBMISSION':
    case 'FX_SETTLEMENT':
      return approve ? { stage: 'FX', status: 'RUNNING' } : { stage: 'FX', status: 'HELD' };
    case 'FX_DECLARATION':
      // A rejected declaration waits for a supervisor to decide whether to resubmit it.
      return approve ? { stage: 'FX', status: 'RUNNING' } : { stage: 'FX', status: 'AWAITING_DECISION' };
    case 'CANCELLATION':
      return { stage, status: 'CANCELLED' };
    case 'HOLD_RESOLUTION':
      return d.resolution?.path === 'CLOSE'
        ? { stage, status: 'CLOSED' }
        : { stage: d.resolution?.path === 'AMEND' ? 'AUTHORISATION' : stage, status: 'RUNNING' };
  }
}

// A hold is resolved by two supervisors (four eyes); a disposal plan by its quorum.
const approvalsNeeded = (run: CaseRun, stage: DecisionStage) =>
  stage === 'DISPOSAL_PLAN' ? run.disposalQuorum : stage === 'HOLD_RESOLUTION' ? HOLD_RESOLUTION_APPROVALS : 1;

/**
 * What a decision is admitted against (decision-admission.ts): the case as it stands now. `claimed`: the
 * nonce of the decision being admitted again after its signature was checked (no replay of itself).
 */
function decisionState(run: CaseRun, claimed?: string): CaseDecisionState {
  const { p, approvals, holdNow, signaturesRequired } = run;
  return {
    signaturesRequired,
    nonceUsed: (nonce) => nonce !== claimed && run.usedNonces.has(nonce),
    awaiting: p.awaiting?.stage,
    cancellable: !run.cancellation && !run.pastNoReturn && (p.status === 'RUNNING' || p.status === 'AWAITING_DECISION'),
    settlementLimit: run.settlementLimit,
    requestedBy: p.requestedBy,
    approvedBy: (p.awaiting ? (approvals[p.awaiting.stage] ?? []) : []).map((d) => d.decidedBy),
    // Signed cases (all the control API starts): an approval must carry exactly what the case asks for.
    ...(signaturesRequired && p.awaiting?.stage === 'DISPOSAL_PLAN' && p.authorisationRequested
      ? { authorisationRequested: p.authorisationRequested }
      : {}),
    ...(signaturesRequired && p.awaiting?.stage === 'REMITTANCE' && p.payoutRequested
      ? { payoutRequested: p.payoutRequested }
      : {}),
    ...(signaturesRequired && p.awaiting?.stage === 'RECONCILIATION' && p.reconciliationAsked
      ? { reconciliationAsked: p.reconciliationAsked }
      : {}),
    ...(p.awaiting?.stage === 'HOLD_RESOLUTION' && holdNow
      ? {
          hold: {
            ...holdNow,
            proposed: approvals.HOLD_RESOLUTION?.[0]?.resolution,
            proposedBy: approvals.HOLD_RESOLUTION?.[0]?.decidedBy,
          },
        }
      : {}),
  };
}

function accept(run: CaseRun, d: Decision): DecisionAccepted {
  const { p, approvals } = run;
  p.decisions.accepted.push(d);
  if (d.stage === 'CANCELLATION') {
    run.cancellation = d;
    p.cancellation = { decidedBy: d.decidedBy, reason: d.reason ?? '', at: d.decidedAt, stage: p.stage };
    run.show(`cancellation by ${d.decidedBy} (${d.reason ?? ''}): unwinding to the safe state for ${p.stage}`);
    return { decision: d, movesTo: movesTo(d, p.stage) };
  }
  const required = approvalsNeeded(run, d.stage);
  const verdict = d.stage === 'DISPOSAL_PLAN' ? run.disposalVerdict : undefined;
  // More than one approval to count: several people, or (one person but) more units or a senior supervisor.
  const quorum = required > 1 || (verdict !== undefined && (verdict.units > 1 || verdict.senior));
  if (d.outcome === 'APPROVE' && quorum) {
    const given = [...(approvals[d.stage] ?? []), d];
    approvals[d.stage] = given;
    const missing = missingApprovals({ units: 1, senior: false, ...verdict, approvals: required }, given);
    if (missing.length > 0) {
      run.show(
        `${d.stage}: ${given.length} of ${required} approvals (${given.map((a) => a.decidedBy).join(', ')}); the policy still needs ${missing.join(', ')}`,
      );
      return {
        decision: d,
        movesTo: { stage: p.stage, status: p.status },
        approvals: { given: given.length, required },
      };
    }
  }
  run.accepted[d.stage] = d;
  p.awaiting = undefined; // synchronously: a second decision for the same wait is refused as not awaited
  const given = approvals[d.stage]?.length;
  return { decision: d, movesTo: movesTo(d, p.stage), ...(given ? { approvals: { given, required } } : {}) };
}

const currentUpdateId = () => currentUpdateInfo()?.id;

const refusedDecision = (raw: unknown, refusal: DecisionRefusal) => ({
  reason: 'refused' as const,
  code: refusal.code,
  detail: refusal.message,
  claimedBy: claimedBy(raw),
  ...digestOf(raw),
});

function refuse(run: CaseRun, raw: unknown, refusal: DecisionRefusal, via: 'signal' | 'update'): void {
  const { p } = run;
  // In the control API's audit chain too, by digest (the status keeps it, as sent, below).
  const refused = refusedDecision(raw, refusal);
  const name = via === 'update' ? 'decide' : 'decision';
  run.recordRefusal({ via, name, ...refused, ...(via === 'update' ? { updateId: currentUpdateId() } : {}) }, false);
  // Kept as sent while decision-sized, else by digest; the newest few (the audit chain has them all).
  if (p.decisions.refused.length >= REFUSALS_KEPT) p.decisions.refused.shift();
  p.decisions.refused.push({
    decision: refused.size <= REFUSED_DECISION_KEPT_BYTES ? raw : { sha256: refused.sha256, size: refused.size },
    code: refusal.code,
    reason: refusal.message,
    at: new Date().toISOString(),
    via,
  });
  log.warn(`decision ${via} refused`, { reason: refusal.message });
}

/** The check that needs the world: the control API's signature, and only that (an activity). */
async function signatureRefusal(run: CaseRun, d: Decision): Promise<DecisionRefusal | undefined> {
  // Admitted already: a signed case's decision carries an act and a nonce.
  if (!run.signaturesRequired || !d.nonce) return undefined;
  run.usedNonces.add(d.nonce); // claimed now: the same nonce sent meanwhile is a replay
  const verdict = await decisionChecks().verifyDecision(run.workflowId, d);
  return verdict.ok ? undefined : verdict.refusal;
}

/** Admitted, its signature verified (an activity), then admitted again: the case may move meanwhile. */
async function admit(run: CaseRun, raw: unknown): Promise<DecisionAccepted | DecisionRefusal> {
  const { p, signaturesRequired } = run;
  const admitted = admitDecision(raw, decisionState(run));
  if (!admitted.ok) return admitted.refusal;
  const d = admitted.decision;
  // A case started without signed decisions (tests, a bare client): nobody signs an authorisation, so the
  // case's own request stands in. Custody still refuses to move coins on unsigned approvals.
  if (!signaturesRequired && d.stage === 'DISPOSAL_PLAN' && d.outcome === 'APPROVE' && !d.authorisation) {
    d.authorisation = p.authorisationRequested;
  }
  if (!signaturesRequired && d.stage === 'REMITTANCE' && d.outcome === 'APPROVE' && !d.payout) {
    d.payout = p.payoutRequested;
  }
  if (!signaturesRequired && d.stage === 'RECONCILIATION' && d.outcome === 'APPROVE' && !d.differences) {
    d.differences = p.reconciliationAsked;
  }
  const unverified = await signatureRefusal(run, d);
  if (unverified) return unverified;
  const again = admitDecision(raw, decisionState(run, d.nonce));
  return again.ok ? accept(run, d) : again.refusal;
}
const isRefusal = (r: DecisionAccepted | DecisionRefusal): r is DecisionRefusal => 'code' in r;

/**
 * What reaches the case from outside is screened before anything keeps it (side-door.ts): a signal
 * or Update argument above the limit, or one the worker could not decode, is refused and recorded by
 * digest. Every refusal goes to the audit chain.
 */
function screenedOut(run: CaseRun, raw: unknown, via: 'signal' | 'update', keep: boolean): boolean {
  const refusal = screen(raw, limit);
  if (!refusal) return false;
  const name = via === 'update' ? 'decide' : 'decision';
  run.recordRefusal({ via, name, ...refusal, ...(via === 'update' ? { updateId: currentUpdateId() } : {}) }, keep);
  if (via === 'update')
    throw ApplicationFailure.nonRetryable(refusal.detail ?? refusal.reason, `message-${refusal.reason}`);
  return true;
}

/** The `decide` Update's handler: the decision admitted, or its refusal thrown (and recorded: it is in history). */
export async function decideByUpdate(run: CaseRun, raw: unknown): Promise<DecisionAccepted> {
  screenedOut(run, raw, 'update', true);
  const result = await admit(run, raw);
  if (!isRefusal(result)) return result;
  // Past the validator the Update is in history: its refusal is recorded for the audit.
  refuse(run, raw, result, 'update');
  throw ApplicationFailure.nonRetryable(result.message, result.code);
}

/**
 * The `decide` Update's validator, before anything is written: a decision the rules refuse leaves no
 * trace in history. Read-only: its refusals go to the audit chain (a sink), not into the case's state.
 */
export function validateDecision(run: CaseRun, raw: unknown): void {
  screenedOut(run, raw, 'update', false);
  const admitted = admitDecision(raw, decisionState(run));
  // An unsigned one passes to the handler, which records it as refused in the status (not a rule's verdict).
  const refusal = admitted.ok || admitted.refusal.code === 'decision-unsigned' ? undefined : admitted.refusal;
  if (refusal) {
    run.recordRefusal(
      { via: 'update', name: 'decide', updateId: currentUpdateId(), ...refusedDecision(raw, refusal) },
      false,
    );
    throw ApplicationFailure.nonRetryable(refusal.message, refusal.code);
  }
}

/** The `decision` signal's handler: a signal is in history whatever it says, so its refusal is recorded. */
export async function decideBySignal(run: CaseRun, raw: unknown): Promise<void> {
  if (screenedOut(run, raw, 'signal', true)) return;
  const result = await admit(run, raw);
  if (isRefusal(result)) refuse(run, raw, result, 'signal');
}

/** A signal of a name the case does not know: refused and recorded by digest. */
export function refuseUnknownSignal(run: CaseRun, name: string, args: unknown[]): void {
  run.recordRefusal({ via: 'signal', name: name.slice(0, 100), reason: 'unknown-message', ...digestOf(args) });
}
