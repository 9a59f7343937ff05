/**
 * The FX service's HTTP contract: each route with the schemas it parses with (contracts/fx.ts and the
 * path and query schemas here). app.ts mounts the routes with these very schemas;
 * GET /openapi.json is generated from this table (shared http/openapi.ts), and test/openapi.test.ts
 * holds the two together. Callers (the activities) name a route of the table and are typed by its
 * schemas (shared http/client.ts routeClient): no path is written twice.
 */
import { type ApiRoute, checkScale, Decimal, type RouteTable, routeList } from '@vcdc/shared';
import { common, fx } from '@vcdc/shared/contracts';
import { z } from 'zod';

/** The declared amount must be whole cents of its currency: a declaration is never rounded. */
export const CreateDeclarationInput = fx.CreateDeclaration.superRefine((input, ctx) => {
  checkScale(ctx, ['amount'], input.amount, input.currency);
  // What arrived at the bank is what left the venue less the venue's fee: otherwise money is missing.
  const w = input.venueWithdrawal;
  if (w && /^\d+(\.\d+)?$/.test(w.fee) && !new Decimal(w.grossAmount).minus(w.fee).eq(input.amount)) {
    ctx.addIssue({
      code: 'custom',
      path: ['venueWithdrawal', 'grossAmount'],
      message: `gross ${w.grossAmount} less fee ${w.fee} must equal the declared amount ${input.amount}`,
    });
  }
});
export const RecordFxDecisionInput = fx.RecordFxDecision.strict();
export const RecordSettlementInput = fx.RecordSettlement.strict();
/** A correction's approval carries nothing but the approver's act (in its headers). */
export const ApproveCorrectionInput = z.strictObject({});

export const DeclarationParams = z.object({ id: z.string().min(1).max(100) });
export const RateParams = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as USD' }),
});
export const CaseParams = z.object({ caseId: common.CaseId });
export const SettlementParams = z.object({ settlementId: z.string().min(1).max(100) });
export const CorrectionParams = z.object({ correctionId: z.string().min(1).max(100) });
/** Only the corrections that wait are listed: the applied ones are in their declaration's tranches. */
export const CorrectionsQuery = z.strictObject({
  status: z.literal('PENDING_APPROVAL'),
  caseId: common.CaseId.optional(),
});

export const FX_ROUTES = {
  createDeclaration: {
    method: 'post',
    path: '/v1/declarations',
    summary: 'Create a declaration of foreign exchange (DRAFT)',
    body: CreateDeclarationInput,
    response: fx.Declaration,
    status: 201,
  },
  submitDeclaration: {
    method: 'post',
    path: '/v1/declarations/:id/submit',
    summary: 'Submit a declaration to the regulator',
    params: DeclarationParams,
    body: fx.SubmitDeclaration,
    response: fx.Declaration,
    status: 200,
  },
  recordFxDecision: {
    method: 'post',
    path: '/v1/declarations/:id/decision',
    summary: "Record the regulator's decision, carried as an FX officer's signed FX_DECLARATION decision",
    params: DeclarationParams,
    body: RecordFxDecisionInput,
    response: fx.Declaration,
    status: 200,
  },
  settleDeclaration: {
    method: 'post',
    path: '/v1/declarations/:id/settlements',
    summary: "Record a settlement tranche, as the FX officer's signed FX_SETTLEMENT decision says",
    params: DeclarationParams,
    body: RecordSettlementInput,
    response: fx.Settlement,
    status: 201,
  },
  requestSettlementCorrection: {
    method: 'post',
    path: '/v1/settlements/:settlementId/corrections',
    summary: "Request a settlement correction (an FX officer's forwarded act)",
    params: SettlementParams,
    body: fx.RequestSettlementCorrection,
    response: fx.SettlementCorrection,
    status: 201,
  },
  approveSettlementCorrection: {
    method: 'post',
    path: '/v1/settlement-corrections/:correctionId/approval',
    summary: "Approve a settlement correction (another person's forwarded act)",
    params: CorrectionParams,
    body: ApproveCorrectionInput,
    response: fx.SettlementCorrection,
    status: 201,
  },
  listSettlementCorrections: {
    method: 'get',
    path: '/v1/settlement-corrections',
    summary: 'The settlement corrections waiting for approval',
    query: CorrectionsQuery,
    response: z.object({ corrections: z.array(fx.SettlementCorrection) }),
  },
  getSettlementCorrection: {
    method: 'get',
    path: '/v1/settlement-corrections/:correctionId',
    summary: 'A settlement correction',
    params: CorrectionParams,
    response: fx.SettlementCorrection,
  },
  getDeclaration: {
    method: 'get',
    path: '/v1/declarations/:id',
    summary: 'A declaration',
    params: DeclarationParams,
    response: fx.Declaration,
  },
  getWaterfall: {
    method: 'get',
    path: '/v1/declarations/:id/waterfall',
    summary: "A declaration's waterfall: venue proceeds to the bank's credit, tranche by tranche",
    params: DeclarationParams,
    response: fx.Waterfall,
  },
  listCaseDeclarations: {
    method: 'get',
    path: '/v1/cases/:caseId/declarations',
    summary: "A case's declarations",
    params: CaseParams,
    response: z.array(fx.Declaration),
  },
  getIndicativeRate: {
    method: 'get',
    path: '/v1/rates/:currency',
    summary: "The day's indicative bank buying rate for valuing a case",
    params: RateParams,
    response: fx.IndicativeRate,
  },
} as const satisfies RouteTable;

export const FX_API: readonly ApiRoute[] = routeList(FX_ROUTES);
