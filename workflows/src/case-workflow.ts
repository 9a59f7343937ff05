/**
 * The case workflow: one seized-currency case from custody intake to the treasury, id `case-<caseId>`.
 *
 * Orchestration only. Deterministic: no I/O, clock, randomness or Node built-ins; effects happen in
 * activities (imported as a type), ids and Idempotency-Keys are derived from the workflow id and the
 * step, money is Decimal. A dead end never throws the workflow away: the case ends HELD (a person
 * must rule), REJECTED (a person said no, the assets are safe) or FAILED (a service refused a step),
 * with the reason in the status and the result.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  type RetryPolicy,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { common } from '@vcdc/shared/contracts';
import { Decimal, roundDownTo, sum } from '@vcdc/shared/money';
import type { CaseActivities } from './activities';
import { CaseRegistration } from './case-input';
import type { AssetTransfer, CaseOutcome, CaseProgress, CaseStage, CaseStatus, SaleLeg } from './case-state';
import { checkDecision, type Decision, type DecisionRefusal, type DecisionStage } from './decision';
import type { DecisionActivities } from './decision-signature';
import { clientOrderId, stepKey } from './keys';
import { reconcile } from './reconcile';
import { planSale } from './sale-plan';
import {
  CaseAgencyKey,
  CaseIdKey,
  CaseStageKey,
  CaseStatusKey,
  type DecisionAccepted,
  decide,
  decision,
  status,
} from './shared';
import { addWorkingDays } from './working-days';

// The sale execution engine runs as a child workflow on the same worker (issue #4).
export { saleExecutionWorkflow } from './sale-workflow';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_DECISION_DAYS = 30;

/** The control API's signature on a decision, checked before the decision counts (a few quick tries). */
const decisionChecks = proxyActivities<DecisionActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

/**
 * Plain calls: faults (5xx, no answer) are retried for up to two hours, then the case is held (the
 * service is down: a person looks; the step's key makes a later retry safe). A 4xx refusal arrives
 * non-retryable and stops at once.
 */
const CALL_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
const calls = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2h',
  retry: CALL_RETRY,
});

/** Custody answers 409 not-yet until the sweep transaction has its confirmations. */
const intakes = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m' },
});
/** Waiting for the venue to credit a deposit (chain confirmations on the venue's side). */
const depositWaits = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '12h',
  retry: { initialInterval: '10s', backoffCoefficient: 1.5, maximumInterval: '2m' },
});
/** A market order should close within seconds; an hour means something is wrong at the venue. */
const orderWaits = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '2s', backoffCoefficient: 1.5, maximumInterval: '30s' },
});
/** Bank withdrawals take days. */
const withdrawalWaits = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '5 days',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '15m' },
});

/** Ends the case early with a status and reason (caught at the top of the workflow, never escapes it). */
class CaseStop extends Error {
  constructor(
    readonly status: Extract<CaseStatus, 'HELD' | 'REJECTED' | 'FAILED'>,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'CaseStop';
  }
}

/** Where a decision moves the case; the Update's answer and the workflow's next step agree by construction. */
function movesTo(d: Decision): DecisionAccepted['movesTo'] {
  if (d.stage === 'DISPOSAL_PLAN') {
    return d.outcome === 'APPROVE'
      ? { stage: 'TRANSFER', status: 'RUNNING' }
      : { stage: 'AUTHORISATION', status: 'REJECTED' };
  }
  if (d.stage === 'REMITTANCE') {
    return d.outcome === 'APPROVE' ? { stage: 'TREASURY', status: 'RUNNING' } : { stage: 'TREASURY', status: 'HELD' };
  }
  if (d.stage === 'FX_RESUBMISSION') {
    return d.outcome === 'APPROVE' ? { stage: 'FX', status: 'RUNNING' } : { stage: 'FX', status: 'HELD' };
  }
  // A rejected declaration waits for a supervisor to decide whether to resubmit it.
  return d.outcome === 'APPROVE' ? { stage: 'FX', status: 'RUNNING' } : { stage: 'FX', status: 'AWAITING_DECISION' };
}

export const DEFAULT_FX_DECLARATION_WORKING_DAYS = 5;

export async function caseWorkflow(input: CaseRegistration): Promise<CaseOutcome> {
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
    accounts: [],
    intakes: [],
    transfers: [],
    sales: [],
    leftovers: [],
    compensations: [],
  };
  const accepted: Partial<Record<DecisionStage, Decision>> = {};
  /** Approvals given so far per stage; a stage with a quorum moves only when enough distinct people approved. */
  const approvals: Partial<Record<DecisionStage, Decision[]>> = {};
  let disposalQuorum = 1; // from the parsed registration, before any decision can arrive
  const approvalsNeeded = (stage: DecisionStage) => (stage === 'DISPOSAL_PLAN' ? disposalQuorum : 1);
  const decisionContext = () => ({
    awaiting: p.awaiting?.stage,
    requestedBy: p.requestedBy,
    approvedBy: (p.awaiting ? (approvals[p.awaiting.stage] ?? []) : []).map((d) => d.decidedBy),
  });

  const accept = (d: Decision): DecisionAccepted => {
    p.decisions.accepted.push(d);
    const required = approvalsNeeded(d.stage);
    if (d.outcome === 'APPROVE' && required > 1) {
      const given = [...(approvals[d.stage] ?? []), d];
      approvals[d.stage] = given;
      if (given.length < required) {
        show(`${d.stage}: ${given.length} of ${required} approvals (${given.map((a) => a.decidedBy).join(', ')})`);
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
    return { decision: d, movesTo: movesTo(d), ...(given ? { approvals: { given, required } } : {}) };
  };

  /** Cases registered through the control API take only decisions it signed (set from the registration). */
  let signaturesRequired = false;
  const usedNonces = new Set<string>();
  const refuse = (raw: unknown, refusal: DecisionRefusal, via: 'signal' | 'update') => {
    p.decisions.refused.push({
      decision: raw,
      code: refusal.code,
      reason: refusal.message,
      at: new Date().toISOString(),
      via,
    });
    log.warn(`decision ${via} refused`, { reason: refusal.message });
  };
  const replayed = (raw: unknown): DecisionRefusal | undefined => {
    const nonce = (raw as { nonce?: unknown } | null)?.nonce;
    return typeof nonce === 'string' && usedNonces.has(nonce)
      ? { code: 'decision-replayed', message: `decision ${nonce} was already submitted once` }
      : undefined;
  };
  const ruleRefusal = (raw: unknown): DecisionRefusal | undefined => {
    const checked = checkDecision(raw, decisionContext());
    return checked.ok ? undefined : checked.refusal;
  };
  /** The check that needs the world: the control API's signature (an activity). */
  const unverified = async (d: Decision): Promise<DecisionRefusal | undefined> => {
    if (!signaturesRequired) return undefined;
    if (!d.signature || !d.nonce) {
      return {
        code: 'decision-unsigned',
        message: 'the decision carries no control-API signature: decisions reach a case only through the control API',
      };
    }
    usedNonces.add(d.nonce);
    const verdict = await decisionChecks.verifyDecision(workflowId, d);
    return verdict.ok ? undefined : verdict.refusal;
  };
  /** Replay, rules, signature, then the rules again. */
  const admit = async (raw: unknown): Promise<DecisionAccepted | DecisionRefusal> => {
    const replay = replayed(raw);
    if (replay) return replay;
    const checked = checkDecision(raw, decisionContext());
    if (!checked.ok) return checked.refusal;
    // The case may move while the signature is checked: the rules are asked again after it.
    const refusal = (await unverified(checked.decision)) ?? ruleRefusal(raw);
    return refusal ?? accept(checked.decision);
  };
  const isRefusal = (r: DecisionAccepted | DecisionRefusal): r is DecisionRefusal => 'code' in r;

  setHandler(status, () => p);
  setHandler(
    decide,
    async (raw) => {
      const result = await admit(raw);
      if (!isRefusal(result)) return result;
      // Past the validator the Update is in history: its refusal is recorded for the audit.
      refuse(raw, result, 'update');
      throw ApplicationFailure.nonRetryable(result.message, result.code);
    },
    {
      // The validator runs before anything is written: a decision the rules refuse leaves no trace in history.
      validator: (raw) => {
        const refusal = replayed(raw) ?? ruleRefusal(raw);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.code);
      },
    },
  );
  setHandler(decision, async (raw) => {
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
  const enter = (stage: CaseStage, details: string) => {
    p.stage = stage;
    upsertSearchAttributes([{ key: CaseStageKey, value: stage }]);
    show(details);
  };

  const parsed = CaseRegistration.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    p.reason = `invalid registration: ${detail}`;
    setStatus('FAILED', p.reason);
    return p;
  }
  const reg = parsed.data;
  disposalQuorum = reg.approvals?.disposalPlan ?? 1;
  signaturesRequired = reg.decisionSigning === 'required';
  upsertSearchAttributes([
    { key: CaseIdKey, value: reg.caseId },
    { key: CaseAgencyKey, value: reg.agency },
    { key: CaseStageKey, value: p.stage },
    { key: CaseStatusKey, value: p.status },
  ]);

  try {
    await runCase(reg);
    const paid = [
      p.restitution ? `paid ${p.restitution.totalToVictims} CNY to ${p.restitution.payments.length} victims` : '',
      p.remittance ? `remitted ${p.remittance.amount} CNY to the treasury (receipt ${p.remittance.receiptNo})` : '',
    ].filter(Boolean);
    setStatus('COMPLETED', `${paid.join('; ')}; reconciled`);
  } catch (error) {
    const stop = asCaseStop(error, p.stage);
    p.reason = stop.reason;
    if (p.compensations.length > 0) {
      // Saga seam (issue #3 runs the undos). Until then a person does them, newest first.
      log.warn('case stopped with steps to undo', { undo: [...p.compensations].reverse() });
    }
    setStatus(stop.status, stop.reason);
  }
  // Let an in-flight Update handler answer before the workflow closes.
  await condition(allHandlersFinished);
  return p;

  async function runCase(reg: CaseRegistration): Promise<void> {
    const caseId = reg.caseId;
    const key = (...step: string[]) => stepKey(workflowId, ...step);
    const assets = [...new Set(reg.lots.map((l) => l.asset))];
    const { stablecoin, fiat } = reg.disposal;
    const decisionDays = reg.deadlines?.decisionDays ?? DEFAULT_DECISION_DAYS;

    const leftover = (asset: string, amount: Decimal, reason: string) => {
      if (amount.gt(0)) p.leftovers.push({ asset, amount: amount.toFixed(), where: 'venue', reason });
    };

    /** Wait for a person; `undefined` when the deadline passed first. */
    const awaitDecision = async (stage: DecisionStage, what: string): Promise<Decision | undefined> => {
      const now = Date.now(); // workflow time: deterministic
      // A stage can be waited on again (the FX declaration after a resubmission): only a new decision counts.
      delete accepted[stage];
      p.awaiting = {
        stage,
        since: new Date(now).toISOString(),
        deadline: new Date(now + decisionDays * DAY_MS).toISOString(),
      };
      setStatus('AWAITING_DECISION', `waiting for ${what} (${stage}) until ${p.awaiting.deadline}`);
      // Issue #3 adds reminders and escalation before this deadline.
      await condition(() => accepted[stage] !== undefined, decisionDays * DAY_MS);
      p.awaiting = undefined;
      // A decision accepted in the same moment the deadline fired was answered as accepted: it stands.
      const d = accepted[stage];
      if (!d) return undefined;
      setStatus('RUNNING', `${stage} ${d.outcome} by ${d.decidedBy}`);
      return d;
    };

    // 1. INTAKE
    enter('INTAKE', `opening custody accounts for ${assets.join(', ')}`);
    for (const asset of assets) {
      p.accounts.push(
        await calls.openCustodyAccount({ caseId, asset, chain: common.CHAIN_OF_ASSET[asset] }, key('account', asset)),
      );
    }
    for (const lot of reg.lots) {
      show(`recording intake of lot ${lot.lotId}: ${lot.declaredAmount} ${lot.asset} (waits for confirmations)`);
      p.intakes.push(
        await intakes.recordIntake(
          {
            caseId,
            lotId: lot.lotId,
            asset: lot.asset,
            chain: lot.chain,
            declaredAmount: lot.declaredAmount,
            txHash: lot.sweepTxHash,
            evidence: lot.evidence,
          },
          key('intake', lot.lotId),
        ),
      );
    }
    const discrepancies = p.intakes.filter((i) => i.status === 'DISCREPANCY');
    if (discrepancies.length > 0) {
      // Seam for issue #3: a supervisor rules on the discrepancy (accept the received amount or investigate).
      throw new CaseStop(
        'HELD',
        `intake discrepancy: ${discrepancies
          .map((i) => `lot ${i.lotId} declared ${i.declaredAmount} ${i.asset}, received ${i.receivedAmount}`)
          .join('; ')}; the coins stay in custody until a supervisor rules`,
      );
    }

    // 2. AUTHORISATION
    enter('AUTHORISATION', 'waiting for the supervisor to approve the disposal plan');
    const plan = await awaitDecision('DISPOSAL_PLAN', 'a supervisor to approve the disposal plan');
    if (!plan) {
      throw new CaseStop(
        'HELD',
        `no decision on the disposal plan within ${decisionDays} days; the assets stay in custody`,
      );
    }
    if (plan.outcome === 'REJECT') {
      throw new CaseStop(
        'REJECTED',
        `disposal plan rejected by ${plan.decidedBy}: ${plan.reason ?? 'no reason given'}; the assets stay in custody`,
      );
    }

    // 3. TRANSFER: the whole custody balance of each asset to the venue's whitelisted deposit address.
    enter('TRANSFER', `moving ${assets.join(', ')} from custody to ${reg.disposal.venue}`);
    for (const asset of assets) {
      const chain = common.CHAIN_OF_ASSET[asset];
      const depositAddress = await calls.getDepositAddress(asset, chain);
      const leg: AssetTransfer = { asset, depositAddress };
      p.transfers.push(leg);
      leg.whitelistEntry = await calls.addWhitelistEntry(
        {
          chain,
          address: depositAddress.address,
          label: `${depositAddress.venue} deposit address for ${asset}`,
          requestedBy: reg.requestedBy,
        },
        key('whitelist', asset),
      );
      const account = await calls.getCustodyAccount(caseId, asset);
      if (!new Decimal(account.balance).gt(0)) throw new CaseStop('HELD', `custody holds no ${asset} for the case`);
      leg.transfer = await calls.requestTransfer(
        { caseId, asset, chain, toAddress: depositAddress.address, amount: account.balance, purpose: 'VENUE_DEPOSIT' },
        key('transfer', asset),
      );
      if (leg.transfer.status === 'FAILED') {
        throw new CaseStop(
          'HELD',
          `the chain refused transfer ${leg.transfer.transferId} of ${asset}; the coins stay in custody`,
        );
      }
      p.compensations.push({
        step: `transfer ${asset} ${leg.transfer.transferId}`,
        undo: `return ${leg.transfer.netAmount} ${asset} from ${depositAddress.venue} to custody`,
      });
      show(
        `waiting for ${depositAddress.venue} to credit ${leg.transfer.netAmount} ${asset} (tx ${leg.transfer.txHash})`,
      );
      leg.deposit = await depositWaits.awaitVenueDeposit({ caseId, asset, txHash: leg.transfer.txHash });
    }

    // 4. SALE: each coin into the stablecoin, then the whole stablecoin into fiat.
    enter('SALE', `selling into ${stablecoin}, then ${fiat}`);
    /** Sell `amount` of base for quote as the market's rules allow; returns the quote proceeds (cost - fee). */
    const sell = async (base: string, quote: string, amount: Decimal): Promise<Decimal> => {
      const symbol = `${base}/${quote}`;
      const rules = await calls.getMarketRules(base, quote);
      const plan = planSale(amount, rules);
      leftover(
        base,
        plan.unsold,
        `below the venue's lot size (${rules.stepSize}) or minimum (${rules.minQty}) for ${symbol}`,
      );
      let proceeds = new Decimal(0);
      for (const [i, qty] of plan.slices.entries()) {
        proceeds = proceeds.plus(await sellSlice(base, quote, qty, i + 1, plan.slices.length));
      }
      return proceeds;
    };
    const sellSlice = async (base: string, quote: string, qty: Decimal, n: number, of: number): Promise<Decimal> => {
      const symbol = `${base}/${quote}`;
      const id = clientOrderId(workflowId, symbol, n);
      const leg: SaleLeg = { symbol, clientOrderId: id, amount: qty.toFixed() };
      p.sales.push(leg);
      show(`selling ${leg.amount} ${base} for ${quote}${of > 1 ? ` (slice ${n} of ${of})` : ''}, order ${id}`);
      let order = await calls.placeSellOrder(
        { caseId, clientOrderId: id, symbol, type: 'market', amount: leg.amount },
        n === 1 ? key('order', base, quote) : key('order', base, quote, `slice-${n}`),
      );
      leg.order = order;
      if (order.status === 'open') {
        order = await orderWaits.awaitOrderDone(id);
        leg.order = order;
      }
      const filled = new Decimal(order.filled);
      if (order.status !== 'closed' && filled.eq(0)) {
        throw new CaseStop(
          'HELD',
          `order ${id} (${symbol}) ended ${order.status} with nothing sold; ${leg.amount} ${base} stay at the venue`,
        );
      }
      if (new Decimal(order.fee).gt(0) && order.feeCurrency !== quote) {
        throw new CaseStop(
          'HELD',
          `order ${id} (${symbol}) charged its fee in ${order.feeCurrency}, not ${quote}; a person must book it`,
        );
      }
      // What the venue did not fill stays there, recorded.
      leftover(
        base,
        qty.minus(filled),
        `the venue sold ${order.filled} of ${leg.amount} (order ${id} ${order.status})`,
      );
      return new Decimal(order.cost).minus(order.fee);
    };

    let stable = sum(p.transfers.filter((t) => t.asset === stablecoin).map((t) => t.deposit?.amount ?? '0'));
    for (const t of p.transfers) {
      if (t.asset === stablecoin || !t.deposit) continue;
      stable = stable.plus(await sell(t.asset, stablecoin, new Decimal(t.deposit.amount)));
    }
    const stableToSell = roundDownTo(stable, stablecoin);
    leftover(stablecoin, stableToSell.remainder, `below the smallest unit of ${stablecoin}`);
    if (!stableToSell.rounded.gt(0)) throw new CaseStop('HELD', `no ${stablecoin} to sell for ${fiat}`);
    const fiatProceeds = await sell(stablecoin, fiat, stableToSell.rounded);
    // Sold: the coins are no longer at the venue to be returned (what stayed there is in `leftovers`).
    p.compensations = [];

    // 5. WITHDRAWAL: the fiat to the offshore bank account.
    const fiatToWithdraw = roundDownTo(fiatProceeds, fiat);
    leftover(fiat, fiatToWithdraw.remainder, `below the smallest unit of ${fiat}`);
    if (!fiatToWithdraw.rounded.gt(0)) throw new CaseStop('HELD', `no ${fiat} to withdraw`);
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
      withdrawal = await withdrawalWaits.awaitWithdrawalCompleted(withdrawal.withdrawalId);
      p.withdrawal = withdrawal;
    }
    if (!new Decimal(withdrawal.netAmount).gt(0))
      throw new CaseStop('HELD', `the withdrawal ${withdrawal.withdrawalId} brought nothing after fees`);

    // 6. FX: declare, wait for the regulator's decision (recorded by an FX officer), settle into CNY.
    enter('FX', `declaring ${withdrawal.netAmount} ${fiat} for settlement into CNY`);
    const documents = reg.legalBasis.documentSha256
      ? [{ name: reg.legalBasis.reference, sha256: reg.legalBasis.documentSha256 }]
      : [];
    p.declaration = await calls.createDeclaration(
      {
        caseId,
        currency: fiat,
        amount: withdrawal.netAmount,
        transactionCode: reg.fx.transactionCode,
        purpose: reg.fx.purpose,
        remitter: reg.fx.remitter,
        beneficiary: reg.fx.beneficiary,
        documents,
        // Where the waterfall starts: what left the venue and the venue's fee.
        venueWithdrawal: { withdrawalId: withdrawal.withdrawalId, grossAmount: withdrawal.amount, fee: withdrawal.fee },
        preparedBy: reg.requestedBy,
      },
      key('fx-declaration'),
    );
    const declarationId = p.declaration.declarationId;
    p.declaration = await calls.submitDeclaration(
      declarationId,
      { submittedBy: reg.requestedBy },
      key('fx-declaration', 'submit'),
    );
    // The declaration deadline runs from the funds' arrival at the bank, in working days: a reminder the
    // working day before, overdue (escalated) after. Reported in the status; issue #3 notifies people.
    const fxDays = reg.deadlines?.fxDeclarationWorkingDays ?? DEFAULT_FX_DECLARATION_WORKING_DAYS;
    const fundsArrivedAt = new Date(Date.now());
    const fxDeadline = {
      fundsArrivedAt: fundsArrivedAt.toISOString(),
      remindAt: addWorkingDays(fundsArrivedAt, fxDays - 1).toISOString(),
      dueBy: addWorkingDays(fundsArrivedAt, fxDays).toISOString(),
      state: 'OPEN' as 'OPEN' | 'REMINDED' | 'OVERDUE' | 'MET',
    };
    p.fxDeadline = fxDeadline;
    const fxApproved = () => fxDeadline.state === 'MET';
    void (async () => {
      if (!(await condition(fxApproved, Math.max(1000, Date.parse(fxDeadline.remindAt) - Date.now())))) {
        fxDeadline.state = 'REMINDED';
        log.warn('FX declaration due soon', { dueBy: fxDeadline.dueBy });
      }
      if (!(await condition(fxApproved, Math.max(1000, Date.parse(fxDeadline.dueBy) - Date.now())))) {
        fxDeadline.state = 'OVERDUE';
        log.error('FX declaration overdue: escalated', { dueBy: fxDeadline.dueBy });
      }
    })();

    // The regulator decides; a rejection waits for a supervisor to resubmit (after dealing with its
    // grounds) or to hold the case. Each round has its own keys.
    for (let round = 1; ; round++) {
      const suffix = round === 1 ? [] : [`round-${round}`];
      const fxDecision = await awaitDecision('FX_DECLARATION', "an FX officer to record the regulator's decision");
      if (!fxDecision) {
        throw new CaseStop(
          'HELD',
          `no decision on FX declaration ${p.declaration.declarationNo} within ${decisionDays} days; ${withdrawal.netAmount} ${fiat} wait in the offshore account`,
        );
      }
      p.declaration = await calls.recordFxDecision(
        declarationId,
        {
          decision: fxDecision.outcome === 'APPROVE' ? 'APPROVED' : 'REJECTED',
          decidedBy: fxDecision.decidedBy,
          regulatorReference: fxDecision.reference ?? '',
          reason: fxDecision.reason,
        },
        key('fx-declaration', 'decision', ...suffix),
      );
      if (fxDecision.outcome === 'APPROVE') {
        fxDeadline.state = 'MET';
        break;
      }
      const rejected = `the regulator rejected FX declaration ${p.declaration.declarationNo} (${fxDecision.reference}): ${fxDecision.reason ?? ''}`;
      const again = await awaitDecision('FX_RESUBMISSION', `a supervisor to resubmit or hold (${rejected})`);
      if (!again || again.outcome === 'REJECT') {
        throw new CaseStop(
          'HELD',
          `${rejected}; ${again ? `not resubmitted (${again.decidedBy}: ${again.reason ?? ''})` : `no decision to resubmit within ${decisionDays} days`}; ${withdrawal.netAmount} ${fiat} wait in the offshore account`,
        );
      }
      p.declaration = await calls.submitDeclaration(
        declarationId,
        {
          submittedBy: reg.requestedBy,
          note: `resubmitted after ${fxDecision.reference}, approved by ${again.decidedBy}`,
        },
        key('fx-declaration', 'submit', `round-${round + 1}`),
      );
    }
    // One tranche for now. The bank's own reference arrives with the FX officer's settlement record in
    // a later issue; until then the tranche is referenced by the workflow's own key.
    p.settlement = await calls.settleDeclaration(
      declarationId,
      { amount: withdrawal.netAmount, bankReference: key('settlement', '1') },
      key('fx-settlement', '1'),
    );

    // 7. TREASURY: credit the special account; with a court restitution order, register it; a supervisor
    // approves the pay-out; the victims are paid as the order says and the rest is remitted to the treasury.
    enter('TREASURY', `crediting ${p.settlement.cnyAmount} CNY to the special case-property account`);
    p.credit = await calls.recordCredit(
      {
        caseId,
        agency: reg.agency,
        amount: p.settlement.cnyAmount,
        fxSettlementId: p.settlement.settlementId,
        bankReference: p.settlement.bankReference,
      },
      key('treasury-credit', p.settlement.settlementId),
    );
    if (reg.restitution) {
      p.restitutionOrder = await calls.registerRestitutionOrder(
        { ...reg.restitution, caseId, registeredBy: reg.requestedBy },
        key('restitution-order'),
      );
    }
    const caseAccount = await calls.getTreasuryStatement(caseId);
    if (!new Decimal(caseAccount.balance).gt(0)) throw new CaseStop('HELD', 'the case account holds nothing to remit');
    const payOut = reg.restitution
      ? `${caseAccount.balance} CNY to the victims of court order ${reg.restitution.courtOrderRef} and the rest to the treasury`
      : `${caseAccount.balance} CNY to the treasury`;
    const remit = await awaitDecision('REMITTANCE', `a supervisor to approve paying ${payOut}`);
    if (!remit || remit.outcome === 'REJECT') {
      throw new CaseStop(
        'HELD',
        `${remit ? `pay-out rejected by ${remit.decidedBy}: ${remit.reason ?? ''}` : `no remittance decision within ${decisionDays} days`}; ${caseAccount.balance} CNY stay in the special account`,
      );
    }
    if (p.restitutionOrder) {
      p.restitution = await calls.distributeRestitution(
        {
          caseId,
          restitutionOrderId: p.restitutionOrder.restitutionOrderId,
          amount: caseAccount.balance,
          approvedBy: remit.decidedBy,
        },
        key('restitution'),
      );
    }
    const remaining = p.restitution ? new Decimal(p.restitution.toTreasury) : new Decimal(caseAccount.balance);
    if (remaining.gt(0)) {
      p.remittance = await calls.requestRemittance(
        {
          caseId,
          amount: remaining.toFixed(2),
          budgetClassificationCode: reg.treasury.budgetClassificationCode,
          approvedBy: remit.decidedBy,
        },
        key('remittance'),
      );
    }

    // 8. RECONCILIATION: every unit from custody to the treasury, from each service's own records.
    enter('RECONCILIATION', 'checking conservation across custody, venue, FX and treasury');
    const [ledger, statement, declarations, treasuryStatement] = await Promise.all([
      calls.getCustodyLedger(caseId),
      calls.getExchangeStatement(caseId),
      calls.listDeclarations(caseId),
      calls.getTreasuryStatement(caseId),
    ]);
    p.reconciliation = reconcile({
      stablecoin,
      fiat,
      ledger,
      statement,
      declarations,
      treasury: treasuryStatement,
      leftovers: p.leftovers,
    });
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
  // Anything else is a bug in this workflow: let Temporal fail the task so it is fixed and replayed.
  throw error;
}
