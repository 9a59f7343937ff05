/**
 * The case workflow: one seized-currency case from custody intake to the treasury, id `case-<caseId>`.
 *
 * Orchestration only. Deterministic: no I/O, clock, randomness or Node built-ins; effects happen in
 * activities (imported as a type), ids and Idempotency-Keys are derived from the workflow id and the
 * step, money is Decimal. A dead end never throws the workflow away: the case ends HELD (a person
 * must rule), REJECTED (a person said no, the assets are safe), CANCELLED (an authorised cancellation)
 * or FAILED (a service refused a step), with the reason in the status and the result. Whatever ends
 * it while coins are at the venue, they are first returned to the case wallet (compensation).
 *
 * Versioning: a change that alters the commands a running case issues goes behind `patched()`;
 * see workflows/VERSIONING.md. The replay tests (workflows/test/replay) fail CI otherwise.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  currentUpdateInfo,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setDefaultSignalHandler,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { common, type custody, type exchange } from '@vcdc/shared/contracts';
import { Decimal, fitsScale, roundDownTo, sum } from '@vcdc/shared/money';
import { APPROVAL_POLICY, evaluateApprovalPolicy, missingApprovals, type PolicyVerdict } from './approval-policy';
import { caseAmounts } from './case-amounts';
import { auditCheckpoints, calls, confirmations, venueArg, venueWaits, withdrawalWaits } from './case-calls';
import { settleIntoCny } from './case-fx';
import { handBackToOwner } from './case-hand-back';
import { CaseRegistration, type Lot } from './case-input';
import { reconcileCase } from './case-reconcile';
import { settleLeftovers } from './case-residuals';
import { heldAt, type PlannedVenue, type SaleStageContext, sellForFiat, type VenueHolding } from './case-sale';
import { paidIn, planLot, plannedVenues, sellsByPlan } from './case-sale-plan';
import type {
  AssetTransfer,
  CaseOutcome,
  CaseProgress,
  CaseStage,
  CaseStatus,
  CustodyReturn,
  SaleLegProgress,
} from './case-state';
import { CaseStop } from './case-stop';
import { payOut } from './case-treasury';
import { caseValues } from './case-values';
import {
  type Decision,
  type DecisionRefusal,
  type DecisionStage,
  ESCALATION_ROLE,
  ROLE_FOR_STAGE,
  type Role,
} from './decision';
import { admitDecision, type CaseDecisionState } from './decision-admission';
import type { DecisionActivities } from './decision-signature';
import {
  BEFORE_THE_SALE,
  describe,
  goesOnWithTheMoney,
  type HoldOptions,
  type HoldRecord,
  holdOptions,
  openPaths,
  partlyHandedBack,
} from './hold-resolution';
import { intakeManifestWorkflow, reconcileManifestIntake } from './intake-manifest-workflow';
import { BATCHES_AT_ONCE, intakeBatchWorkflow, LOTS_PER_BATCH } from './intake-workflow';
import { stepKey } from './keys';
import { assetsOf, type LotManifestRef, MANIFEST_PAGE_SIZE, pageCount } from './lot-manifest';
import type { CaseNotification, NotificationActivities, NotificationKind } from './notifications/types';
import { proceedsAtVenue } from './sale-proceeds';
import {
  AssetSymbolsKey,
  CaseAgencyKey,
  CaseIdKey,
  CaseStageKey,
  CaseStatusKey,
  type DecisionAccepted,
  decide,
  decision,
  PendingDecisionKey,
  PendingRoleKey,
  PendingSinceKey,
  status,
  ValueUsdKey,
} from './shared';
import {
  claimedBy,
  DEFAULT_MESSAGE_LIMIT_BYTES,
  digestOf,
  REFUSALS_KEPT,
  REFUSED_DECISION_KEPT_BYTES,
  refusalLog,
  screen,
} from './side-door';
import { durationMs, resolveWait } from './wait-policy';

// The child workflows run on the same worker: lot intake in batches, and the sale execution engine.
export { intakeManifestWorkflow } from './intake-manifest-workflow';
export { intakeBatchWorkflow } from './intake-workflow';
export { saleExecutionWorkflow } from './sale-workflow';

/** How long a deposit may stay unseen or unconfirmed at the venue (a hold for review has its own deadlines). */
const DEPOSIT_CONFIRMATION_LIMIT_MS = 24 * 3_600_000;
/** How long an accepted intake difference may wait for its classification and countersignatures. */
const FINAL_RECEIPT_LIMIT_MS = 14 * 24 * 3_600_000;

/** The control API's signature on a decision, checked before the decision counts (a few quick tries). */
const decisionChecks = proxyActivities<DecisionActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

/** Telling people never blocks a case for long: a notification that cannot be stored is logged and skipped. */
const notifier = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

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

/** How a held case goes on after a RESUME or AMEND: the next disposal attempt, from where and under which plan. */
interface Resume {
  /** 2 for the first resumption. */
  attempt: number;
  /**
   * The attempt whose keys the steps use: a resumption that does the disposal again gets keys of its own
   * (its own attempt); one past the sale goes on with the same money, under the keys of the attempt that
   * sold (a step already done answers as it did; none is done twice). Undefined: the first attempt's.
   */
  keys?: number;
  /** The stage the case stopped at. */
  from: CaseStage;
  /** RESUME at TRANSFER or SALE: the coins go out again under the plan already approved. */
  reusePlan: boolean;
  /** AMEND: the amended plan, approved again at DISPOSAL_PLAN. */
  amend?: Array<{ asset: string; amount: string }>;
}

/**
 * Temporal's own cancellation (RequestCancelWorkflowExecution: the Web UI's "Request Cancellation",
 * `temporal workflow cancel`, any bare client) is not how a case is cancelled: the case runs in a
 * non-cancellable scope, so the request fails no workflow task and stops no step; it is recorded (the
 * status's refusedMessages and the control API's audit chain) and the supervisors are asked to decide
 * CANCELLATION through the control API. The case carries on until such a decision arrives.
 */
export async function caseWorkflow(input: CaseRegistration): Promise<CaseOutcome> {
  const cancelRequested = CancellationScope.current().cancelRequested;
  return CancellationScope.nonCancellable(() => runCaseWorkflow(input, cancelRequested));
}

async function runCaseWorkflow(input: CaseRegistration, cancelRequested: Promise<never>): Promise<CaseOutcome> {
  const { workflowId } = workflowInfo();
  const p: CaseProgress = {
    caseId: input?.caseId ?? '',
    workflowId,
    agency: input?.agency ?? '',
    requestedBy: input?.requestedBy ?? '',
    stage: 'INTAKE',
    status: 'RUNNING',
    details: '',
    decisions: { accepted: [], refused: [] },
    notifications: [],
    accounts: [],
    intakes: [],
    settlements: [],
    credits: [],
    transfers: [],
    routes: [],
    sales: [],
    leftovers: [],
    explainedDifferences: [],
    auditCheckpoints: [],
    compensations: [],
    returns: [],
  };
  const accepted: Partial<Record<DecisionStage, Decision>> = {};
  /** Approvals given so far per stage; a stage with a quorum moves only when enough distinct people approved. */
  const approvals: Partial<Record<DecisionStage, Decision[]>> = {};
  let disposalQuorum = 1; // from the parsed registration, before any decision can arrive
  /** The approval policy's verdict on the verified intake, once valued: units and a senior supervisor may be asked too. */
  let disposalVerdict: PolicyVerdict | undefined;
  /** The DISPOSAL_PLAN approvals that made the quorum: custody verifies them on every transfer. */
  let planApprovals: Decision[] = [];
  /** The authorised cancellation, once accepted; every wait and step boundary looks at it. */
  let cancellation: Decision | undefined;
  /** While a settlement tranche is awaited: what is left to settle (the validator refuses more). */
  let settlementLimit: string | undefined;
  /** Once money leaves the special account the case can no longer be cancelled. */
  let pastNoReturn = false;
  /** While HOLD_RESOLUTION is awaited: the paths the hold allows (hold-resolution.ts). */
  let holdNow: HoldOptions | undefined;
  // A hold is resolved by two supervisors (four eyes); a disposal plan by its quorum.
  const approvalsNeeded = (stage: DecisionStage) =>
    stage === 'DISPOSAL_PLAN' ? disposalQuorum : stage === 'HOLD_RESOLUTION' ? 2 : 1;
  /** What a decision is admitted against now (decision-admission.ts); `claimed`: the nonce of the one being admitted again. */
  const decisionState = (claimed?: string): CaseDecisionState => ({
    signaturesRequired,
    nonceUsed: (nonce) => nonce !== claimed && usedNonces.has(nonce),
    awaiting: p.awaiting?.stage,
    cancellable: !cancellation && !pastNoReturn && (p.status === 'RUNNING' || p.status === 'AWAITING_DECISION'),
    settlementLimit,
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
  });

  const accept = (d: Decision): DecisionAccepted => {
    p.decisions.accepted.push(d);
    if (d.stage === 'CANCELLATION') {
      cancellation = d;
      p.cancellation = { decidedBy: d.decidedBy, reason: d.reason ?? '', at: d.decidedAt, stage: p.stage };
      show(`cancellation by ${d.decidedBy} (${d.reason ?? ''}): unwinding to the safe state for ${p.stage}`);
      return { decision: d, movesTo: movesTo(d, p.stage) };
    }
    const required = approvalsNeeded(d.stage);
    const verdict = d.stage === 'DISPOSAL_PLAN' ? disposalVerdict : undefined;
    // More than one approval to count: several people, or (one person but) more units or a senior supervisor.
    const quorum = required > 1 || (verdict !== undefined && (verdict.units > 1 || verdict.senior));
    if (d.outcome === 'APPROVE' && quorum) {
      const given = [...(approvals[d.stage] ?? []), d];
      approvals[d.stage] = given;
      const missing = missingApprovals({ units: 1, senior: false, ...verdict, approvals: required }, given);
      if (missing.length > 0) {
        show(
          `${d.stage}: ${given.length} of ${required} approvals (${given.map((a) => a.decidedBy).join(', ')}); the policy still needs ${missing.join(', ')}`,
        );
        return {
          decision: d,
          movesTo: { stage: p.stage, status: p.status },
          approvals: { given: given.length, required },
        };
      }
    }
    accepted[d.stage] = d;
    p.awaiting = undefined; // synchronously: a second decision for the same wait is refused as not awaited
    const given = approvals[d.stage]?.length;
    return { decision: d, movesTo: movesTo(d, p.stage), ...(given ? { approvals: { given, required } } : {}) };
  };

  /** Cases registered through the control API take only decisions it signed (set from the registration). */
  let signaturesRequired = false;
  const usedNonces = new Set<string>();
  const refuse = (raw: unknown, refusal: DecisionRefusal, via: 'signal' | 'update') => {
    // In the control API's audit chain too, by digest (the status keeps it, as sent, below).
    const refused = refusedDecision(raw, refusal);
    const name = via === 'update' ? 'decide' : 'decision';
    recordRefusal({ via, name, ...refused, ...(via === 'update' ? { updateId: currentUpdateId() } : {}) }, false);
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
  };
  /** Admitted, its signature verified (an activity), then admitted again: the case may move meanwhile. */
  const admit = async (raw: unknown): Promise<DecisionAccepted | DecisionRefusal> => {
    const admitted = admitDecision(raw, decisionState());
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
    const unverified = await signatureRefusal(d);
    if (unverified) return unverified;
    const again = admitDecision(raw, decisionState(d.nonce));
    return again.ok ? accept(d) : again.refusal;
  };
  /** The check that needs the world: the control API's signature, and only that (an activity). */
  const signatureRefusal = async (d: Decision): Promise<DecisionRefusal | undefined> => {
    // Admitted already: a signed case's decision carries an act and a nonce.
    if (!signaturesRequired || !d.nonce) return undefined;
    usedNonces.add(d.nonce); // claimed now: the same nonce sent meanwhile is a replay
    const verdict = await decisionChecks.verifyDecision(workflowId, d);
    return verdict.ok ? undefined : verdict.refusal;
  };
  const isRefusal = (r: DecisionAccepted | DecisionRefusal): r is DecisionRefusal => 'code' in r;

  /** The registered lots, once the registration parsed: the status's totals across lots are over all of them. */
  let registeredLots: readonly Lot[] = [];
  // The amounts in base units and the case's three values are computed when asked (case-amounts.ts,
  // case-values.ts): nothing in the history changes.
  setHandler(status, () => ({ ...p, amounts: caseAmounts(p, registeredLots), values: caseValues(p) }));
  /**
   * What reaches the case from outside is screened before anything keeps it (side-door.ts): a signal
   * or Update argument above the limit, or one the worker could not decode, is refused and recorded by
   * digest; so is a signal of a name the case does not know. Every refusal goes to the audit chain.
   */
  // One limit for every case: no registration field sets it (a start input must not raise its own limit).
  const limit = DEFAULT_MESSAGE_LIMIT_BYTES;
  const currentUpdateId = () => currentUpdateInfo()?.id;
  const recordRefusal = refusalLog(
    () => p.caseId,
    () => {
      p.refusedMessages ??= { total: 0, recent: [] };
      return p.refusedMessages;
    },
  );
  const refusedDecision = (raw: unknown, refusal: DecisionRefusal) => ({
    reason: 'refused' as const,
    code: refusal.code,
    detail: refusal.message,
    claimedBy: claimedBy(raw),
    ...digestOf(raw),
  });
  const screenedOut = (raw: unknown, via: 'signal' | 'update', keep: boolean): boolean => {
    const refusal = screen(raw, limit);
    if (!refusal) return false;
    const name = via === 'update' ? 'decide' : 'decision';
    recordRefusal({ via, name, ...refusal, ...(via === 'update' ? { updateId: currentUpdateId() } : {}) }, keep);
    if (via === 'update')
      throw ApplicationFailure.nonRetryable(refusal.detail ?? refusal.reason, `message-${refusal.reason}`);
    return true;
  };
  setDefaultSignalHandler((name, ...args) => {
    recordRefusal({ via: 'signal', name: name.slice(0, 100), reason: 'unknown-message', ...digestOf(args) });
  });
  setHandler(
    decide,
    async (raw) => {
      screenedOut(raw, 'update', true);
      const result = await admit(raw);
      if (!isRefusal(result)) return result;
      // Past the validator the Update is in history: its refusal is recorded for the audit.
      refuse(raw, result, 'update');
      throw ApplicationFailure.nonRetryable(result.message, result.code);
    },
    {
      // The validator runs before anything is written: a decision the rules refuse leaves no trace in history.
      // It is read-only: its refusals go to the audit chain (a sink), not into the case's state.
      validator: (raw) => {
        screenedOut(raw, 'update', false);
        const admitted = admitDecision(raw, decisionState());
        // An unsigned one passes to the handler, which records it as refused in the status (not a rule's verdict).
        const refusal = admitted.ok || admitted.refusal.code === 'decision-unsigned' ? undefined : admitted.refusal;
        if (refusal) {
          recordRefusal(
            { via: 'update', name: 'decide', updateId: currentUpdateId(), ...refusedDecision(raw, refusal) },
            false,
          );
          throw ApplicationFailure.nonRetryable(refusal.message, refusal.code);
        }
      },
    },
  );
  setHandler(decision, async (raw) => {
    if (screenedOut(raw, 'signal', true)) return;
    const result = await admit(raw);
    // A signal is in history whatever it says, so its refusal is recorded for the audit.
    if (isRefusal(result)) refuse(raw, result, 'signal');
  });

  const show = (details: string) => {
    p.details = details;
    setCurrentDetails(`**${p.caseId}** (${p.agency}) - ${p.stage}, ${p.status}\n\n${details}`);
  };
  const setStatus = (next: CaseStatus, details: string) => {
    p.status = next;
    upsertSearchAttributes([{ key: CaseStatusKey, value: next }]);
    show(details);
  };
  /** The stage checkpoints asked for and not answered yet: the case waits for them before it closes. */
  const stageCheckpoints: Promise<void>[] = [];
  /** Every service signs its audit chain's head now; a failure is logged, never the case's end. */
  const checkpointAudit = (stage: string) => {
    // Cases started before the checkpoints issue none until they reach a stage change on this code.
    if (!patched('audit-stage-checkpoints')) return;
    stageCheckpoints.push(
      auditCheckpoints.checkpointAuditChains({ caseId: p.caseId, stage }).then(
        (answers) => {
          for (const a of answers)
            if (a.checkpoint) p.auditCheckpoints.push({ stage, chain: a.chain, ...a.checkpoint });
        },
        (error: unknown) => log.warn('audit checkpoint not taken', { stage, error: String(error) }),
      ),
    );
  };
  let checkpointedStage: CaseStage | undefined;
  const enter = (stage: CaseStage, details: string) => {
    p.stage = stage;
    upsertSearchAttributes([{ key: CaseStageKey, value: stage }]);
    show(details);
    // Once per stage the case enters (a stage's later details lines change nothing on the chains).
    if (stage !== checkpointedStage) checkpointAudit(stage);
    checkpointedStage = stage;
  };
  let notificationsRaised = 0;
  /** Store a notification for people (the outbox); a failure to store is logged, never fatal to the case. */
  const notify = async (
    kind: NotificationKind,
    toRole: Role,
    message: string,
    extra: Partial<CaseNotification> = {},
  ) => {
    const at = new Date().toISOString();
    const sent = { kind, toRole, at, ...(extra.stage ? { stage: extra.stage } : {}) };
    // Numbered when raised, not when stored: two notifications raised at once never share a key.
    const n = ++notificationsRaised;
    try {
      await notifier.notify(
        { caseId: p.caseId, workflowId, kind, toRole, message, raisedAt: at, ...extra },
        stepKey(workflowId, 'notify', String(n), kind),
      );
      p.notifications.push(sent);
    } catch (error) {
      log.error('notification not stored', { kind, toRole, error: String(error) });
    }
  };

  // A cancellation request sent to Temporal directly: recorded, the supervisors asked, the case carries on.
  cancelRequested.catch(() => {
    recordRefusal({
      via: 'cancel',
      name: 'cancel',
      reason: 'cancel-requested',
      detail:
        'RequestCancelWorkflowExecution sent to Temporal directly: not obeyed; only a CANCELLATION decision through the control API cancels a case',
    });
    void notify(
      'ESCALATION',
      'supervisor',
      `${p.caseId}: a cancellation was requested through Temporal directly, not through the control API; the case carries on. If it must stop, a supervisor decides CANCELLATION.`,
      { stage: 'CANCELLATION' },
    );
  });

  const parsed = CaseRegistration.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    p.reason = `invalid registration: ${detail}`;
    setStatus('FAILED', p.reason);
    return p;
  }
  const reg = parsed.data;
  registeredLots = reg.lots;
  if (reg.manifest) p.manifest = { ...reg.manifest };
  disposalQuorum = reg.approvals?.disposalPlan ?? 1;
  signaturesRequired = reg.decisionSigning === 'required';
  upsertSearchAttributes([
    { key: CaseIdKey, value: reg.caseId },
    { key: CaseAgencyKey, value: reg.agency },
    { key: CaseStageKey, value: p.stage },
    { key: CaseStatusKey, value: p.status },
    { key: AssetSymbolsKey, value: assetsOf(reg) },
  ]);

  /**
   * Coins that left custody for the venue and are not sold yet, per asset, with the transfers that
   * took them there (a test deposit and the bulk transfer): what a stop must bring back, and which
   * transfer each return undoes.
   */
  const atVenue = new Map<string, VenueHolding>();
  /** `at`: a sale plan's venue other than the default (each venue's coins are returned from it). */
  const sentToVenue = (t: custody.Transfer, at?: string) => {
    const held = atVenue.get(heldAt(t.asset, at)) ?? {
      asset: t.asset,
      ...(at === undefined ? {} : { at }),
      transfers: [],
      unsold: new Decimal(0),
    };
    held.transfers.push(t);
    held.unsold = held.unsold.plus(t.netAmount);
    atVenue.set(heldAt(t.asset, at), held);
  };

  // A held case waits for its resolution; a RESUME or AMEND runs the case again from where it stopped.
  let resume: Resume | undefined;
  for (;;) {
    try {
      if (resume?.from === 'RECONCILIATION') await closeTheBooks();
      else await runCase(reg, resume);
      const paid = [
        p.restitution ? `paid ${p.restitution.totalToVictims} CNY to ${p.restitution.payments.length} victims` : '',
        p.remittance ? `remitted ${p.remittance.amount} CNY to the treasury (receipt ${p.remittance.receiptNo})` : '',
        p.ownerReturn ? `returned ${p.ownerReturn.amount} CNY to the owner (receipt ${p.ownerReturn.receiptNo})` : '',
      ].filter(Boolean);
      await closingCheckpoints('COMPLETED');
      setStatus('COMPLETED', `${paid.join('; ')}; reconciled`);
      break;
    } catch (error) {
      const stop = asCaseStop(error, p.stage);
      // The case is stopping: its undo steps run to the end whatever else arrives.
      const returned = await CancellationScope.nonCancellable(() => returnToCustody(stop.reason));
      p.reason = returned ? `${stop.reason}; ${returned}` : stop.reason;
      clearPending();
      await closingCheckpoints(stop.status);
      setStatus(stop.status, p.reason);
      if (stop.status === 'HELD' || stop.status === 'CANCELLED') {
        await notify(stop.status === 'HELD' ? 'CASE_HELD' : 'CASE_CANCELLED', 'supervisor', `${p.caseId}: ${p.reason}`);
      }
      // Cases started before the resolution existed end HELD, as they did.
      if (stop.status !== 'HELD' || !patched('held-resolution')) break;
      resume = await resolveHold(resume);
      if (!resume) break;
    }
  }
  // Let an in-flight Update handler answer before the workflow closes.
  await condition(allHandlersFinished);
  return p;

  /**
   * The case's end is a stage change too: the chains as they stand when it closes (after any return
   * to custody), and every stage checkpoint still in flight, before the final status is shown.
   */
  async function closingCheckpoints(end: CaseStatus): Promise<void> {
    checkpointAudit(end);
    await Promise.all(stageCheckpoints);
  }

  function clearPending(): void {
    upsertSearchAttributes([
      { key: PendingDecisionKey, value: null },
      { key: PendingRoleKey, value: null },
      { key: PendingSinceKey, value: null },
    ]);
  }

  /** At a step boundary: an accepted cancellation stops the case here, in the safe state for its stage. */
  function checkpoint(): void {
    if (cancellation) throw cancelled();
  }
  function cancelled(): CaseStop {
    return new CaseStop(
      'CANCELLED',
      `cancelled at ${p.stage} by ${cancellation?.decidedBy}: ${cancellation?.reason ?? ''}`,
    );
  }

  /**
   * A wait a cancellation may cut short (polling the chain, the venue, the bank). Steps that move
   * value are never interrupted: they finish, and the next checkpoint stops the case.
   */
  async function interruptible<T>(wait: () => Promise<T>): Promise<T> {
    checkpoint();
    const scope = new CancellationScope();
    try {
      return await whileWorking(
        () => scope.run(wait),
        () => scope.cancel(),
      );
    } catch (error) {
      if (cancellation && isCancellation(error)) throw cancelled();
      throw error;
    }
  }

  /**
   * A child workflow the case did not cancel but that ended cancelled (a cancellation request sent to
   * it directly, from the Web UI or the CLI): recorded, and the child is started again (its steps are
   * keyed, so what it did already is found, not redone); a few times at most.
   */
  async function againIfCancelledFromOutside<T>(childId: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const fromOutside = !cancellation && error instanceof ChildWorkflowFailure && isCancellation(error.cause);
        if (!fromOutside || attempt >= 5) throw error;
        recordRefusal({
          via: 'cancel',
          name: childId.slice(0, 200),
          reason: 'cancel-requested',
          detail: `a cancellation request sent to ${childId} directly: not obeyed, the child is started again`,
        });
      }
    }
  }

  /** Run `work`; if the case is cancelled before it ends, `stop` it (once). */
  async function whileWorking<T>(work: () => Promise<T>, stop: () => Promise<unknown> | void): Promise<T> {
    let done = false;
    void condition(() => done || cancellation !== undefined).then(() => (done ? undefined : stop()));
    try {
      return await work();
    } finally {
      done = true;
    }
  }

  /**
   * Between two polls of something outside (custody, the venue): back off from 1 second (10 seconds in
   * cases started before the change) to 30 minutes, so what answers at once is seen at once and a wait of
   * days stays a short history; a cancellation ends the pause and stops the case.
   */
  async function pauseBeforePoll(poll: number): Promise<void> {
    const first = patched('polls-from-1s') ? 1_000 : 10_000;
    await condition(() => cancellation !== undefined, Math.min(first * 2 ** Math.min(poll, 11), 30 * 60_000));
    checkpoint();
  }

  /** Until a time something outside named (at most 30 minutes from now); a cancellation ends the pause. */
  async function pauseUntil(at: number): Promise<void> {
    await condition(() => cancellation !== undefined, Math.min(Math.max(at - Date.now(), 1), 30 * 60_000));
    checkpoint();
  }

  /**
   * Compensation: what is unsold at the venue goes back to the case wallet it came from, each asset
   * with its own keys (a retried or replayed return finds the one already made). Returns a sentence
   * for the case's reason, or undefined when nothing was at the venue.
   */
  async function returnToCustody(why: string): Promise<string | undefined> {
    if (atVenue.size === 0) return undefined;
    const said: string[] = [];
    for (const held of atVenue.values()) {
      const { asset, at } = held;
      const from = at === undefined ? 'the venue' : at;
      // Custody takes back at most what each transfer delivered; sale proceeds stay recorded at the venue.
      let unsold = held.unsold;
      const mine: CustodyReturn[] = [];
      for (const t of [...held.transfers].reverse()) {
        const amount = Decimal.min(unsold, new Decimal(t.netAmount));
        unsold = unsold.minus(amount);
        const ret: CustodyReturn = { asset, transferId: t.transferId, amount: amount.toFixed(), status: 'REQUESTED' };
        p.returns.push(ret);
        mine.push(ret);
        if (!amount.gt(0)) {
          ret.status = 'NOTHING_TO_RETURN';
          continue;
        }
        show(`returning ${ret.amount} ${asset} from ${from} to custody (${why})`);
        try {
          const account = await calls.getCustodyAccount(p.caseId, t.asset);
          const requested = await calls.requestVenueReturn(
            {
              caseId: p.caseId,
              asset: t.asset,
              chain: t.chain,
              amount: ret.amount,
              toAddress: account.address,
              transferId: t.transferId,
            },
            stepKey(workflowId, 'return', asset, t.transferId),
            ...venueArg(at),
          );
          ret.venueReturnId = requested.returnId;
          const sent = requested.txHash
            ? requested
            : await venueWaits.awaitVenueReturnSent(requested.returnId, ...venueArg(at));
          ret.txHash = sent.txHash ?? undefined;
          ret.status = 'SENT';
          const booked = await confirmations.recordCustodyReturn(
            { caseId: p.caseId, transferId: t.transferId, txHash: sent.txHash as string },
            stepKey(workflowId, 'custody-return', asset, t.transferId),
          );
          ret.custodyReturnId = booked.returnId;
          ret.received = booked.amount;
          ret.status = 'RECEIVED';
          said.push(`${booked.amount} ${asset} returned to custody (tx ${sent.txHash})`);
        } catch (error) {
          log.error('return to custody failed', { asset, error: String(error) });
          said.push(
            `the return of ${ret.amount} ${asset} to custody did not finish (${ret.status}): a person must complete it`,
          );
        }
      }
      leftover(asset, unsold, 'sale proceeds at the venue: not a transfer custody can take back', undefined, at);
      // The coin's dust under the venue's lot size was part of what went back: it is not left at the venue.
      if (mine.every((r) => r.status === 'RECEIVED' || r.status === 'NOTHING_TO_RETURN')) {
        p.leftovers = p.leftovers.filter((l) => !(l.asset === asset && l.kind === 'BELOW_LOT_STEP' && l.at === at));
      }
    }
    atVenue.clear();
    p.compensations = [];
    return said.length > 0 ? said.join('; ') : undefined;
  }

  /**
   * The case is HELD and its compensation has run: wait for two supervisors to resolve the hold
   * (HOLD_RESOLUTION, hold-resolution.ts). Returns how the case goes on (RESUME, AMEND), or undefined
   * when it was closed with the assets handed back.
   */
  async function resolveHold(previous: Resume | undefined): Promise<Resume | undefined> {
    const attempt = previous?.attempt ?? 1;
    const inCustody: Record<string, string> = {};
    for (const account of p.accounts) {
      inCustody[account.asset] = (await calls.getCustodyAccount(p.caseId, account.asset)).balance;
    }
    const options = holdOptions(p, inCustody, reg.disposal);
    const { proposed: _p, proposedBy: _b, ...shown } = options;
    const hold: HoldRecord = {
      attempt,
      stage: p.stage,
      reason: p.reason ?? '',
      since: new Date().toISOString(),
      inCustody,
      options: shown,
      transfers: p.transfers,
    };
    p.holds ??= [];
    p.holds.push(hold);
    for (;;) {
      const paths = openPaths(options);
      holdNow = options;
      const d = await awaitDecision(
        'HOLD_RESOLUTION',
        `two supervisors to resolve the hold at ${hold.stage} (${paths.join('; ') || 'no path is open: see the hold'})`,
        true,
      );
      holdNow = undefined;
      const resolution = d?.resolution;
      if (!d || !resolution) continue; // a held case has no deadline that ends it
      const given = approvals.HOLD_RESOLUTION ?? [d];
      hold.resolution = {
        ...resolution,
        approvedBy: given.map((g) => ({ decidedBy: g.decidedBy, reason: g.reason ?? '', decidedAt: g.decidedAt })),
      };
      const by = given.map((g) => g.decidedBy).join(' and ');
      if (resolution.path === 'RESUME' || resolution.path === 'AMEND') {
        const reusePlan = resolution.path === 'RESUME' && (hold.stage === 'TRANSFER' || hold.stage === 'SALE');
        // Past the sale the case goes on with the money it has: its records stay, and so do its steps' keys.
        const pastTheSale = resolution.path === 'RESUME' && !BEFORE_THE_SALE.includes(hold.stage);
        hold.resolution.outcome =
          resolution.path === 'AMEND'
            ? `the amended plan goes to DISPOSAL_PLAN for approval (attempt ${attempt + 1})`
            : hold.stage === 'RECONCILIATION'
              ? `the closing reconciliation runs again on the corrected books (attempt ${attempt + 1})`
              : `resumed at ${hold.stage}${reusePlan ? ' under the disposal plan already approved' : ''} (attempt ${attempt + 1})`;
        show(`${describe(resolution)} approved by ${by}: ${hold.resolution.outcome}`);
        p.reason = undefined;
        if (!pastTheSale) {
          p.transfers = [];
          p.routes = [];
        }
        const keys = pastTheSale ? previous?.keys : attempt + 1;
        return {
          attempt: attempt + 1,
          ...(keys !== undefined ? { keys } : {}),
          from: hold.stage,
          reusePlan,
          ...(resolution.path === 'AMEND' ? { amend: resolution.dispose } : {}),
        };
      }
      // CLOSE to the OWNER: every unit goes to the owner's addresses first (custody checks the two approvals).
      if (resolution.handBackTo === 'OWNER') {
        const { owner } = resolution;
        hold.handBack ??= { courtOrder: owner.courtOrder, name: owner.name, transfers: [] };
        show(`${describe(resolution)} approved by ${by}: handing the assets back`);
        const refused = await handBackToOwner(
          { caseId: p.caseId, workflowId, hold: p.holds.length, owner, approvals: given },
          hold.handBack,
        );
        if (refused) {
          const sent = hold.handBack.transfers.filter((t) => t.status !== 'FAILED');
          const gone = sent.map((t) => `${t.netAmount} ${t.asset}`);
          if (gone.length > 0) for (const o of [options, hold.options]) partlyHandedBack(o, gone);
          hold.resolution.outcome = `not closed: ${refused}`;
          setStatus('HELD', `${describe(resolution)} by ${by}: ${hold.resolution.outcome}`);
          continue;
        }
      }
      // CLOSE: the assets stay in the case wallet, or went to the owner; the closing reconciliation must accept that end.
      enter(
        'RECONCILIATION',
        resolution.handBackTo === 'OWNER'
          ? 'closing the held case: checking that every unit went back to the owner'
          : 'closing the held case: checking that every unit is back in custody',
      );
      const { stablecoin, fiat } = reg.disposal;
      p.reconciliation = await reconcileCase({ p, caseId: p.caseId, stablecoin, fiat }, 'closing');
      if (!p.reconciliation.ok) {
        const failed = p.reconciliation.checks.filter((c) => !c.pass);
        hold.resolution.outcome = `not closed: the reconciliation does not accept it (${failed.map((c) => c.name).join('; ')})`;
        setStatus('HELD', `${describe(resolution)} by ${by}: ${hold.resolution.outcome}`);
        continue;
      }
      const kept = Object.entries(inCustody)
        .filter(([, a]) => new Decimal(a).gt(0))
        .map(([asset, a]) => `${a} ${asset}`);
      hold.resolution.outcome = hold.handBack
        ? `closed: ${hold.handBack.transfers.map((t) => `${t.netAmount} ${t.asset} to ${t.toAddress} (tx ${t.txHash}, fee ${t.fee})`).join(', ')} handed back to ${hold.handBack.name} on ${hold.handBack.courtOrder}; reconciled`
        : `closed with ${kept.join(', ') || 'nothing'} in the case wallet; reconciled`;
      await closingCheckpoints('CLOSED');
      setStatus('CLOSED', `${describe(resolution)} approved by ${by}: ${hold.resolution.outcome}`);
      return undefined;
    }
  }

  /**
   * Value left at the venue, with why (and how the exchange service books it: case-residuals.ts settles it);
   * `at`: a sale plan's venue other than the default.
   */
  function leftover(asset: string, amount: Decimal, reason: string, kind?: exchange.ResidualReason, at?: string): void {
    if (amount.gt(0))
      p.leftovers.push({
        asset,
        amount: amount.toFixed(),
        where: 'venue',
        reason,
        ...(kind ? { kind } : {}),
        ...(at === undefined ? {} : { at }),
      });
  }

  /**
   * Wait for a person, with the stage's reminder, escalation and deadline (wait-policy.ts). Returns
   * the decision, or `undefined` when the final deadline passed first. A cancellation ends the wait.
   */
  async function awaitDecision(
    stage: Exclude<DecisionStage, 'CANCELLATION'>,
    what: string,
    /** A held case waits in HELD, and past its deadline (it is told, never resolved by default). */
    held = false,
  ): Promise<Decision | undefined> {
    const times = resolveWait(stage, reg.deadlines?.waits, reg.deadlines?.decisionDays);
    const since = Date.now(); // workflow time: deterministic
    const at = (ms: number) => new Date(since + ms).toISOString();
    const role = ROLE_FOR_STAGE[stage];
    const escalateTo = ESCALATION_ROLE[role];
    // A stage can be waited on again (the FX declaration after a resubmission): only a new decision counts.
    delete accepted[stage];
    delete approvals[stage];
    const pending = {
      stage,
      what,
      role,
      escalateTo,
      since: at(0),
      remindAt: at(times.remindMs),
      escalateAt: at(times.escalateMs),
      deadline: at(times.deadlineMs),
    };
    p.awaiting = { ...pending };
    upsertSearchAttributes([
      { key: PendingDecisionKey, value: stage },
      { key: PendingRoleKey, value: role },
      { key: PendingSinceKey, value: new Date(since) },
    ]);
    setStatus(
      held ? 'HELD' : 'AWAITING_DECISION',
      `waiting for ${what} (${stage}, a ${role}) until ${pending.deadline}`,
    );
    const over = () => accepted[stage] !== undefined || cancellation !== undefined;
    const until = async (ms: number) => over() || (await condition(over, Math.max(1, ms - (Date.now() - since))));
    if (!(await until(times.remindMs))) {
      if (p.awaiting) p.awaiting.reminded = new Date().toISOString();
      await notify('REMINDER', role, `${p.caseId} waits for ${what}; deadline ${pending.deadline}`, {
        stage,
        deadline: pending.deadline,
      });
    }
    if (!(await until(times.escalateMs))) {
      if (p.awaiting) p.awaiting.escalated = new Date().toISOString();
      await notify(
        'ESCALATION',
        escalateTo,
        `${p.caseId} has waited since ${pending.since} for ${what} (a ${role}); deadline ${pending.deadline}`,
        { stage, deadline: pending.deadline },
      );
    }
    let decided = await until(times.deadlineMs);
    if (!decided && held) {
      await notify(
        'DEADLINE_PASSED',
        escalateTo,
        `${p.caseId} is still held: nobody resolved it by ${pending.deadline}`,
        {
          stage,
          deadline: pending.deadline,
        },
      );
      await condition(over);
      decided = true;
    }
    p.awaiting = undefined;
    clearPending();
    checkpoint();
    // A decision accepted in the same moment the deadline fired was answered as accepted: it stands.
    const d = accepted[stage];
    if (!decided || !d) {
      await notify('DEADLINE_PASSED', escalateTo, `${p.caseId}: nobody decided ${stage} by ${pending.deadline}`, {
        stage,
        deadline: pending.deadline,
      });
      return undefined;
    }
    setStatus('RUNNING', `${stage} ${d.outcome} by ${d.decidedBy}`);
    return d;
  }

  async function runCase(reg: CaseRegistration, resume?: Resume): Promise<void> {
    const caseId = reg.caseId;
    // A case resumed before the sale does the disposal again: its steps get keys of their own (the first
    // attempt's stand); one resumed past the sale keeps the keys of the attempt that sold.
    const key = (...step: string[]) =>
      resume?.keys ? stepKey(workflowId, `attempt-${resume.keys}`, ...step) : stepKey(workflowId, ...step);
    /** Resumed past the sale: the coins are sold; the case goes on with the money where it stopped. */
    const pastTheSale = resume !== undefined && goesOnWithTheMoney(resume.from);
    const assets = assetsOf(reg);
    /** An amended plan: what of each asset is disposed of (the rest stays in custody). */
    const amended = resume?.amend ? new Map(resume.amend.map((l) => [l.asset, new Decimal(l.amount)])) : undefined;
    const disposing = amended ? assets.filter((a) => amended.has(a)) : assets;
    const { stablecoin, fiat } = reg.disposal;
    const deadlineWords = (stage: Exclude<DecisionStage, 'CANCELLATION'>) => {
      const { deadlineMs } = resolveWait(stage, reg.deadlines?.waits, reg.deadlines?.decisionDays);
      return deadlineMs % 86_400_000 === 0 ? `${deadlineMs / 86_400_000} days` : `${deadlineMs / 3_600_000} hours`;
    };

    /**
     * What the disposal plan's approval lets leave the case's wallets: every asset custody holds for
     * the case, at most its balance, to the plan's venue, under the approval policy's verdict on that
     * value (at the exchange's reference prices and the day's CNY rate). The approvers sign exactly this.
     */
    async function askForAuthorisation(): Promise<void> {
      const holdings: Array<{ asset: custody.CustodyAccount['asset']; amount: Decimal }> = [];
      for (const asset of disposing) {
        const account = await calls.getCustodyAccount(caseId, asset);
        const planned = amended?.get(asset);
        const amount = planned ? Decimal.min(planned, account.balance) : new Decimal(account.balance);
        if (amount.gt(0)) holdings.push({ asset, amount });
      }
      if (holdings.length === 0) throw new CaseStop('HELD', 'custody holds nothing for the case');
      const usdCny = await calls.getIndicativeCnyRate('USD');
      const lines = [];
      let valueCny = new Decimal(0);
      for (const h of holdings) {
        // The stablecoin is valued at par with the dollar; other coins at the exchange's reference price in it.
        const priceUsd =
          h.asset === stablecoin
            ? new Decimal(1)
            : new Decimal((await calls.getValuationPrice(h.asset, stablecoin)).price);
        // Each line to the fen, toward zero; the value is the sum of the lines, so they always add up.
        const cny = h.amount.times(priceUsd).times(usdCny.rate).toDecimalPlaces(2, Decimal.ROUND_DOWN);
        valueCny = valueCny.plus(cny);
        lines.push({
          asset: h.asset,
          amount: h.amount.toFixed(),
          priceUsd: priceUsd.toFixed(),
          valueCny: cny.toFixed(2),
        });
      }
      disposalVerdict = evaluateApprovalPolicy(APPROVAL_POLICY, valueCny);
      // The declared amounts may already ask for more people (QUORUM_THRESHOLDS); the larger quorum holds.
      disposalQuorum = Math.max(disposalQuorum, disposalVerdict.approvals);
      p.valuation = { usdCny: usdCny.rate, rateDate: usdCny.date, lines, valueCny: valueCny.toFixed(2) };
      p.authorisationRequested = {
        caseId,
        venue: reg.disposal.venue,
        assets: holdings.map((h) => ({ asset: h.asset, maxAmount: h.amount.toFixed() })),
        policy: { ...disposalVerdict, approvals: disposalQuorum },
      };
      // Sold by sale plans: the approval names every place a leg may deliver to, the other venues and
      // the desks in good standing in the register now (custody sends to no other).
      if (sellsByPlan(reg.disposal) && patched('sale-plan-legs')) {
        const others = plannedVenues(reg.disposal).filter((v) => v !== reg.disposal.venue);
        if (reg.disposal.desks) others.push(...(await calls.listDesks()).filter((d) => !others.includes(d)));
        if (others.length > 0) p.authorisationRequested.venues = others.slice(0, 10);
      }
    }

    // 1. INTAKE (a case resumed at INTAKE asks again about the intakes it recorded)
    if (!resume) {
      enter('INTAKE', `opening custody accounts for ${assets.join(', ')}`);
      for (const asset of assets) {
        p.accounts.push(
          await calls.openCustodyAccount({ caseId, asset, chain: common.CHAIN_OF_ASSET[asset] }, key('account', asset)),
        );
      }
      await (reg.manifest ? recordManifestIntakes(reg.manifest) : recordIntakes());
    }
    const discrepancies = p.intakes.filter((i) => i.status === 'DISCREPANCY');
    if (discrepancies.length > 0 && (!resume || resume.from === 'INTAKE')) {
      const listed = discrepancies
        .slice(0, 5)
        .map((i) => `lot ${i.lotId} declared ${i.declaredAmount} ${i.asset}, received ${i.receivedAmount}`);
      const found = [...listed, ...(discrepancies.length > 5 ? [`${discrepancies.length - 5} more lots`] : [])].join(
        '; ',
      );
      const ruling = await awaitDecision(
        'INTAKE_DISCREPANCY',
        `a supervisor to accept the received amounts or hold the case (${found})`,
      );
      if (!ruling || ruling.outcome === 'REJECT') {
        throw new CaseStop(
          'HELD',
          `intake discrepancy: ${found}; ${ruling ? `held by ${ruling.decidedBy}: ${ruling.reason ?? ''}` : `no ruling within ${deadlineWords('INTAKE_DISCREPANCY')}`}; the coins stay in custody`,
        );
      }
      show(`${ruling.decidedBy} accepted the received amounts (${found})`);
      await awaitFinalReceipts(discrepancies);
    }

    // 2. AUTHORISATION, judged on what custody verified it received, at the reference prices of now.
    // A case resumed at TRANSFER or SALE goes on under the plan already approved (custody checks it again).
    if (!resume?.reusePlan && !pastTheSale) await authorise();
    async function authorise(): Promise<void> {
      checkpoint();
      enter(
        'AUTHORISATION',
        amended
          ? 'valuing the amended plan for the approval policy'
          : 'valuing the verified intake for the approval policy',
      );
      await askForAuthorisation();
      enter(
        'AUTHORISATION',
        `waiting for the ${amended ? 'amended ' : ''}disposal plan's approval (${disposalVerdict?.tier}: ${disposalQuorum} approver(s), ${disposalVerdict?.units} unit(s)${disposalVerdict?.senior ? ', a senior supervisor' : ''})`,
      );
      const plan = await awaitDecision('DISPOSAL_PLAN', 'a supervisor to approve the disposal plan');
      if (!plan) {
        throw new CaseStop(
          'HELD',
          `no decision on the disposal plan within ${deadlineWords('DISPOSAL_PLAN')}; the assets stay in custody`,
        );
      }
      // Every approval that made the quorum: each signed the same authorisation, and custody counts them again.
      planApprovals = plan.outcome === 'APPROVE' ? [...(approvals.DISPOSAL_PLAN ?? [plan])] : [];
      if (plan.outcome === 'REJECT') {
        throw new CaseStop(
          'REJECTED',
          `disposal plan rejected by ${plan.decidedBy}: ${plan.reason ?? 'no reason given'}; the assets stay in custody`,
        );
      }
    }

    /**
     * Every lot's intake, in batches run as child workflows a few at a time (intake-workflow.ts), so a
     * case of thousands of lots keeps every history short. The status keeps each intake while the
     * case is small, and only the discrepancies (with counts) when it is large.
     */
    async function recordIntakes(): Promise<void> {
      const batches: Lot[][] = [];
      for (let i = 0; i < reg.lots.length; i += LOTS_PER_BATCH) batches.push(reg.lots.slice(i, i + LOTS_PER_BATCH));
      const progress = {
        lots: reg.lots.length,
        recorded: 0,
        discrepancies: 0,
        batches: batches.length,
        batchesDone: 0,
      };
      p.intakeProgress = progress;
      const results: custody.Intake[][] = new Array(batches.length);
      let next = 0;
      const runBatches = async (): Promise<void> => {
        while (next < batches.length) {
          const b = next++;
          const lots = batches[b] as Lot[];
          checkpoint();
          const batch = b + 1;
          const childId = `${workflowId}/intake/${batch}`;
          const done = await interruptible(() =>
            againIfCancelledFromOutside(childId, () =>
              executeChild(intakeBatchWorkflow, {
                workflowId: childId,
                args: [{ caseWorkflowId: workflowId, caseId, batch, lots }],
                staticSummary: `${caseId}: intake of lots ${lots[0]?.lotId} to ${lots[lots.length - 1]?.lotId} (batch ${batch} of ${batches.length})`,
              }),
            ),
          );
          results[b] = done.intakes;
          progress.batchesDone += 1;
          progress.recorded += done.intakes.length;
          progress.discrepancies += done.intakes.filter((i) => i.status === 'DISCREPANCY').length;
          show(
            `intake: ${progress.recorded} of ${progress.lots} lots recorded (${progress.discrepancies} with a discrepancy)`,
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCHES_AT_ONCE, batches.length) }, runBatches));
      const intakes = results.flat();
      p.intakes = reg.lots.length <= LOTS_PER_BATCH ? intakes : intakes.filter((i) => i.status === 'DISCREPANCY');
    }

    /**
     * A case registered by a lot manifest (lot-manifest.ts): its pages split into a few parts, each a
     * child workflow reading its pages by an activity and continuing as new before its history grows
     * long (intake-manifest-workflow.ts). The case keeps the parts' summaries only — a few events per
     * part in its history whatever the number of lots — and holds unless they reconcile exactly with
     * the sealed manifest: every lot, and each asset's declared total to the last decimal.
     */
    async function recordManifestIntakes(manifest: LotManifestRef): Promise<void> {
      const pages = pageCount(manifest.lots);
      const parts = Math.min(BATCHES_AT_ONCE, pages);
      const progress = { lots: manifest.lots, recorded: 0, discrepancies: 0, batches: parts, batchesDone: 0 };
      p.intakeProgress = progress;
      const summaries = await Promise.all(
        Array.from({ length: parts }, async (_, i) => {
          const part = i + 1;
          const firstPage = Math.floor((pages * i) / parts);
          const endPage = Math.floor((pages * (i + 1)) / parts);
          const childId = `${workflowId}/intake-manifest/${part}`;
          checkpoint();
          const done = await interruptible(() =>
            againIfCancelledFromOutside(childId, () =>
              executeChild(intakeManifestWorkflow, {
                workflowId: childId,
                args: [
                  {
                    caseWorkflowId: workflowId,
                    caseId,
                    manifestId: manifest.manifestId,
                    part,
                    firstPage,
                    endPage,
                    pageSize: MANIFEST_PAGE_SIZE,
                  },
                ],
                staticSummary: `${caseId}: intake of manifest pages ${firstPage + 1} to ${endPage} (part ${part} of ${parts})`,
              }),
            ),
          );
          progress.batchesDone += 1;
          progress.recorded += done.lots;
          progress.discrepancies += done.discrepancies;
          show(
            `intake: ${progress.recorded} of ${progress.lots} lots recorded (${progress.discrepancies} with a discrepancy)`,
          );
          return done;
        }),
      );
      const { totals, differences } = reconcileManifestIntake(manifest, summaries);
      p.manifest = { ...manifest, intake: totals };
      if (differences.length > 0) {
        throw new CaseStop(
          'HELD',
          `the intake does not reconcile with lot manifest ${manifest.manifestId}: ${differences.join('; ')}; the coins stay in custody`,
        );
      }
      p.intakes = summaries.flatMap((s) => s.discrepancyIntakes);
      if (progress.discrepancies > p.intakes.length) {
        // One ruling must see every lot it accepts, and the status must stay small: so many are for custody first.
        throw new CaseStop(
          'HELD',
          `intake: ${progress.discrepancies} lots of the manifest differ from their declaration, more than one ruling lists (${p.intakes.length}); the coins stay in custody`,
        );
      }
    }

    /**
     * A difference at intake is classified (e.g. the sweep's network fee) and countersigned at custody
     * by the handing-over officer and the custodian; only then is the receipt final and the coins may
     * move. Waited for durably, one intake at a time, polling back off to 30 minutes; held after 14 days.
     */
    async function awaitFinalReceipts(intakes: custody.Intake[]): Promise<void> {
      const started = Date.now();
      const open = intakes.filter((i) => i.final === false);
      for (const [n, intake] of open.entries()) {
        show(
          `waiting for custody to classify and countersign the difference of lot ${intake.lotId} (${n + 1} of ${open.length}) before the receipt is final`,
        );
        for (let poll = 0; ; poll++) {
          const now = await interruptible(() => calls.getIntake(intake.intakeId));
          const at = p.intakes.findIndex((i) => i.intakeId === now.intakeId);
          if (at >= 0) p.intakes[at] = now;
          if (now.final) break;
          if (Date.now() - started >= FINAL_RECEIPT_LIMIT_MS) {
            throw new CaseStop(
              'HELD',
              `the difference of lot ${intake.lotId} was not classified and countersigned within 14 days; the coins stay in custody`,
            );
          }
          await pauseBeforePoll(poll);
        }
      }
    }

    const withdrawal = pastTheSale ? await withdrawalOnResume() : await sellAndWithdraw();

    /** A case resumed past the sale: the withdrawal it asked for, waited for again if it had not arrived. */
    async function withdrawalOnResume(): Promise<exchange.VenueWithdrawal> {
      let w = p.withdrawal;
      if (!w) throw new CaseStop('HELD', 'the case was resumed past the sale, but it holds no withdrawal');
      if (w.status !== 'COMPLETED') {
        const withdrawalId = w.withdrawalId;
        enter(
          'WITHDRAWAL',
          `waiting again for withdrawal ${withdrawalId} to reach ${reg.disposal.offshoreBankAccountId}`,
        );
        w = await interruptible(() => withdrawalWaits().awaitWithdrawalCompleted(withdrawalId));
        p.withdrawal = w;
      }
      if (!new Decimal(w.netAmount).gt(0))
        throw new CaseStop('HELD', `the withdrawal ${w.withdrawalId} brought nothing after fees`);
      return w;
    }

    /** TRANSFER, SALE, WITHDRAWAL: the coins to the venue, sold, and the fiat to the offshore account. */
    async function sellAndWithdraw(): Promise<exchange.VenueWithdrawal> {
      /** What the sale stage (case-sale.ts) works with: the case's state, its keys, its waits, its stop. */
      const saleContext = (): SaleStageContext => ({
        p,
        caseId,
        disposal: reg.disposal,
        atVenue,
        key,
        show,
        leftover,
        checkpoint,
        whileWorking,
        awaitDecision,
        deadlineWords,
        stopReason: () => cancellation?.reason ?? 'case cancelled',
      });
      // Resumed at SALE after part of the coins was sold: those proceeds wait at the venue and go on with the rest.
      const carried = proceedsAtVenue(resume?.from === 'SALE' ? p.sales : [], stablecoin, fiat);
      const carriesProceeds = carried.stable.gt(0) || carried.fiat.gt(0);
      // A disposal plan that names venues or asks for the desks sells each lot by a kept sale plan, its
      // legs to a desk and to each venue (issue 16); without either, the case sells on its one venue as before.
      const byPlan = sellsByPlan(reg.disposal) && patched('sale-plan-legs');
      // 3. TRANSFER: the whole custody balance of each asset to the venue's whitelisted deposit address.
      checkpoint();
      enter(
        'TRANSFER',
        byPlan
          ? `planning the sale of ${disposing.join(', ')} and moving each part to its desk or venue`
          : `moving ${disposing.join(', ')} from custody to ${reg.disposal.venue}`,
      );
      for (const asset of disposing) {
        checkpoint();
        // Everything of it was sold before the hold: nothing to send, its proceeds are carried.
        if (carriesProceeds && !new Decimal((await calls.getCustodyAccount(caseId, asset)).balance).gt(0)) continue;
        if (byPlan) await transferByPlan(asset);
        else await moveToVenue(asset);
      }

      /**
       * The coin to a venue's whitelisted deposit address: all of the custody balance (a case without sale
       * plans; a plan's last venue leg), or at most a plan's part for the venue (`planned.amount`).
       */
      async function moveToVenue(
        asset: (typeof disposing)[number],
        planned?: { venue: string; amount?: Decimal },
      ): Promise<AssetTransfer> {
        const chain = common.CHAIN_OF_ASSET[asset];
        const at = planned ? atOf(planned.venue) : undefined;
        const depositAddress = await calls.getDepositAddress(asset, chain, ...venueArg(at));
        const leg: AssetTransfer = { asset, depositAddress, ...(at === undefined ? {} : { at }) };
        p.transfers.push(leg);
        leg.whitelistEntry = await awaitWhitelisted(asset, chain, depositAddress.address, planned?.venue);
        /** What may leave for this venue now: the allowance, and within a plan's part what is left of it. */
        const most = (balance: string, sent?: string) => {
          const allowed = allowance(asset, balance, sent);
          return planned?.amount ? Decimal.min(allowed, planned.amount.minus(sent ?? 0)) : allowed;
        };
        // The first transfer to a new address is a small test deposit, confirmed and credited before the bulk.
        const requirement = await calls.getTestDepositRequirement({ chain, address: depositAddress.address, asset });
        if (requirement.required) {
          const account = await calls.getCustodyAccount(caseId, asset);
          const amount = Decimal.min(requirement.maxAmount, account.balance, most(account.balance));
          if (!amount.gt(0)) throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
          leg.testTransfer = await sendToVenue(leg, amount, 'TEST_DEPOSIT');
          leg.testDeposit = await venueCredit(leg, leg.testTransfer);
          if (!new Decimal(leg.testDeposit.amount).eq(leg.testTransfer.netAmount)) {
            throw new CaseStop(
              'HELD',
              `the venue credited ${leg.testDeposit.amount} ${asset} for a test deposit of ${leg.testTransfer.netAmount}: the bulk transfer waits for a person`,
            );
          }
        }
        const account = await calls.getCustodyAccount(caseId, asset);
        const bulk = Decimal.min(account.balance, most(account.balance, leg.testTransfer?.amount));
        if (bulk.gt(0)) {
          leg.transfer = await sendToVenue(leg, bulk, 'VENUE_DEPOSIT');
          leg.deposit = await venueCredit(leg, leg.transfer);
        } else if (!leg.testDeposit) {
          throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
        }
        leg.credited = sum([leg.testDeposit?.amount ?? '0', leg.deposit?.amount ?? '0']).toFixed();
        const held = atVenue.get(heldAt(asset, at));
        if (held) held.unsold = new Decimal(leg.credited);
        return leg;
      }

      /**
       * A coin by its sale plan: the plan asked for on what custody holds of it; each venue's part but the
       * last; the desk's block, delivered and settled (its amount is fixed by the trade, and the transfers
       * before it told the chain's fee); then the last venue takes whatever is left (so what network fees
       * took comes off the engine's part, never the desk's). The stablecoin has no plan: it goes to the
       * first venue, sold there for fiat.
       */
      async function transferByPlan(asset: (typeof disposing)[number]): Promise<void> {
        const venues = plannedVenues(reg.disposal);
        if (asset !== 'BTC' && asset !== 'ETH') {
          await moveToVenue(asset, { venue: venues[0] as string });
          return;
        }
        const account = await calls.getCustodyAccount(caseId, asset);
        const available = Decimal.min(account.balance, allowance(asset, account.balance));
        if (!available.gt(0)) throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
        // A desk is paid for exactly its block, and the network fees of its delivery (a test deposit to a new
        // address, then the rest) come on top: the lot offered leaves room for them, or a desk taking the
        // whole lot could never be delivered. What a delivery did not spend goes with the last venue's part.
        let deskFee: string | undefined;
        let lot = available;
        if (reg.disposal.desks) {
          deskFee = (await calls.getNetworkFee({ chain: common.CHAIN_OF_ASSET[asset], asset })).fee;
          lot = available.minus(new Decimal(deskFee).mul(2));
          if (!lot.gt(0)) {
            throw new CaseStop(
              'HELD',
              `the case's ${available.toFixed()} ${asset} do not cover the network fees of a desk's delivery (2 x ${deskFee}): nothing was sold, a person decides`,
            );
          }
          show(
            `${asset}: ${lot.toFixed()} offered for sale, ${available.minus(lot).toFixed()} kept for the network fees of a desk's delivery`,
          );
        }
        const plan = await planLot({ p, caseId, key, show, disposal: reg.disposal }, asset, lot);
        const venueLegs = plan.legs.flatMap((l) => (l.kind === 'VENUE' ? [l] : []));
        const toVenue = async (leg: (typeof venueLegs)[number], last: boolean) => {
          checkpoint();
          const moved = await moveToVenue(asset, {
            venue: leg.venue,
            ...(last ? {} : { amount: new Decimal(leg.amount) }),
          });
          leg.status = 'AT_VENUE';
          leg.delivered = moved.credited;
        };
        for (const leg of venueLegs.slice(0, -1)) await toVenue(leg, false);
        for (const leg of plan.legs) {
          if (leg.kind !== 'DESK') continue;
          checkpoint();
          await deliverToDesk(asset, leg, deskFee);
        }
        const last = venueLegs[venueLegs.length - 1];
        if (last) await toVenue(last, true);
        else if (deskFee) {
          // The desk took the whole lot and its address was proven: one fee of the two kept was not spent.
          // Worth no more than a transfer of it costs, it stays in the case wallet (custody's balance, reconciled).
          const left = (await calls.getCustodyAccount(caseId, asset)).balance;
          if (new Decimal(left).gt(0))
            show(`${left} ${asset} stays in the case wallet: not above a transfer's network fee`);
        }
      }

      /**
       * A desk's block (the RFQ's trade the plan took): the coins to the desk's whitelisted address (with
       * the plan's signed approvals), exactly the trade's amount after the network fees (one transaction,
       * or custody's test deposit to a new address and the rest),
       * then the trade settled: the desk is told the transaction and pays the offshore account. Not
       * interrupted once a coin has left (a trade half delivered is nobody's safe state), and nothing of it
       * comes back on a stop: the desk bought it.
       */
      async function deliverToDesk(
        asset: 'BTC' | 'ETH',
        leg: SaleLegProgress & { kind: 'DESK' },
        quotedFee?: string,
      ): Promise<void> {
        const rfq = await calls.getRfq(leg.rfqId);
        const trade = rfq.trade;
        if (
          rfq.caseId !== caseId ||
          rfq.outcome !== 'TRADED' ||
          !trade ||
          trade.desk !== leg.desk ||
          trade.deliverTo.asset !== asset ||
          !new Decimal(trade.amount).eq(leg.amount) ||
          trade.currency !== fiat
        ) {
          throw new CaseStop(
            'HELD',
            `the RFQ ${leg.rfqId} is not the plan's trade of ${leg.amount} ${asset} with ${leg.desk} for ${fiat} (${rfq.outcome}); nothing was sent to a desk, a person must look`,
          );
        }
        // The desk pays the offshore account and FX declares it: a payment in fractions of a cent could be neither.
        if (!fitsScale(trade.cost, fiat)) {
          throw new CaseStop(
            'HELD',
            `${trade.desk}'s trade ${trade.tradeId} costs ${trade.cost} ${fiat}, not a whole number of the currency's smallest unit: nothing was sent to the desk, a person must look`,
          );
        }
        const chain = common.CHAIN_OF_ASSET[asset];
        const address = trade.deliverTo.address;
        show(`delivering ${trade.amount} ${asset} to ${trade.desk} (RFQ ${leg.rfqId}) at ${address}`);
        await awaitWhitelisted(asset, chain, address, trade.desk);
        const owed = new Decimal(trade.amount);
        const sent: custody.Transfer[] = [];
        leg.transfers = sent;
        const send = async (amount: Decimal, purpose: 'TEST_DEPOSIT' | 'VENUE_DEPOSIT', step: string) => {
          const transfer = await calls.requestTransfer(
            { caseId, asset, chain, toAddress: address, amount: amount.toFixed(), purpose, approvals: planApprovals },
            key('desk-delivery', leg.rfqId, step),
          );
          if (transfer.status === 'FAILED') {
            throw new CaseStop(
              'HELD',
              `the chain refused transfer ${transfer.transferId} of ${asset} to ${trade.desk}`,
            );
          }
          sent.push(transfer);
          await CancellationScope.nonCancellable(() => confirmations.awaitTransferConfirmed(transfer.transferId));
          return transfer;
        };
        // Custody sends nothing to a new address before a confirmed test deposit: it is the delivery's first
        // part, and the rest makes up the trade's amount (the desk pays for both transactions together).
        const requirement = await calls.getTestDepositRequirement({ chain, address, asset });
        const test = requirement.required
          ? await send(Decimal.min(requirement.maxAmount, owed), 'TEST_DEPOSIT', 'test')
          : undefined;
        const rest = owed.minus(test?.netAmount ?? 0);
        // One transfer carries the rest: custody takes the chain's fee out of it, the fee it last charged for the coin.
        const fee = lastNetworkFee(asset, sent) ?? quotedFee;
        if (fee === undefined) {
          throw new CaseStop(
            'HELD',
            `the network fee of a ${asset} transfer is not known before the case's first one, and ${trade.desk} takes the block only as exactly ${trade.amount}: nothing was sent to the desk, a person must look`,
          );
        }
        // A test deposit that carried the whole block (a fee-free chain) leaves nothing to send.
        const block = rest.gt(0) || !test ? await send(rest.plus(fee), 'VENUE_DEPOSIT', 'block') : undefined;
        const delivered = new Decimal(block?.netAmount ?? 0).plus(test?.netAmount ?? 0);
        if (!delivered.eq(owed)) {
          throw new CaseStop(
            'HELD',
            `${delivered.toFixed()} ${asset} reached ${trade.desk} in transfers ${sent.map((t) => t.transferId).join(', ')} for a trade of ${owed.toFixed()} (the fee was ${block?.fee}, not ${fee}): a person must settle the difference`,
          );
        }
        leg.status = 'DELIVERED';
        leg.delivered = delivered.toFixed();
        // The desk is told the last transaction, and the test deposit before it when there were two.
        const last = block ?? (test as custody.Transfer);
        const before = block && test ? test : undefined;
        const settlement = await calls.settleDeskTrade(
          leg.rfqId,
          {
            caseId,
            txHash: last.txHash,
            ...(before?.txHash ? { testTxHash: before.txHash } : {}),
            bankAccountId: reg.disposal.offshoreBankAccountId,
          },
          key('desk-settlement', leg.rfqId),
        );
        if (!new Decimal(settlement.paidAmount).eq(trade.cost) || settlement.fiatCurrency !== fiat) {
          throw new CaseStop(
            'HELD',
            `${trade.desk} paid ${settlement.paidAmount} ${settlement.fiatCurrency} for trade ${trade.tradeId} of ${trade.cost} ${fiat}: a person must look`,
          );
        }
        p.deskSettlements = [...(p.deskSettlements ?? []), settlement];
        leg.status = 'SETTLED';
        leg.paid = settlement.paidAmount;
        show(
          `${trade.desk} paid ${settlement.paidAmount} ${fiat} for ${trade.amount} ${asset} (reference ${settlement.paymentReference})`,
        );
      }

      /** The network fee custody last charged for the coin in this case (a flat fee per transaction), if any. */
      function lastNetworkFee(asset: string, toDesk: readonly custody.Transfer[]): string | undefined {
        const fees = [
          ...p.transfers.filter((t) => t.asset === asset).flatMap((t) => [t.testTransfer?.fee, t.transfer?.fee]),
          ...toDesk.map((t) => t.fee),
        ].filter((f): f is string => f !== undefined);
        return fees[fees.length - 1];
      }

      /**
       * What an amended plan lets go of `asset`: the plan's amount is the most that is ever out of the case
       * wallet, as custody counts it (every transfer, less what came back), so what earlier attempts lost to
       * fees, and a test transfer already sent, come off it. The balance otherwise.
       */
      function allowance(asset: string, balance: string, sent = '0'): Decimal {
        const planned = amended?.get(asset);
        if (!planned) return new Decimal(balance);
        const earlier = (p.holds ?? []).flatMap((h) => h.transfers ?? []).filter((l) => l.asset === asset);
        const out = sum(earlier.flatMap((l) => [l.testTransfer?.amount ?? '0', l.transfer?.amount ?? '0']));
        const back = sum(p.returns.filter((r) => r.asset === asset).map((r) => r.received ?? '0'));
        return Decimal.max(planned.minus(out.minus(back)).minus(sent), 0);
      }

      /**
       * Coins go only to an ACTIVE whitelist entry of the plan's venue. Custodians put the venue's deposit
       * address on the whitelist (one requests, two others approve, then the cooling-off): the case does
       * not request it itself, it tells the custodians and waits, polling with back-off.
       */
      async function awaitWhitelisted(
        asset: string,
        chain: string,
        address: string,
        venue: string = reg.disposal.venue,
      ): Promise<custody.WhitelistEntry> {
        for (let poll = 0; ; poll++) {
          const { entries } = await calls.findWhitelistEntries({ chain, address });
          const entry = entries.find((e) => e.status === 'ACTIVE' && e.venue === venue);
          if (entry) {
            p.awaitingWhitelist = undefined;
            return entry;
          }
          const pending = entries.find((e) => e.status === 'PENDING_APPROVAL' || e.status === 'COOLING_OFF');
          p.awaitingWhitelist = {
            asset,
            chain,
            address,
            venue,
            ...(pending ? { entryId: pending.entryId, status: pending.status } : {}),
          };
          if (poll === 0) {
            show(`waiting for custodians to whitelist ${venue}'s ${asset} deposit address ${address}`);
            await notify(
              'REMINDER',
              'custodian',
              `${p.caseId}: ${venue}'s ${asset} deposit address ${address} (${chain}) must be whitelisted before the coins can move: one custodian requests it, two others approve`,
              { stage: 'WHITELIST' },
            );
          } else if (pending) {
            show(`waiting for whitelist entry ${pending.entryId} (${pending.status}) of ${address} to become ACTIVE`);
          }
          // An approved entry says when its cooling-off ends: look again just after, not at the next back-off
          // (a time already past, custody's clock behind ours, goes back to the back-off).
          const activeFrom =
            pending?.status === 'COOLING_OFF' && pending.activeFrom ? Date.parse(pending.activeFrom) : Number.NaN;
          if (activeFrom > Date.now() && patched('whitelist-waits-for-active-from')) {
            await pauseUntil(activeFrom + 500);
          } else {
            await pauseBeforePoll(poll);
          }
        }
      }

      /** One transfer from the case wallet to the venue; from here a stop brings the coins back. */
      async function sendToVenue(
        leg: AssetTransfer,
        amount: Decimal,
        purpose: 'TEST_DEPOSIT' | 'VENUE_DEPOSIT',
      ): Promise<custody.Transfer> {
        checkpoint();
        const { asset, depositAddress } = leg;
        const chain = common.CHAIN_OF_ASSET[asset];
        const transfer = await calls.requestTransfer(
          {
            caseId,
            asset,
            chain,
            toAddress: depositAddress.address,
            amount: amount.toFixed(),
            purpose,
            // Custody moves nothing without the case's signed approvals of the plan (it checks them itself).
            approvals: planApprovals,
          },
          // A plan's leg to another venue has keys of its own (the default venue's are as before).
          purpose === 'TEST_DEPOSIT'
            ? key('test-deposit', asset, ...venueTag(leg))
            : key('transfer', asset, ...venueTag(leg)),
        );
        if (transfer.status === 'FAILED') {
          throw new CaseStop(
            'HELD',
            `the chain refused transfer ${transfer.transferId} of ${asset}; the coins stay in custody`,
          );
        }
        sentToVenue(transfer, leg.at);
        p.compensations.push({
          step: `${purpose} ${asset} ${transfer.transferId}`,
          undo: `return ${transfer.netAmount} ${asset} from ${depositAddress.venue} to custody`,
        });
        if (purpose === 'TEST_DEPOSIT') {
          show(
            `test deposit of ${transfer.netAmount} ${asset} to ${depositAddress.address}: waiting for its confirmations`,
          );
          await interruptible(() => confirmations.awaitTransferConfirmed(transfer.transferId));
        }
        return transfer;
      }

      /**
       * Wait until the venue credits a transfer. A deposit the venue holds for review (AML) is waited out
       * durably, never resent: the hold and its reason are in the status, the supervisors are told after
       * `deadlines.depositHoldEscalateAfter`, and after `deadlines.depositHoldDeadline` the case is held
       * (the coins are returned). Polls back off to 30 minutes, so even a long hold stays a short history.
       */
      async function venueCredit(leg: AssetTransfer, transfer: custody.Transfer): Promise<exchange.VenueDeposit> {
        const q = { caseId, asset: leg.asset, txHash: transfer.txHash };
        const escalateMs = durationMs(reg.deadlines?.depositHoldEscalateAfter ?? '1d');
        const deadlineMs = durationMs(reg.deadlines?.depositHoldDeadline ?? '14d');
        show(
          `waiting for ${leg.depositAddress.venue} to credit ${transfer.netAmount} ${leg.asset} (tx ${transfer.txHash})`,
        );
        let heldSince: number | undefined;
        const waitStarted = Date.now();
        for (let poll = 0; ; poll++) {
          const deposit = await interruptible(() => venueWaits.getVenueDeposit(q, ...venueArg(leg.at)));
          if (deposit.status === 'CREDITED') {
            if (leg.hold) leg.hold.releasedAt = new Date().toISOString();
            return deposit;
          }
          if (deposit.status === 'FAILED') {
            throw new CaseStop('HELD', `the venue refused the ${leg.asset} deposit ${transfer.txHash}`);
          }
          // Not seen or still confirming on the venue's side: a day is far beyond any chain's confirmations.
          if (deposit.status !== 'HELD' && Date.now() - waitStarted >= DEPOSIT_CONFIRMATION_LIMIT_MS) {
            throw new CaseStop(
              'HELD',
              `the venue has not credited the ${leg.asset} deposit ${transfer.txHash} within a day (${deposit.status})`,
            );
          }
          if (deposit.status === 'HELD') {
            heldSince ??= Date.now();
            const reason = deposit.holdReason ?? 'no reason given';
            if (!leg.hold) {
              leg.hold = { txHash: transfer.txHash, reason, since: new Date(heldSince).toISOString() };
              show(
                `the venue holds the ${leg.asset} deposit ${transfer.txHash} for review: ${reason}; waiting, not resending`,
              );
            }
            const heldFor = Date.now() - heldSince;
            if (!leg.hold.escalated && heldFor >= escalateMs) {
              leg.hold.escalated = new Date().toISOString();
              await notify(
                'DEPOSIT_HELD',
                'supervisor',
                `${caseId}: ${leg.depositAddress.venue} has held the ${leg.asset} deposit ${transfer.txHash} since ${leg.hold.since} (${reason})`,
              );
            }
            if (heldFor >= deadlineMs) {
              throw new CaseStop(
                'HELD',
                `the venue held the ${leg.asset} deposit ${transfer.txHash} past the deadline (${reason})`,
              );
            }
          }
          await pauseBeforePoll(poll);
        }
      }

      if (byPlan) return await sellAndWireByPlan();

      // 4. SALE: each coin for fiat, by the execution engine: directly where the direct market is deep
      // enough for it, else into the stablecoin; then the whole stablecoin into fiat (case-sale.ts).
      checkpoint();
      enter('SALE', `selling for ${fiat}: directly where the market is deep enough, else through ${stablecoin}`);
      const { proceeds: fiatProceeds, wire } = await sellForFiat(saleContext(), carried);
      // Sold: nothing of the coins is left at the venue to return (what the venue could not take is in `leftovers`).
      atVenue.clear();
      p.compensations = [];
      p.valueUsd = fiatProceeds.toFixed(2);
      upsertSearchAttributes([{ key: ValueUsdKey, value: fiatProceeds.toNumber() }]);

      // 5. WITHDRAWAL: the fiat to the offshore bank account (the safe place for fiat: a cancellation
      // from here on leaves the money where it is and stops).
      checkpoint();
      const fiatToWithdraw = roundDownTo(fiatProceeds, fiat);
      leftover(fiat, fiatToWithdraw.remainder, `below the smallest unit of ${fiat}`, 'BELOW_SMALLEST_UNIT');
      // The sale brought less than the venue's minimum wire after all (judged before it at the reference):
      // the fiat stays at the venue in the case's name, booked as its own line, and a supervisor decides.
      const underWire =
        wire !== undefined && (fiatToWithdraw.rounded.lt(wire.minAmount) || fiatToWithdraw.rounded.lte(wire.fee));
      const held = wire ? `under ${wire.venue}'s minimum wire of ${wire.minAmount} ${fiat} (fee ${wire.fee})` : '';
      if (underWire && fiatToWithdraw.rounded.gt(0)) {
        leftover(
          fiat,
          fiatToWithdraw.rounded,
          `${held}: held at the venue in the case's name`,
          'BELOW_MINIMUM_WITHDRAWAL',
        );
      }
      // Nothing is silently left at the venue: the sale's dust goes back to custody or is booked there as a
      // residual line in the case's name, and so is fiat no wire can take (case-residuals.ts).
      if (patched('dust-residuals')) {
        p.residualsBooked = true;
        await settleLeftovers({ p, caseId, key, show });
      }
      if (!fiatToWithdraw.rounded.gt(0)) throw new CaseStop('HELD', `no ${fiat} to withdraw`);
      if (underWire) {
        throw new CaseStop(
          'HELD',
          `the sale brought ${fiatToWithdraw.rounded.toFixed()} ${fiat}, ${held}, and no later withdrawal will come for this case: the ${fiat} is held at the venue for a supervisor's decision`,
        );
      }
      enter(
        'WITHDRAWAL',
        `withdrawing ${fiatToWithdraw.rounded.toFixed()} ${fiat} to ${reg.disposal.offshoreBankAccountId}`,
      );
      let withdrawal = await calls.requestWithdrawal(
        {
          caseId,
          currency: fiat,
          amount: fiatToWithdraw.rounded.toFixed(),
          bankAccountId: reg.disposal.offshoreBankAccountId,
        },
        key('withdrawal', fiat),
      );
      p.withdrawal = withdrawal;
      if (withdrawal.status !== 'COMPLETED') {
        const withdrawalId = withdrawal.withdrawalId;
        withdrawal = await interruptible(() => withdrawalWaits().awaitWithdrawalCompleted(withdrawalId));
        p.withdrawal = withdrawal;
      }
      if (!new Decimal(withdrawal.netAmount).gt(0))
        throw new CaseStop('HELD', `the withdrawal ${withdrawal.withdrawalId} brought nothing after fees`);
      return withdrawal;

      /**
       * SALE and WITHDRAWAL by the sale plans: at each venue, the coins its legs took there sold by the
       * engine on the plans' routes, then that venue's fiat wired to the offshore account; the desks paid
       * there already. FX and the treasury go on with the total (`p.withdrawal`), each wire and payment kept.
       */
      async function sellAndWireByPlan(): Promise<exchange.VenueWithdrawal> {
        const venues = venuesOfPlans();
        checkpoint();
        enter('SALE', `selling for ${fiat} at ${venues.map((v) => v.venue).join(', ')} by the sale plans`);
        const sold: Array<{ venue: PlannedVenue; proceeds: Decimal; wire?: exchange.FiatWithdrawalTerms }> = [];
        for (const venue of venues) {
          checkpoint();
          // Resumed at SALE: what this venue's earlier sales left there is sold and wired with the rest.
          const carriedHere = proceedsAtVenue(
            resume?.from === 'SALE' ? p.sales.filter((s) => s.at === venue.at) : [],
            stablecoin,
            fiat,
          );
          sold.push({ venue, ...(await sellForFiat(saleContext(), carriedHere, venue)) });
          for (const plan of p.salePlans ?? []) {
            for (const leg of plan.legs) if (leg.kind === 'VENUE' && leg.venue === venue.venue) leg.status = 'SOLD';
          }
        }
        // Sold everywhere: nothing of the coins is left at a venue to return (leftovers are booked below).
        atVenue.clear();
        p.compensations = [];
        const paidByDesks = sum((p.deskSettlements ?? []).map((d) => d.paidAmount));
        const proceeds = sum(sold.map((s) => s.proceeds)).plus(paidByDesks);
        p.valueUsd = proceeds.toFixed(2);
        upsertSearchAttributes([{ key: ValueUsdKey, value: proceeds.toNumber() }]);

        // 5. WITHDRAWAL: each venue's fiat to the offshore bank account, as one venue's is.
        checkpoint();
        const wires: Array<{ venue: PlannedVenue; amount: Decimal }> = [];
        const under: string[] = [];
        for (const s of sold) {
          const at = s.venue.at;
          const toWire = roundDownTo(s.proceeds, fiat);
          leftover(fiat, toWire.remainder, `below the smallest unit of ${fiat}`, 'BELOW_SMALLEST_UNIT', at);
          const w = s.wire;
          if (w && (toWire.rounded.lt(w.minAmount) || toWire.rounded.lte(w.fee))) {
            const held = `under ${s.venue.venue}'s minimum wire of ${w.minAmount} ${fiat} (fee ${w.fee})`;
            leftover(
              fiat,
              toWire.rounded,
              `${held}: held at the venue in the case's name`,
              'BELOW_MINIMUM_WITHDRAWAL',
              at,
            );
            if (toWire.rounded.gt(0)) under.push(`${toWire.rounded.toFixed()} ${fiat} ${held}`);
          } else if (toWire.rounded.gt(0)) {
            wires.push({ venue: s.venue, amount: toWire.rounded });
          }
        }
        p.residualsBooked = true;
        await settleLeftovers({ p, caseId, key, show });
        if (under.length > 0) {
          throw new CaseStop(
            'HELD',
            `the sale brought ${under.join('; ')}, and no later withdrawal will come for this case: held at the venue for a supervisor's decision`,
          );
        }
        enter(
          'WITHDRAWAL',
          `withdrawing ${wires.map((w) => `${w.amount.toFixed()} ${fiat} from ${w.venue.venue}`).join(', ')} to ${reg.disposal.offshoreBankAccountId}`,
        );
        p.withdrawals = [];
        for (const w of wires) {
          const at = w.venue.at;
          let withdrawal = await calls.requestWithdrawal(
            {
              caseId,
              currency: fiat,
              amount: w.amount.toFixed(),
              bankAccountId: reg.disposal.offshoreBankAccountId,
            },
            at === undefined ? key('withdrawal', fiat) : key('withdrawal', fiat, at),
            ...venueArg(at),
          );
          p.withdrawals.push(withdrawal);
          if (withdrawal.status !== 'COMPLETED') {
            const withdrawalId = withdrawal.withdrawalId;
            withdrawal = await interruptible(() =>
              withdrawalWaits().awaitWithdrawalCompleted(withdrawalId, ...venueArg(at)),
            );
            p.withdrawals[p.withdrawals.length - 1] = withdrawal;
          }
        }
        const total = paidIn(p.withdrawals, p.deskSettlements ?? []);
        p.withdrawal = total;
        if (!new Decimal(total.netAmount).gt(0))
          throw new CaseStop('HELD', `the withdrawals ${total.withdrawalId} brought nothing after fees`);
        return total;
      }

      /** The venues the plans' VENUE legs name, in the order they first appear (the default venue's routes for it). */
      function venuesOfPlans(): PlannedVenue[] {
        const venues: PlannedVenue[] = [];
        const stable = p.transfers.find((t) => t.asset === stablecoin)?.depositAddress.venue;
        const named = [
          ...(p.salePlans ?? []).flatMap((plan) => plan.legs.flatMap((l) => (l.kind === 'VENUE' ? [l.venue] : []))),
          ...(stable ? [stable] : []),
          // Resumed at SALE: a venue where an earlier attempt sold holds its proceeds still.
          ...(resume?.from === 'SALE' ? p.sales.map((s) => s.at ?? reg.disposal.venue) : []),
        ];
        for (const venue of named) {
          if (venues.some((v) => v.venue === venue)) continue;
          const legs = new Map<string, Extract<exchange.SalePlanLeg, { kind: 'VENUE' }>>();
          for (const plan of p.salePlans ?? []) {
            const leg = plan.legs.find((l) => l.kind === 'VENUE' && l.venue === venue);
            if (leg && leg.kind === 'VENUE') legs.set(plan.asset, leg);
          }
          const at = atOf(venue);
          venues.push({ venue, ...(at === undefined ? {} : { at }), legs });
        }
        return venues;
      }
    }

    /** A venue's routes at the exchange service: the default venue's at /v1/..., another's under /v1/venues/:id. */
    function atOf(venue: string): string | undefined {
      return venue === reg.disposal.venue ? undefined : venue;
    }
    /** The key of a transfer to another venue than the default names it (the default's keys are as before). */
    function venueTag(leg: AssetTransfer): string[] {
      return leg.at === undefined ? [] : [leg.at];
    }

    // 6. FX: declare, wait for the regulator's decision (recorded by an FX officer), settle into CNY (case-fx.ts).
    // A case resumed at TREASURY has settled already.
    if (resume?.from !== 'TREASURY') {
      checkpoint();
      enter('FX', `declaring ${withdrawal.netAmount} ${fiat} for settlement into CNY`);
      await settleIntoCny({
        p,
        caseId,
        reg,
        withdrawal,
        key,
        show,
        checkpoint,
        awaitDecision,
        deadlineWords,
        notify,
        stopped: () => cancellation !== undefined,
        settlementLimit: (limit) => {
          settlementLimit = limit;
        },
      });
    }

    // 7. TREASURY: credit the special account with each tranche; with a court restitution order, register
    // it; a supervisor approves the pay-out; the victims are paid as the order says and the rest is
    // remitted to the treasury (case-treasury.ts).
    checkpoint();
    await payOut({
      p,
      caseId,
      reg,
      stablecoin,
      fiat,
      key,
      show,
      enter: (details) => enter('TREASURY', details),
      checkpoint,
      awaitDecision,
      deadlineWords,
      pastNoReturn: () => {
        pastNoReturn = true;
      },
    });

    // 8. RECONCILIATION: every unit from custody to the treasury, from each service's own records; the
    // differences a supervisor explained before the pay-out are their own lines here too.
    await closeTheBooks();
  }

  /** The closing reconciliation after the pay-out (again, on a RESUME of a hold it made): a difference holds the case. */
  async function closeTheBooks(): Promise<void> {
    const { stablecoin, fiat } = reg.disposal;
    enter('RECONCILIATION', 'checking conservation across custody, venue, FX and treasury');
    p.reconciliation = await reconcileCase({ p, caseId: p.caseId, stablecoin, fiat }, 'closing');
    if (!p.reconciliation.ok) {
      const failed = p.reconciliation.checks.filter((c) => !c.pass);
      throw new CaseStop(
        'HELD',
        `reconciliation failed: ${failed.map((c) => `${c.name} (${c.left.amount} vs ${c.right.amount})`).join('; ')}`,
      );
    }
  }
}

/** Turn what ended the case into a status and a reason that says where it stopped and why. */
function asCaseStop(error: unknown, stage: CaseStage): CaseStop {
  if (error instanceof CaseStop) return error;
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    // Out of time (its schedule-to-close limit, retrying a fault or a "not yet"): the world may still
    // move (a late deposit); a person looks, and the step's key makes a retry safe.
    if (error.retryState === 'TIMEOUT' || cause instanceof TimeoutFailure) {
      const last = cause instanceof TimeoutFailure ? cause.timeoutType : `last answer: ${cause?.message ?? 'none'}`;
      return new CaseStop('HELD', `${stage}: ${error.activityType} did not finish in time (${last})`);
    }
    if (cause instanceof ApplicationFailure) {
      return new CaseStop(
        'FAILED',
        `${stage}: ${error.activityType} failed: ${cause.message} [${cause.type ?? 'error'}]`,
      );
    }
    return new CaseStop('FAILED', `${stage}: ${error.activityType} failed: ${cause?.message ?? error.message}`);
  }
  if (error instanceof ChildWorkflowFailure) {
    // A child (an intake batch, a sale round) that ended on an activity's failure: judged like that failure.
    if (error.cause instanceof ActivityFailure) return asCaseStop(error.cause, stage);
    return new CaseStop('FAILED', `${stage}: ${error.workflowType} failed: ${error.cause?.message ?? error.message}`);
  }
  // Anything else is a bug in this workflow: let Temporal fail the task so it is fixed and replayed.
  throw error;
}
