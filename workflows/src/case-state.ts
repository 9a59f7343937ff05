/**
 * What the case workflow knows and reports: the `status` query's answer and the workflow's result.
 * Types only (plus the enums), so the control API and the tests read the same shape.
 */
import type { custody, exchange, fx, treasury } from '@vcdc/shared/contracts';
import type { CaseRegistration } from './case-input';
import type { Decision, DecisionRefusalCode, DecisionStage } from './decision';
import type { Reconciliation } from './reconcile';

export const CASE_STAGES = [
  'INTAKE',
  'AUTHORISATION',
  'TRANSFER',
  'SALE',
  'WITHDRAWAL',
  'FX',
  'TREASURY',
  'RECONCILIATION',
] as const;
export type CaseStage = (typeof CASE_STAGES)[number];

export const CASE_STATUSES = ['RUNNING', 'AWAITING_DECISION', 'COMPLETED', 'REJECTED', 'HELD', 'FAILED'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface RefusedDecision {
  /** What was sent, as sent (it may be malformed). */
  decision: unknown;
  code: DecisionRefusalCode;
  reason: string;
  /** Workflow time when it was refused. */
  at: string;
  via: 'signal' | 'update';
}

export interface AssetTransfer {
  asset: custody.CustodyAccount['asset'];
  depositAddress: exchange.DepositAddress;
  whitelistEntry?: custody.WhitelistEntry;
  transfer?: custody.Transfer;
  deposit?: exchange.VenueDeposit;
}

export interface SaleLeg {
  /** e.g. "BTC/USDT" */
  symbol: string;
  clientOrderId: string;
  /** What the workflow asked to sell. */
  amount: string;
  order?: exchange.VenueOrder;
}

/** Value the workflow could not move on and left where it is, with why: never silently dropped. */
export interface Leftover {
  asset: string;
  amount: string;
  where: 'venue';
  reason: string;
}

/** An undo registered after a step succeeded (saga). Issue #3 runs them; for now a held case lists them for a person. */
export interface Compensation {
  step: string;
  undo: string;
}

export interface CaseProgress {
  caseId: string;
  workflowId: string;
  agency: string;
  requestedBy: string;
  stage: CaseStage;
  status: CaseStatus;
  /** Human-readable one-liner, the same text as the Web UI's current details. */
  details: string;
  /** Why the case is HELD, REJECTED or FAILED. */
  reason?: string;
  awaiting?: { stage: DecisionStage; since: string; deadline: string };
  decisions: { accepted: Decision[]; refused: RefusedDecision[] };
  accounts: custody.CustodyAccount[];
  intakes: custody.Intake[];
  transfers: AssetTransfer[];
  sales: SaleLeg[];
  withdrawal?: exchange.VenueWithdrawal;
  declaration?: fx.Declaration;
  settlement?: fx.Settlement;
  credit?: treasury.Credit;
  /** The FX declaration deadline (working days after the funds reached the bank) and how far it has run. */
  fxDeadline?: {
    fundsArrivedAt: string;
    dueBy: string;
    remindAt: string;
    state: 'OPEN' | 'REMINDED' | 'OVERDUE' | 'MET';
  };
  /** The court's restitution order as registered with the treasury, and its distribution to the victims. */
  restitutionOrder?: treasury.RestitutionOrder;
  restitution?: treasury.RestitutionDistribution;
  remittance?: treasury.Remittance;
  reconciliation?: Reconciliation;
  leftovers: Leftover[];
  compensations: Compensation[];
}

export type CaseOutcome = CaseProgress;

export type { CaseRegistration };
