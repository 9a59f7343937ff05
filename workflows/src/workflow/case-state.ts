/**
 * What the case workflow knows and reports: the `status` query's answer and the workflow's result.
 * Types only (plus the enums), so the control API and the tests read the same shape.
 */

import type { ReconciliationDifference } from '@vcdc/shared/acts/pure';
import type { custody, exchange, fx, treasury } from '@vcdc/shared/contracts';
import type { RouteChoice } from '@vcdc/shared/sale-route';
import type { DeskSettlement } from '../activities/types';
import type { NotificationKind } from '../notifications/types';
import type { CaseAmounts } from './case-amounts';
import type { CaseRegistration } from './case-input';
import type { CaseValues } from './case-values';
import type { Decision, DecisionRefusalCode, DecisionStage, Role } from './decision';
import type { HoldRecord } from './hold-resolution';
import type { AssetIntakeTotal, LotManifestRef } from './lot-manifest';
import type { ExplainedDifference, Reconciliation } from './reconcile';
import type { MessageRefusals } from './side-door';

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

export const CASE_STATUSES = [
  'RUNNING',
  'AWAITING_DECISION',
  'COMPLETED',
  'REJECTED',
  'HELD',
  'CANCELLED',
  'FAILED',
  // A held case two supervisors closed with the assets handed back (HOLD_RESOLUTION CLOSE): final.
  'CLOSED',
] as const;
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

export interface PendingDecision {
  stage: DecisionStage;
  /** What is awaited, in words. */
  what: string;
  /** The role that decides, and the role told at the escalation. */
  role: Role;
  escalateTo: Role;
  since: string;
  remindAt: string;
  escalateAt: string;
  deadline: string;
  /** Set when the reminder / escalation went out. */
  reminded?: string;
  escalated?: string;
}

export interface SentNotification {
  kind: NotificationKind;
  toRole: Role;
  stage?: string;
  at: string;
}

export interface AssetTransfer {
  asset: custody.CustodyAccount['asset'];
  depositAddress: exchange.DepositAddress;
  whitelistEntry?: custody.WhitelistEntry;
  /** The small test deposit that precedes the first bulk transfer to a new address, and its credit. */
  testTransfer?: custody.Transfer;
  testDeposit?: exchange.VenueDeposit;
  transfer?: custody.Transfer;
  deposit?: exchange.VenueDeposit;
  /** What the venue credited in all (test deposit + bulk): what is sold. */
  credited?: string;
  /** A deposit the venue held for review: since when, why, when escalated and released. */
  hold?: { txHash: string; reason: string; since: string; escalated?: string; releasedAt?: string };
  /**
   * A sale plan's leg to a venue other than the exchange service's default (its routes under
   * /v1/venues/:venueId/); absent: the default venue, as every case before sale plans.
   */
  at?: string;
}

/**
 * A lot's sale plan as the exchange service kept it (POST /v1/cases/:caseId/sale-plans, issue 16) and
 * how far each of its legs has gone: the desk's block delivered and paid, each venue's part at the
 * venue and sold. The alternatives' costs are in the service's record (the best-execution file).
 */
export interface SalePlanProgress {
  planId: string;
  asset: string;
  lot: string;
  expectedCostBp: string;
  reason: string;
  rfqId?: string;
  hurdle?: string;
  legs: SaleLegProgress[];
}

export type SaleLegProgress = exchange.SalePlanLeg & {
  /** PLANNED; a DESK leg DELIVERED then SETTLED (paid); a VENUE leg AT_VENUE (credited) then SOLD. */
  status: 'PLANNED' | 'DELIVERED' | 'SETTLED' | 'AT_VENUE' | 'SOLD';
  /** What reached the desk or the venue (net of network fees). */
  delivered?: string;
  /** A DESK leg: the custody transfers that delivered it (not returnable: the desk bought them) and what the desk paid. */
  transfers?: custody.Transfer[];
  paid?: string;
};

/** One child order of the execution engine, as it ended (the exchange service keeps the full record). */
export interface SaleLeg {
  /** e.g. "BTC/USDT" */
  symbol: string;
  clientOrderId: string;
  /** What the slice offered, its limit price and the fair reference it was priced from. */
  amount: string;
  limitPrice: string;
  reference: string;
  filled: string;
  /** Quote received before fees, and the fee. */
  cost: string;
  fee: string;
  feeCurrency: string | null;
  /** Sold at a venue other than the exchange service's default (a sale plan's leg). */
  at?: string;
}

/**
 * One round of the execution engine on a market (case-sale.ts), as the case saw it end: the arrival
 * price it sold from, the band the reference had to stay in (`bp` under the arrival price, down to
 * `lowest`), the legal floor in force, and how it ended. A round that left coins unsold (a pause of the
 * engine, or a remainder) made the case wait for a supervisor's SALE_PRICE decision: `pause`, from
 * `endedAt` until the case went on or stopped. Workflow times.
 */
export interface SaleRound {
  symbol: string;
  /** The engine's round on this market in this sale (1, then one more per decision to go on). */
  round: number;
  arrivalPrice: string;
  band: { bp: string; lowest: string };
  floor: string | null;
  status: 'COMPLETED' | 'PAUSED' | 'STOPPED';
  breach?: { kind: 'FLOOR' | 'PRICE_BAND' | 'REFUSED'; detail: string };
  /** How many of the case's `sales` this round placed: the orders of a market come round after round. */
  orders: number;
  endedAt: string;
  pause?: {
    why: string;
    /** Absent while the case waits. */
    until?: string;
    outcome?: 'APPROVE' | 'REJECT' | 'NO_DECISION';
    decidedBy?: string;
  };
}

/** Value the workflow could not move on and left where it is, with why: never silently dropped. */
export interface Leftover {
  asset: string;
  amount: string;
  where: 'venue';
  reason: string;
  /** Why, as the exchange service books it (cases since `dust-residuals`). */
  kind?: exchange.ResidualReason;
  /** What became of it (cases since `dust-residuals`; case-residuals.ts): back in custody, or booked at the venue. */
  settled?: LeftoverSettlement;
  /** At a venue other than the exchange service's default (a sale plan's leg); absent: the default. */
  at?: string;
}

/**
 * A leftover handled: sent back to the case wallet with the other dust of its coin (custody's RETURN
 * line; the venue's fee is the difference), booked as a residual line at the venue in the case's name,
 * or (a return that did not finish) left for a person, with why.
 */
export type LeftoverSettlement =
  | {
      how: 'RETURNED_TO_CUSTODY';
      /** The venue's return, which may carry this coin's other leftovers too. */
      venueReturnId: string;
      txHash: string;
      custodyReturnId: string;
      /** What custody booked for the whole return (net of the venue's fee). */
      received: string;
    }
  | { how: 'RESIDUAL_AT_VENUE'; residualId: string }
  | { how: 'UNSETTLED'; why: string };

/**
 * An undo registered after a step moved value out of custody (saga): while the coins are at the
 * venue, a stop of the case (a refusal, a deadline, a cancellation) returns what is unsold to the case
 * wallet before the case ends.
 */
export interface Compensation {
  step: string;
  undo: string;
}

/** One compensating return from the venue to the case wallet, as far as it got. */
export interface CustodyReturn {
  asset: string;
  /** The custody transfer to the venue it undoes. */
  transferId: string;
  /** What was asked back (the unsold part at the venue). */
  amount: string;
  venueReturnId?: string;
  txHash?: string;
  /** What custody verified on chain and booked back into the case wallet. */
  custodyReturnId?: string;
  received?: string;
  status: 'REQUESTED' | 'SENT' | 'RECEIVED' | 'NOTHING_TO_RETURN';
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
  /** The decision the case waits for, who takes it, and when it reminds, escalates and ends. */
  awaiting?: PendingDecision;
  /** Everything the case told people (reminders, escalations, deadlines, holds), newest last. */
  notifications: SentNotification[];
  decisions: { accepted: Decision[]; refused: RefusedDecision[] };
  accounts: custody.CustodyAccount[];
  /** Each lot's intake while the case is small (up to one batch); only those with a discrepancy when large. */
  intakes: custody.Intake[];
  /** Intake across all lots: how many are recorded, how many differ, how many batches are done. */
  intakeProgress?: { lots: number; recorded: number; discrepancies: number; batches: number; batchesDone: number };
  /**
   * A case registered by a lot manifest (lot-manifest.ts): the manifest's reference, and once its
   * intake is done what each asset declared and received, reconciled exactly to the manifest's totals.
   * Its lots are read in pages (GET /v1/cases/:caseId/lots), never through the status.
   */
  manifest?: LotManifestRef & { intake?: AssetIntakeTotal[] };
  /** What the verified intake is worth for the approval policy: per asset at the reference price, in CNY. */
  valuation?: {
    usdCny: string;
    rateDate: string;
    lines: Array<{ asset: string; amount: string; priceUsd: string; valueCny: string }>;
    valueCny: string;
  };
  /**
   * What the disposal plan's approval lets leave the case's wallets (assets, maxima, venue, the
   * policy's verdict): the control API puts it in each DISPOSAL_PLAN approval it signs, custody
   * checks every transfer against the signed approvals.
   */
  authorisationRequested?: custody.TransferAuthorisation;
  /** What the REMITTANCE approval lets leave the special account (kind, most CNY, payees); the supervisor signs it. */
  payoutRequested?: treasury.PayoutAuthorisation;
  /** While TRANSFER waits for custodians to whitelist the venue's deposit address (request, two approvals, cooling-off). */
  awaitingWhitelist?: {
    asset: string;
    chain: string;
    address: string;
    venue: string;
    entryId?: string;
    status?: string;
  };
  transfers: AssetTransfer[];
  /**
   * Each coin's sale route (direct for fiat, or through the stablecoin) and why, chosen as the SALE
   * began; `choiceId`: the exchange service's record of it (GET …/best-execution lists it).
   */
  routes: (RouteChoice & { choiceId: string })[];
  sales: SaleLeg[];
  /** Each round of the execution engine: its band, floor and pause (cases whose sale ran with this field). */
  saleRounds?: SaleRound[];
  withdrawal?: exchange.VenueWithdrawal;
  /**
   * A case sold by sale plans: each lot's plan and its legs; each venue's wire and each desk's payment
   * to the offshore account (`withdrawal` is then their total, what FX declares).
   */
  salePlans?: SalePlanProgress[];
  withdrawals?: exchange.VenueWithdrawal[];
  deskSettlements?: DeskSettlement[];
  declaration?: fx.Declaration;
  /** How much of the approved amount the bank has settled into CNY so far. */
  fxSettlement?: { amount: string; settled: string; remaining: string };
  /** Each tranche the bank settled (recorded by an FX officer), and its credit to the special account. */
  settlements: fx.Settlement[];
  credits: treasury.Credit[];
  /** The regulator's round the FX declaration is in (1, then one more per resubmission): a resumed case goes on in it. */
  fxRound?: number;
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
  /** A pre-trial sale's escrow, and the judgment that released it. */
  escrow?: treasury.Escrow;
  /** On an acquittal: the proceeds paid back to the owner. */
  ownerReturn?: treasury.OwnerReturn;
  /**
   * The reconciliation before the pay-out (issue 13): every stage net of its fees and charges, the
   * credited CNY all in the case account. Unexplained differences stop the pay-out (RECONCILIATION).
   */
  reconciliationBeforePayout?: Reconciliation;
  /** While RECONCILIATION is awaited: the differences a supervisor is asked to explain or hold on. */
  reconciliationAsked?: ReconciliationDifference[];
  /** Differences a supervisor approved, each its own line in both reconciliations. */
  explainedDifferences: ExplainedDifference[];
  /** The closing reconciliation, after the pay-out. */
  reconciliation?: Reconciliation;
  /**
   * The services' audit chains as signed at each stage change of the case (issue 12): the signed
   * checkpoints themselves are the activities' results in the case's history, a copy outside the
   * databases; `off` chains sign none.
   */
  auditCheckpoints: Array<{ stage: string; chain: string; seq: number; hash: string; at: string }>;
  leftovers: Leftover[];
  /**
   * The case books its leftovers in the services' records (returns to custody, residuals at the
   * venue; patch `dust-residuals`): its reconciliation counts those lines, not `leftovers`.
   */
  residualsBooked?: boolean;
  compensations: Compensation[];
  returns: CustodyReturn[];
  /**
   * Every hold of the case (hold-resolution.ts): where and why it stopped, what custody held, which
   * paths it allowed, and the resolution two supervisors approved (who, why, the path taken).
   */
  holds?: HoldRecord[];
  /** The authorised cancellation, once taken: who, why, and at which stage. */
  cancellation?: { decidedBy: string; reason: string; at: string; stage: CaseStage };
  /**
   * Messages sent to the case through Temporal directly that it refused or did not obey (too large,
   * undecodable, of an unknown name, a cancellation request): by digest, the newest few; absent
   * until the first. Each is in the control API's audit chain too (side-door.ts).
   */
  refusedMessages?: MessageRefusals;
  /** The case's value in USD as far as known (the fiat proceeds once sold), for the ValueUsd search attribute. */
  valueUsd?: string;
  /**
   * The amounts in base units (satoshi, wei, micro-USDT) beside the decimal, per lot and totalled across
   * the case's lots per asset: computed by the `status` query when asked (case-amounts.ts), not kept.
   */
  amounts?: CaseAmounts;
  /** The case's value at seizure, at disposal and distributed (case-values.ts): computed when asked, like `amounts`. */
  values?: CaseValues;
}

export type CaseOutcome = CaseProgress;

export type { CaseRegistration };
