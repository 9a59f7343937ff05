/**
 * The FX service's HTTP API (contract: packages/shared/src/contracts/fx.ts). Routes are thin: they
 * parse, call the domain modules on the idempotency layer's transaction, and answer.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import {
  acceptDecision,
  actProblem,
  actRoute,
  appendAuditRecord,
  assertActOnCase,
  assertProviderStandingIn,
  assertSchemaCurrent,
  audited,
  CORRECTOR_FIELDS,
  createServiceApp,
  idempotent,
  type Logger,
  noNamedPerson,
  type Pool,
  Problem,
  type ProviderRegister,
  parseInput,
  recordSignedAct,
  workflowActor,
} from '@vcdc/shared';
import { fx } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import {
  ApproveCorrectionInput,
  CaseParams,
  CorrectionParams,
  CorrectionsQuery,
  CreateDeclarationInput,
  DeclarationParams,
  FX_API,
  RateParams,
  RecordFxDecisionInput,
  RecordSettlementInput,
  SettlementParams,
} from './api';
import { declarationTransition, settlementCorrection, settlementTranche } from './audit-records';
import {
  appendTransition,
  createDeclaration,
  listCaseDeclarations,
  loadDeclaration,
  lockDeclaration,
  transitionDeclaration,
} from './declarations';
import type { RateSource } from './rate-source';
import {
  approveSettlementCorrection,
  loadSettlementCorrection,
  pendingSettlementCorrections,
  requestSettlementCorrection,
} from './settlement-corrections';
import { settleDeclaration } from './settlements';
import { declarationWaterfall } from './waterfall';

export const FX_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export interface FxAppDeps {
  pool: Pool;
  logger: Logger;
  rateSource: RateSource;
  /** The service's clock (timestamps, declaration numbers, the rate date); injectable for tests. */
  clock?: () => Date;
  /** The database role the pool must be working as (`fx_service`), checked by /readyz. */
  serviceRole?: string;
  /**
   * The control API's act verify keys: the regulator's decision and each settlement are people's
   * signed decisions, which the workflow carries here and this service verifies against these.
   */
  actVerifyKeys: KeyObject[];
  /**
   * The bank settlements are made with, and the register of licensed providers it must be in good
   * standing in (the exchange's) on the day a tranche is recorded.
   */
  settlementBank: { providerId: string; register: ProviderRegister };
}

/** The routes that carry a person's signed act: the only changing routes the control API's credential may call. */
export const FX_ACT_ROUTES: readonly RegExp[] = [
  /^\/v1\/settlements\/[^/]+\/corrections$/,
  /^\/v1\/settlement-corrections\/[^/]+\/approval$/,
];

export function createApp({
  pool,
  logger,
  rateSource,
  clock = () => new Date(),
  serviceRole,
  actVerifyKeys,
  settlementBank,
}: FxAppDeps): Express {
  return createServiceApp({
    service: 'fx',
    logger,
    api: { title: 'VCDC FX service', routes: FX_API },
    readiness: async () => {
      await assertSchemaCurrent(pool, FX_MIGRATIONS_DIR);
    },
    // GET /v1/audit/records and /v1/audit/verify: every transition and tranche below is in the chain.
    audit: { pool, role: serviceRole },
    routes: (app) => {
      app.post(
        '/v1/declarations',
        noNamedPerson(),
        idempotent(
          pool,
          CreateDeclarationInput,
          audited(
            async (input, tx) => {
              const id = await createDeclaration(tx, input, clock());
              return { status: 201, body: await loadDeclaration(tx, id) };
            },
            (_input, declaration) => declarationTransition(declaration),
          ),
        ),
      );

      app.post(
        '/v1/declarations/:id/submit',
        noNamedPerson(),
        idempotent(
          pool,
          fx.SubmitDeclaration,
          audited(
            async (input, tx, req) => {
              const { id } = parseInput(DeclarationParams, req.params, 'path');
              await transitionDeclaration(tx, id, {
                to: 'SUBMITTED',
                actor: workflowActor(input.workflowId),
                at: clock(),
                note: input.note ?? null,
              });
              return { status: 200, body: await loadDeclaration(tx, id) };
            },
            (_input, declaration) => declarationTransition(declaration),
          ),
        ),
      );

      app.post(
        '/v1/declarations/:id/decision',
        noNamedPerson(),
        idempotent(
          pool,
          RecordFxDecisionInput,
          audited(
            async (input, tx, req) => {
              const { id } = parseInput(DeclarationParams, req.params, 'path');
              const locked = await lockDeclaration(tx, id);
              // The regulator's decision as an FX officer recorded it, signed for this declaration's case.
              const decision = acceptDecision(actVerifyKeys, req, input.decision, {
                caseId: locked.caseId,
                stage: 'FX_DECLARATION',
              });
              const regulatorReference = decision.reference;
              if (!regulatorReference) {
                throw new Problem(
                  400,
                  'validation',
                  'Invalid request body',
                  "decision.reference: the regulator's reference is required",
                  {
                    errors: [{ field: 'decision.reference', message: "the regulator's reference is required" }],
                  },
                );
              }
              await recordSignedAct(tx, decision.act);
              const note = `regulator reference ${regulatorReference}${decision.reason ? `: ${decision.reason}` : ''}`;
              await appendTransition(tx, locked, {
                to: decision.outcome === 'APPROVE' ? 'APPROVED' : 'REJECTED',
                actor: decision.act.act.actor.id,
                at: clock(),
                note,
                regulatorReference,
              });
              return { status: 200, body: await loadDeclaration(tx, id) };
            },
            (_input, declaration) => declarationTransition(declaration),
          ),
        ),
      );

      app.post(
        '/v1/declarations/:id/settlements',
        noNamedPerson(),
        idempotent(pool, RecordSettlementInput, async (input, tx, req) => {
          const { id } = parseInput(DeclarationParams, req.params, 'path');
          // The bank must be licensed, bonded and verified today: refused before anything is locked or booked.
          await assertProviderStandingIn(settlementBank.register, settlementBank.providerId, clock());
          const { caseId } = await lockDeclaration(tx, id);
          // The tranche is exactly what the FX officer's signed decision says the bank settled.
          const decision = acceptDecision(actVerifyKeys, req, input.decision, {
            caseId,
            stage: 'FX_SETTLEMENT',
            outcome: 'APPROVE',
          });
          const terms = fx.SettleDeclaration.safeParse(decision.settlement);
          if (!terms.success) {
            throw actProblem(
              {
                code: 'act-content',
                message: 'decision.settlement: the FX_SETTLEMENT decision carries no settlement to record',
              },
              { decision: 'FX_SETTLEMENT' },
            );
          }
          await recordSignedAct(tx, decision.act);
          const settlement = await settleDeclaration(tx, id, terms.data, {
            rateSource,
            now: clock(),
            recordedBy: decision.act.act.actor.id,
            decisionActId: decision.act.act.actId,
          });
          // The tranche, and the SETTLED transition when it was the last one, in the audit chain.
          await appendAuditRecord(tx, settlementTranche(settlement));
          const declaration = await loadDeclaration(tx, id);
          if (declaration.status === 'SETTLED') await appendAuditRecord(tx, declarationTransition(declaration));
          return { status: 201, body: settlement };
        }),
      );

      // A settlement correction: one FX officer's forwarded act requests it, another person's approves it.
      app.post(
        '/v1/settlements/:settlementId/corrections',
        ...actRoute(
          pool,
          {
            keys: actVerifyKeys,
            kind: 'fx.settlement.correct',
            object: (req) => ({ type: 'settlement', id: String(req.params.settlementId) }),
            namedFields: CORRECTOR_FIELDS,
          },
          fx.RequestSettlementCorrection,
          async (input, tx, act, req) => {
            const { settlementId } = parseInput(SettlementParams, req.params, 'path');
            return requestSettlementCorrection(tx, settlementId, input, {
              author: act.actor.id,
              actId: act.actId,
              now: clock(),
            });
          },
          (_input, correction) => settlementCorrection(correction),
        ),
      );

      app.post(
        '/v1/settlement-corrections/:correctionId/approval',
        ...actRoute(
          pool,
          {
            keys: actVerifyKeys,
            kind: 'fx.correction.approve',
            object: (req) => ({ type: 'correction', id: String(req.params.correctionId) }),
            namedFields: CORRECTOR_FIELDS,
          },
          ApproveCorrectionInput,
          async (_input, tx, act, req) => {
            const { correctionId } = parseInput(CorrectionParams, req.params, 'path');
            assertActOnCase(act, (await loadSettlementCorrection(tx, correctionId)).caseId);
            return approveSettlementCorrection(tx, correctionId, {
              approver: act.actor.id,
              actId: act.actId,
              now: clock(),
            });
          },
          (_input, correction) => settlementCorrection(correction),
        ),
      );

      app.get('/v1/settlement-corrections', async (req, res) => {
        const { caseId } = parseInput(CorrectionsQuery, req.query, 'query');
        res.json({ corrections: await pendingSettlementCorrections(pool, caseId ? { caseId } : {}) });
      });

      app.get('/v1/settlement-corrections/:correctionId', async (req, res) => {
        const { correctionId } = parseInput(CorrectionParams, req.params, 'path');
        res.json(await loadSettlementCorrection(pool, correctionId));
      });

      app.get('/v1/declarations/:id', async (req, res) => {
        const { id } = parseInput(DeclarationParams, req.params, 'path');
        res.json(await loadDeclaration(pool, id));
      });

      app.get('/v1/declarations/:id/waterfall', async (req, res) => {
        const { id } = parseInput(DeclarationParams, req.params, 'path');
        res.json(await declarationWaterfall(pool, id));
      });

      app.get('/v1/cases/:caseId/declarations', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await listCaseDeclarations(pool, caseId));
      });

      // The day's rate for valuing a case (the approval policy); a settlement reads its own at settlement.
      app.get('/v1/rates/:currency', async (req, res) => {
        const { currency } = parseInput(RateParams, req.params, 'path');
        const date = clock().toISOString().slice(0, 10);
        const rate = await rateSource.bankBuyRate(currency, date);
        const body: fx.IndicativeRate = {
          currency,
          quote: 'CNY',
          date: rate.date,
          rate: rate.bankBuyRate,
          source: rate.source,
        };
        res.json(body);
      });
    },
  });
}
