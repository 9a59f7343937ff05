/**
 * The treasury service's HTTP contract: each route with the schemas it parses with (contracts/treasury.ts
 * and the path and query schemas here). app.ts mounts the routes with these very schemas;
 * GET /openapi.json is generated from this table (shared http/openapi.ts), and test/openapi.test.ts
 * holds the two together. Callers (the activities) name a route of the table and are typed by its
 * schemas (shared http/client.ts routeClient): no path is written twice.
 */
import { type ApiRoute, amountOf, type RouteTable, routeList, withScaleOf } from '@vcdc/shared';
import { common, treasury } from '@vcdc/shared/contracts';
import { z } from 'zod';

// The account holds CNY: amounts are whole fen, never rounded here.
export const RecordCreditInput = treasury.RecordCredit.extend({ amount: amountOf('CNY') });
export const RequestRemittanceInput = treasury.RequestRemittance.extend({ amount: amountOf('CNY') });
export const DistributeInput = treasury.DistributeRestitution.extend({ amount: amountOf('CNY') });
export const ReturnToOwnerInput = treasury.ReturnToOwner.extend({ amount: amountOf('CNY') });
// A corrected amount may be zero (the entry should not have been booked), so not amountOf (positive).
export const CorrectEntryInput = treasury.CorrectEntry.extend({
  correctedAmount: withScaleOf(treasury.CorrectEntry.shape.correctedAmount, 'CNY'),
});
export const JudgmentInput = treasury.JudgmentRequest.strict();
/** A follow-up remittance's approval carries nothing but the approver's act (in its headers). */
export const FollowUpInput = z.strictObject({});

export const CaseParams = z.object({ caseId: common.CaseId });
export const CorrectionParams = z.object({ correctionId: z.string().min(1).max(100) });
/** Only the corrections that wait are listed: the applied ones are in the case's statement. */
export const CorrectionsQuery = z.strictObject({
  status: z.literal('PENDING_APPROVAL'),
  caseId: common.CaseId.optional(),
});
export const ReceivableParams = z.object({ receivableId: z.string().min(1).max(100) });
export const VictimParams = z.object({
  restitutionOrderId: z.string().min(1).max(100),
  victimId: z.string().min(1).max(64),
});

export const TREASURY_ROUTES = {
  recordCredit: {
    method: 'post',
    path: '/v1/credits',
    summary: "Book a bank credit of the case's proceeds to the case account",
    body: RecordCreditInput,
    response: treasury.Credit,
    status: 201,
  },
  requestRemittance: {
    method: 'post',
    path: '/v1/remittances',
    summary: 'Remit to the state treasury, as the signed REMITTANCE decision allows',
    body: RequestRemittanceInput,
    response: treasury.Remittance,
    status: 201,
  },
  registerRestitutionOrder: {
    method: 'post',
    path: '/v1/restitution-orders',
    summary: "Register a court's restitution order with its victims' claims",
    body: treasury.RegisterRestitutionOrder,
    response: treasury.RestitutionOrder,
    status: 201,
  },
  distributeRestitution: {
    method: 'post',
    path: '/v1/restitution-distributions',
    summary: 'Distribute an amount to the victims of a restitution order',
    body: DistributeInput,
    response: treasury.RestitutionDistribution,
    status: 201,
  },
  getVictimStatement: {
    method: 'get',
    path: '/v1/restitution-orders/:restitutionOrderId/victims/:victimId/statement',
    summary: "A victim's statement under a restitution order",
    params: VictimParams,
    response: treasury.VictimStatement,
  },
  openEscrow: {
    method: 'post',
    path: '/v1/escrows',
    summary: "Hold a case's proceeds in escrow until the judgment",
    body: treasury.OpenEscrow,
    response: treasury.Escrow,
    status: 201,
  },
  recordJudgment: {
    method: 'post',
    path: '/v1/judgments',
    summary: "Record the court's judgment on an escrow (a signed decision)",
    body: JudgmentInput,
    response: treasury.Escrow,
    status: 201,
  },
  returnToOwner: {
    method: 'post',
    path: '/v1/owner-returns',
    summary: 'Return proceeds to their owner, as the signed decision allows',
    body: ReturnToOwnerInput,
    response: treasury.OwnerReturn,
    status: 201,
  },
  requestCorrection: {
    method: 'post',
    path: '/v1/corrections',
    summary: "Request a correction of a booked entry (a person's forwarded act)",
    body: CorrectEntryInput,
    response: treasury.CorrectionRequest,
    status: 201,
  },
  approveCorrection: {
    method: 'post',
    path: '/v1/corrections/:correctionId/approval',
    summary: "Approve a correction (another person's forwarded act)",
    params: CorrectionParams,
    body: treasury.ApproveCorrection,
    response: treasury.Correction,
    status: 201,
  },
  remitFollowUp: {
    method: 'post',
    path: '/v1/corrections/:correctionId/follow-up-remittance',
    summary: 'Remit what a correction left owing to the treasury (a forwarded act)',
    params: CorrectionParams,
    body: FollowUpInput,
    response: treasury.Remittance,
    status: 201,
  },
  recordRecovery: {
    method: 'post',
    path: '/v1/recovery-receivables/:receivableId/recovery',
    summary: 'Record money recovered against a receivable (a forwarded act)',
    params: ReceivableParams,
    body: treasury.RecordRecovery,
    response: treasury.Recovery,
    status: 201,
  },
  listCorrections: {
    method: 'get',
    path: '/v1/corrections',
    summary: 'The corrections waiting for approval',
    query: CorrectionsQuery,
    response: z.object({ corrections: z.array(treasury.CorrectionRequest) }),
  },
  getCorrection: {
    method: 'get',
    path: '/v1/corrections/:correctionId',
    summary: 'A correction request',
    params: CorrectionParams,
    response: treasury.CorrectionRequest,
  },
  getStatement: {
    method: 'get',
    path: '/v1/cases/:caseId/statement',
    summary: "The case account's statement",
    params: CaseParams,
    response: treasury.CaseStatement,
  },
} as const satisfies RouteTable;

export const TREASURY_API: readonly ApiRoute[] = routeList(TREASURY_ROUTES);
