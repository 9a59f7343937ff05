/**
 * One run of the case workflow: the case's state and everything each stage uses of the workflow
 * itself — its record (the status query), its step keys, its details line and stage, the decisions it
 * waits for, its checkpoints and cancellation, its pauses, what it leaves at the venue, and its
 * compensation (what is unsold at the venue goes back to custody). Every stage module takes the run
 * (`runIntake(run)`, `runSale(run)`…); case-workflow.ts registers the handlers and runs the stages.
 *
 * The methods are arrow properties, bound to the run: a stage may take them out of it
 * (`const { p, key, show } = run`). Deterministic like the rest of the workflow: workflow time only.
 */
import {
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { custody, exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { CaseNotification, NotificationActivities, NotificationKind } from '../notifications/types';
import type { PolicyVerdict } from './approval-policy';
import { auditCheckpoints, calls, confirmations, venueArg, venueWaits } from './case-calls';
import { CaseRegistration, type Lot } from './case-input';
import {
  AFTER_COOLING_OFF_MS,
  CHILD_STARTS,
  DAY_MS,
  FIRST_POLL_MS,
  FIRST_POLL_MS_BEFORE_1S,
  HOUR_MS,
  LONGEST_PAUSE_MS,
  NOTIFICATIONS,
  POLL_DOUBLINGS,
} from './case-policy';
import { heldAt, type VenueHolding } from './case-sale';
import type { CaseProgress, CaseStage, CaseStatus, CustodyReturn } from './case-state';
import { CaseStop } from './case-stop';
import {
  type Decision,
  type DecisionStage,
  ESCALATION_ROLE,
  ROLE_FOR_STAGE,
  type Role,
  type WaitStage,
} from './decision';
import { goesOnWithTheMoney, type HoldOptions } from './hold-resolution';
import { stepKey } from './keys';
import { assetsOf } from './lot-manifest';
import {
  AssetSymbolsKey,
  CaseAgencyKey,
  CaseIdKey,
  CaseStageKey,
  CaseStatusKey,
  PendingDecisionKey,
  PendingRoleKey,
  PendingSinceKey,
} from './shared';
import { refusalLog } from './side-door';
import { resolveWait } from './wait-policy';

/** A decision the case waits for (a cancellation is never waited for: it may arrive at any time). */

/** How a held case goes on after a RESUME or AMEND: the next disposal attempt, from where and under which plan. */
export interface Resume {
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

/** Telling people never blocks a case for long: a notification that cannot be stored is logged and skipped. */
const notifier = proxyActivities<NotificationActivities>(NOTIFICATIONS);

export class CaseRun {
  /** The case's record: the status query answers it (with amounts and values computed when asked). */
  readonly p: CaseProgress;
  /** The registration, once parsed (`register`): every stage runs after it. */
  reg!: CaseRegistration;
  /** The registered lots, once the registration parsed: the status's totals across lots are over all of them. */
  registeredLots: readonly Lot[] = [];

  // ---- Decisions (admitted by case-decisions.ts, waited for by `awaitDecision`) ----
  /** The decision that ended each wait (deleted when the stage is waited for again). */
  readonly accepted: Partial<Record<DecisionStage, Decision>> = {};
  /** Approvals given so far per stage; a stage with a quorum moves only when enough distinct people approved. */
  readonly approvals: Partial<Record<DecisionStage, Decision[]>> = {};
  /** From the parsed registration, before any decision can arrive; raised by the approval policy's verdict. */
  disposalQuorum = 1;
  /** The approval policy's verdict on the verified intake, once valued: units and a senior supervisor may be asked too. */
  disposalVerdict: PolicyVerdict | undefined;
  /** The DISPOSAL_PLAN approvals that made the quorum: custody verifies them on every transfer. */
  planApprovals: Decision[] = [];
  /** The authorised cancellation, once accepted; every wait and step boundary looks at it. */
  cancellation: Decision | undefined;
  /** While a settlement tranche is awaited: what is left to settle (the validator refuses more). */
  settlementLimit: string | undefined;
  /** Once money leaves the special account the case can no longer be cancelled. */
  pastNoReturn = false;
  /** While HOLD_RESOLUTION is awaited: the paths the hold allows (hold-resolution.ts). */
  holdNow: HoldOptions | undefined;
  /** Cases registered through the control API take only decisions it signed (set from the registration). */
  signaturesRequired = false;
  /** The nonces of signed decisions already submitted: each is taken once. */
  readonly usedNonces = new Set<string>();

  // ---- The attempt and the coins ----
  /** A held case resumed (RESUME or AMEND): the attempt runs again from where it stopped. Undefined: the first. */
  resume: Resume | undefined;
  /**
   * Coins that left custody for the venue and are not sold yet, per asset (and venue: `heldAt`), with the
   * transfers that took them there (a test deposit and the bulk transfer): what a stop must bring back,
   * and which transfer each return undoes.
   */
  readonly atVenue = new Map<string, VenueHolding>();

  /** The stage checkpoints asked for and not answered yet: the case waits for them before it closes. */
  private readonly stageCheckpoints: Promise<void>[] = [];
  private checkpointedStage: CaseStage | undefined;
  private notificationsRaised = 0;

  constructor(
    input: CaseRegistration,
    readonly workflowId: string,
  ) {
    this.p = {
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
  }

  /** A message the case refused (side-door.ts), to the audit chain and, when `keep`, the status. */
  readonly recordRefusal = refusalLog(
    () => this.p.caseId,
    () => {
      this.p.refusedMessages ??= { total: 0, recent: [] };
      return this.p.refusedMessages;
    },
  );

  /** Parse the registration; an invalid one fails the case here (undefined). */
  readonly register = (input: unknown): CaseRegistration | undefined => {
    const { p } = this;
    const parsed = CaseRegistration.safeParse(input);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      p.reason = `invalid registration: ${detail}`;
      this.setStatus('FAILED', p.reason);
      return undefined;
    }
    const reg = parsed.data;
    this.reg = reg;
    this.registeredLots = reg.lots;
    if (reg.manifest) p.manifest = { ...reg.manifest };
    this.disposalQuorum = reg.approvals?.disposalPlan ?? 1;
    this.signaturesRequired = reg.decisionSigning === 'required';
    upsertSearchAttributes([
      { key: CaseIdKey, value: reg.caseId },
      { key: CaseAgencyKey, value: reg.agency },
      { key: CaseStageKey, value: p.stage },
      { key: CaseStatusKey, value: p.status },
      { key: AssetSymbolsKey, value: assetsOf(reg) },
    ]);
    return reg;
  };

  get caseId(): string {
    return this.reg.caseId;
  }

  /**
   * The Idempotency-Key of a step, derived from the workflow id: the same on every replay. A case resumed
   * before the sale does the disposal again, its steps with keys of their own (the first attempt's stand);
   * one resumed past the sale keeps the keys of the attempt that sold.
   */
  readonly key = (...step: string[]): string =>
    this.resume?.keys
      ? stepKey(this.workflowId, `attempt-${this.resume.keys}`, ...step)
      : stepKey(this.workflowId, ...step);

  /** Resumed past the sale: the coins are sold; the case goes on with the money where it stopped. */
  get pastTheSale(): boolean {
    return this.resume !== undefined && goesOnWithTheMoney(this.resume.from);
  }
  /** An amended plan: what of each asset is disposed of (the rest stays in custody). */
  get amended(): Map<string, Decimal> | undefined {
    const amend = this.resume?.amend;
    return amend ? new Map(amend.map((l) => [l.asset, new Decimal(l.amount)])) : undefined;
  }
  /** The assets this attempt disposes of: every asset of the registration, or the amended plan's. */
  get disposing(): ReturnType<typeof assetsOf> {
    const assets = assetsOf(this.reg);
    const amended = this.amended;
    return amended ? assets.filter((a) => amended.has(a)) : assets;
  }

  /** A venue's routes at the exchange service: the default venue's at /v1/..., another's under /v1/venues/:id. */
  readonly atOf = (venue: string): string | undefined => (venue === this.reg.disposal.venue ? undefined : venue);

  /** The stage's decision deadline in words, for reasons. */
  readonly deadlineWords = (stage: WaitStage): string => {
    const { deadlineMs } = resolveWait(stage, this.reg.deadlines?.waits, this.reg.deadlines?.decisionDays);
    return deadlineMs % DAY_MS === 0 ? `${deadlineMs / DAY_MS} days` : `${deadlineMs / HOUR_MS} hours`;
  };

  // ---- What people see: the details line, the status, the stage, notifications ----

  /** The case's details line (status and Web UI). */
  readonly show = (details: string): void => {
    const { p } = this;
    p.details = details;
    setCurrentDetails(`**${p.caseId}** (${p.agency}) - ${p.stage}, ${p.status}\n\n${details}`);
  };
  readonly setStatus = (next: CaseStatus, details: string): void => {
    this.p.status = next;
    upsertSearchAttributes([{ key: CaseStatusKey, value: next }]);
    this.show(details);
  };
  /** Enter a stage with its details line; the services sign their audit chains' heads once per stage entered. */
  readonly enter = (stage: CaseStage, details: string): void => {
    this.p.stage = stage;
    upsertSearchAttributes([{ key: CaseStageKey, value: stage }]);
    this.show(details);
    // Once per stage the case enters (a stage's later details lines change nothing on the chains).
    if (stage !== this.checkpointedStage) this.checkpointAudit(stage);
    this.checkpointedStage = stage;
  };
  /** Every service signs its audit chain's head now; a failure is logged, never the case's end. */
  private checkpointAudit(stage: string): void {
    // Cases started before the checkpoints issue none until they reach a stage change on this code.
    if (!patched('audit-stage-checkpoints')) return;
    this.stageCheckpoints.push(
      auditCheckpoints.checkpointAuditChains({ caseId: this.p.caseId, stage }).then(
        (answers) => {
          for (const a of answers)
            if (a.checkpoint) this.p.auditCheckpoints.push({ stage, chain: a.chain, ...a.checkpoint });
        },
        (error: unknown) => log.warn('audit checkpoint not taken', { stage, error: String(error) }),
      ),
    );
  }
  /**
   * The case's end is a stage change too: the chains as they stand when it closes (after any return
   * to custody), and every stage checkpoint still in flight, before the final status is shown.
   */
  readonly closingCheckpoints = async (end: CaseStatus): Promise<void> => {
    this.checkpointAudit(end);
    await Promise.all(this.stageCheckpoints);
  };

  /** Store a notification for people (the outbox); a failure to store is logged, never fatal to the case. */
  readonly notify = async (
    kind: NotificationKind,
    toRole: Role,
    message: string,
    extra: Partial<CaseNotification> = {},
  ): Promise<void> => {
    const { p, workflowId } = this;
    const at = new Date().toISOString();
    const sent = { kind, toRole, at, ...(extra.stage ? { stage: extra.stage } : {}) };
    // Numbered when raised, not when stored: two notifications raised at once never share a key.
    const n = ++this.notificationsRaised;
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

  // ---- How the case ends ----

  /** Every stage done: the pay-out said in the status, after the closing checkpoints. */
  readonly complete = async (): Promise<void> => {
    const { p } = this;
    const paid = [
      p.restitution ? `paid ${p.restitution.totalToVictims} CNY to ${p.restitution.payments.length} victims` : '',
      p.remittance ? `remitted ${p.remittance.amount} CNY to the treasury (receipt ${p.remittance.receiptNo})` : '',
      p.ownerReturn ? `returned ${p.ownerReturn.amount} CNY to the owner (receipt ${p.ownerReturn.receiptNo})` : '',
    ].filter(Boolean);
    await this.closingCheckpoints('COMPLETED');
    this.setStatus('COMPLETED', `${paid.join('; ')}; reconciled`);
  };

  /** The case stops (`stop`): compensation first, whatever else arrives; then its status, and the supervisors told. */
  readonly stopped = async (stop: CaseStop): Promise<void> => {
    const { p } = this;
    // The case is stopping: its undo steps run to the end whatever else arrives.
    const returned = await CancellationScope.nonCancellable(() => this.returnToCustody(stop.reason));
    p.reason = returned ? `${stop.reason}; ${returned}` : stop.reason;
    this.clearPending();
    await this.closingCheckpoints(stop.status);
    this.setStatus(stop.status, p.reason);
    if (stop.status === 'HELD' || stop.status === 'CANCELLED') {
      await this.notify(
        stop.status === 'HELD' ? 'CASE_HELD' : 'CASE_CANCELLED',
        'supervisor',
        `${p.caseId}: ${p.reason}`,
      );
    }
  };

  readonly clearPending = (): void => {
    upsertSearchAttributes([
      { key: PendingDecisionKey, value: null },
      { key: PendingRoleKey, value: null },
      { key: PendingSinceKey, value: null },
    ]);
  };

  // ---- Cancellation ----

  /** At a step boundary: an accepted cancellation stops the case here, in the safe state for its stage. */
  readonly checkpoint = (): void => {
    if (this.cancellation) throw this.cancelled();
  };
  private cancelled(): CaseStop {
    const { cancellation } = this;
    return new CaseStop(
      'CANCELLED',
      `cancelled at ${this.p.stage} by ${cancellation?.decidedBy}: ${cancellation?.reason ?? ''}`,
    );
  }
  /** Why the case is being stopped, for the sale engine. */
  readonly stopReason = (): string => this.cancellation?.reason ?? 'case cancelled';

  /**
   * A wait a cancellation may cut short (polling the chain, the venue, the bank). Steps that move
   * value are never interrupted: they finish, and the next checkpoint stops the case.
   */
  readonly interruptible = async <T>(wait: () => Promise<T>): Promise<T> => {
    this.checkpoint();
    const scope = new CancellationScope();
    try {
      return await this.whileWorking(
        () => scope.run(wait),
        () => scope.cancel(),
      );
    } catch (error) {
      if (this.cancellation && isCancellation(error)) throw this.cancelled();
      throw error;
    }
  };

  /**
   * A child workflow the case did not cancel but that ended cancelled (a cancellation request sent to
   * it directly, from the Web UI or the CLI): recorded, and the child is started again (its steps are
   * keyed, so what it did already is found, not redone); a few times at most.
   */
  readonly againIfCancelledFromOutside = async <T>(childId: string, run: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const fromOutside = !this.cancellation && error instanceof ChildWorkflowFailure && isCancellation(error.cause);
        if (!fromOutside || attempt >= CHILD_STARTS) throw error;
        this.recordRefusal({
          via: 'cancel',
          name: childId.slice(0, 200),
          reason: 'cancel-requested',
          detail: `a cancellation request sent to ${childId} directly: not obeyed, the child is started again`,
        });
      }
    }
  };

  /** Run `work`; if the case is cancelled before it ends, `stop` it (once). */
  readonly whileWorking = async <T>(work: () => Promise<T>, stop: () => unknown): Promise<T> => {
    let done = false;
    void condition(() => done || this.cancellation !== undefined).then(() => (done ? undefined : stop()));
    try {
      return await work();
    } finally {
      done = true;
    }
  };

  /**
   * A cancellation request sent to Temporal directly (the Web UI's "Request Cancellation", `temporal
   * workflow cancel`): recorded, the supervisors asked, the case carries on.
   */
  readonly cancelRequestedFromOutside = (): void => {
    this.recordRefusal({
      via: 'cancel',
      name: 'cancel',
      reason: 'cancel-requested',
      detail:
        'RequestCancelWorkflowExecution sent to Temporal directly: not obeyed; only a CANCELLATION decision through the control API cancels a case',
    });
    void this.notify(
      'ESCALATION',
      'supervisor',
      `${this.p.caseId}: a cancellation was requested through Temporal directly, not through the control API; the case carries on. If it must stop, a supervisor decides CANCELLATION.`,
      { stage: 'CANCELLATION' },
    );
  };

  // ---- Pauses ----

  /**
   * Between two polls of something outside (custody, the venue): back off from 1 second (10 seconds in
   * cases started before the change) to 30 minutes, so what answers at once is seen at once and a wait of
   * days stays a short history; a cancellation ends the pause and stops the case.
   */
  readonly pauseBeforePoll = async (poll: number): Promise<void> => {
    const first = patched('polls-from-1s') ? FIRST_POLL_MS : FIRST_POLL_MS_BEFORE_1S;
    await condition(
      () => this.cancellation !== undefined,
      Math.min(first * 2 ** Math.min(poll, POLL_DOUBLINGS), LONGEST_PAUSE_MS),
    );
    this.checkpoint();
  };

  /** Until a time something outside named (at most 30 minutes from now); a cancellation ends the pause. */
  readonly pauseUntil = async (at: number): Promise<void> => {
    await condition(() => this.cancellation !== undefined, Math.min(Math.max(at - Date.now(), 1), LONGEST_PAUSE_MS));
    this.checkpoint();
  };
  /** Just after a whitelist entry's cooling-off ends (`activeFrom`, ms). */
  readonly pauseUntilActive = (activeFrom: number): Promise<void> => this.pauseUntil(activeFrom + AFTER_COOLING_OFF_MS);

  // ---- Waiting for people ----

  /**
   * Wait for a person, with the stage's reminder, escalation and deadline (wait-policy.ts). Returns
   * the decision, or `undefined` when the final deadline passed first. A cancellation ends the wait.
   */
  readonly awaitDecision = async (
    stage: WaitStage,
    what: string,
    /** A held case waits in HELD, and past its deadline (it is told, never resolved by default). */
    held = false,
  ): Promise<Decision | undefined> => {
    const { p, reg, accepted, approvals } = this;
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
    this.setStatus(
      held ? 'HELD' : 'AWAITING_DECISION',
      `waiting for ${what} (${stage}, a ${role}) until ${pending.deadline}`,
    );
    const over = () => accepted[stage] !== undefined || this.cancellation !== undefined;
    const until = async (ms: number) => over() || (await condition(over, Math.max(1, ms - (Date.now() - since))));
    if (!(await until(times.remindMs))) {
      if (p.awaiting) p.awaiting.reminded = new Date().toISOString();
      await this.notify('REMINDER', role, `${p.caseId} waits for ${what}; deadline ${pending.deadline}`, {
        stage,
        deadline: pending.deadline,
      });
    }
    if (!(await until(times.escalateMs))) {
      if (p.awaiting) p.awaiting.escalated = new Date().toISOString();
      await this.notify(
        'ESCALATION',
        escalateTo,
        `${p.caseId} has waited since ${pending.since} for ${what} (a ${role}); deadline ${pending.deadline}`,
        { stage, deadline: pending.deadline },
      );
    }
    let decided = await until(times.deadlineMs);
    if (!decided && held) {
      await this.notify(
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
    this.clearPending();
    this.checkpoint();
    // A decision accepted in the same moment the deadline fired was answered as accepted: it stands.
    const d = accepted[stage];
    if (!decided || !d) {
      await this.notify('DEADLINE_PASSED', escalateTo, `${p.caseId}: nobody decided ${stage} by ${pending.deadline}`, {
        stage,
        deadline: pending.deadline,
      });
      return undefined;
    }
    this.setStatus('RUNNING', `${stage} ${d.outcome} by ${d.decidedBy}`);
    return d;
  };

  // ---- The coins at the venue, what is left there, and compensation ----

  /** A transfer that took coins to the venue; `at`: a sale plan's venue other than the default (returned from it). */
  readonly sentToVenue = (t: custody.Transfer, at?: string): void => {
    const held = this.atVenue.get(heldAt(t.asset, at)) ?? {
      asset: t.asset,
      ...(at === undefined ? {} : { at }),
      transfers: [],
      unsold: new Decimal(0),
    };
    held.transfers.push(t);
    held.unsold = held.unsold.plus(t.netAmount);
    this.atVenue.set(heldAt(t.asset, at), held);
  };

  /** Sold (or returned): nothing of the coins is left at a venue to return. */
  readonly soldAll = (): void => {
    this.atVenue.clear();
    this.p.compensations = [];
  };

  /**
   * Value left at the venue, with why (and how the exchange service books it: case-residuals.ts settles it);
   * `at`: a sale plan's venue other than the default.
   */
  readonly leftover = (
    asset: string,
    amount: Decimal,
    reason: string,
    kind?: exchange.ResidualReason,
    at?: string,
  ): void => {
    if (amount.gt(0))
      this.p.leftovers.push({
        asset,
        amount: amount.toFixed(),
        where: 'venue',
        reason,
        ...(kind ? { kind } : {}),
        ...(at === undefined ? {} : { at }),
      });
  };

  /**
   * Compensation: what is unsold at the venue goes back to the case wallet it came from, each asset
   * with its own keys (a retried or replayed return finds the one already made). Returns a sentence
   * for the case's reason, or undefined when nothing was at the venue.
   */
  readonly returnToCustody = async (why: string): Promise<string | undefined> => {
    const { p, workflowId, atVenue } = this;
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
        this.show(`returning ${ret.amount} ${asset} from ${from} to custody (${why})`);
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
      this.leftover(asset, unsold, 'sale proceeds at the venue: not a transfer custody can take back', undefined, at);
      // The coin's dust under the venue's lot size was part of what went back: it is not left at the venue.
      if (mine.every((r) => r.status === 'RECEIVED' || r.status === 'NOTHING_TO_RETURN')) {
        p.leftovers = p.leftovers.filter((l) => !(l.asset === asset && l.kind === 'BELOW_LOT_STEP' && l.at === at));
      }
    }
    this.soldAll();
    return said.length > 0 ? said.join('; ') : undefined;
  };
}
