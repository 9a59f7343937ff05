/**
 * The treasury service's HTTP API (contract: packages/shared/src/contracts/treasury.ts). Routes are
 * thin: they parse, call the domain modules on the idempotency layer's transaction, and answer.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import {
  type ActKind,
  acceptDecision,
  actProblem,
  actRoute,
  assertActOnCase,
  assertSchemaCurrent,
  audited,
  CORRECTOR_FIELDS,
  createServiceApp,
  Decimal,
  idempotent,
  type Logger,
  noNamedPerson,
  type Pool,
  Problem,
  parseInput,
  recordSignedAct,
  workflowActor,
} from '@vcdc/shared';
import { treasury } from '@vcdc/shared/contracts';
import type { Express, Request } from 'express';
import {
  CaseParams,
  CorrectEntryInput,
  CorrectionParams,
  CorrectionsQuery,
  DistributeInput,
  FollowUpInput,
  JudgmentInput,
  ReceivableParams,
  RecordCreditInput,
  RequestRemittanceInput,
  ReturnToOwnerInput,
  TREASURY_API,
  VictimParams,
} from './api';
import {
  correctionBooked,
  correctionRequested,
  creditBooked,
  escrowOpened,
  judgmentRecorded,
  ownerReturned,
  recoveryRecorded,
  remittanceMade,
  restitutionOrderRegistered,
  restitutionPaid,
} from './audit-records';
import { caseStatement } from './case-ledger';
import { approveCorrection, loadCorrectionRequest, pendingCorrections, requestCorrection } from './corrections';
import { recordCredit } from './credits';
import { openEscrow, recordJudgment } from './escrow';
import { remitFollowUp } from './follow-up-remittances';
import { returnToOwner } from './owner-returns';
import { recordRecovery } from './recoveries';
import { requestRemittance } from './remittances';
import { distributeRestitution, registerRestitutionOrder, victimStatement } from './restitution';
import type { TreasuryGateway } from './treasury-gateway';

export const TREASURY_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export interface TreasuryAppDeps {
  pool: Pool;
  logger: Logger;
  gateway: TreasuryGateway;
  /** The service's clock (timestamps, voucher numbers); injectable for tests. */
  clock?: () => Date;
  /** The database role the pool must be working as (`treasury_service`), checked by /readyz. */
  serviceRole?: string;
  /**
   * The control API's act verify keys: pay-outs and the judgment carry people's signed decisions (the
   * workflow carries them here), corrections people's forwarded acts; this service verifies both.
   */
  actVerifyKeys: KeyObject[];
}

/** The routes that carry a person's signed act: the only changing routes the control API's credential may call. */
export const TREASURY_ACT_ROUTES: readonly RegExp[] = [
  /^\/v1\/corrections$/,
  /^\/v1\/corrections\/[^/]+\/approval$/,
  /^\/v1\/corrections\/[^/]+\/follow-up-remittance$/,
  /^\/v1\/recovery-receivables\/[^/]+\/recovery$/,
];

export function createApp({
  pool,
  logger,
  gateway,
  clock = () => new Date(),
  serviceRole,
  actVerifyKeys,
}: TreasuryAppDeps): Express {
  /**
   * The supervisor's signed REMITTANCE APPROVE decision on the request's case, recorded with the
   * pay-out on its transaction: the approver is the decision's person.
   */
  /**
   * The supervisor's signed REMITTANCE approval, and the pay-out it names (decision.payout): this
   * pay-out must be of its kind, to its payees, and within its amount together with what the case
   * already paid out. A decision without a pay-out, or another pay-out, moves nothing.
   */
  /** A person's act on a correction named in the path. */
  const onCorrection = (kind: ActKind) => ({
    keys: actVerifyKeys,
    kind,
    object: (req: Request) => ({ type: 'correction', id: String(req.params.correctionId) }),
  });
  const payOutApprover = async (
    tx: Parameters<typeof recordSignedAct>[0],
    req: Request,
    caseId: string,
    decision: unknown,
    payOut: {
      kind: 'TREASURY' | 'RESTITUTION' | 'OWNER_RETURN';
      amount: string;
      restitutionOrderId?: string;
      payeeAccount?: string;
    },
  ) => {
    const verified = acceptDecision(actVerifyKeys, req, decision, { caseId, stage: 'REMITTANCE', outcome: 'APPROVE' });
    const allowed = verified.payout;
    const refuse = (detail: string, field?: string): never => {
      throw new Problem(403, 'payout-not-authorised', 'Pay-out not authorised', detail, {
        ...(field ? { errors: [{ field, message: detail }] } : {}),
      });
    };
    if (!allowed || allowed.caseId !== caseId)
      refuse(`the REMITTANCE approval names no pay-out of case ${caseId}`, 'decision');
    const a = allowed as NonNullable<typeof allowed>;
    // The rest of a restitution goes to the treasury under the same approval.
    const kinds = payOut.kind === 'TREASURY' ? ['TREASURY', 'RESTITUTION'] : [payOut.kind];
    if (!kinds.includes(a.kind)) refuse(`the approval is for a ${a.kind} pay-out, not ${payOut.kind}`, 'decision');
    if (payOut.restitutionOrderId !== undefined && payOut.restitutionOrderId !== a.restitutionOrderId) {
      refuse(
        `the approval names restitution order ${a.restitutionOrderId}, not ${payOut.restitutionOrderId}`,
        'restitutionOrderId',
      );
    }
    if (payOut.payeeAccount !== undefined && payOut.payeeAccount !== a.ownerPayeeAccount) {
      refuse(
        `the approval names the owner's account ${a.ownerPayeeAccount}, not ${payOut.payeeAccount}`,
        'payeeAccount',
      );
    }
    const { rows } = await tx.query<{ paid: string }>(
      `SELECT COALESCE(SUM(-amount), 0)::text AS paid FROM ledger_entries
        WHERE case_id = $1 AND kind IN ('REMITTANCE', 'RESTITUTION', 'OWNER_RETURN')`,
      [caseId],
    );
    const paid = new Decimal(rows[0]?.paid ?? '0');
    // A distribution shares the whole amount asked; its victims are paid at most that, the rest stays.
    if (paid.plus(payOut.amount).gt(a.amount)) {
      refuse(`${payOut.amount} CNY after ${paid.toFixed(2)} paid is more than the ${a.amount} CNY approved`, 'amount');
    }
    await recordSignedAct(tx, verified.act);
    return verified.act.act.actor.id;
  };

  return createServiceApp({
    service: 'treasury',
    logger,
    api: { title: 'VCDC treasury service', routes: TREASURY_API },
    readiness: async () => {
      await assertSchemaCurrent(pool, TREASURY_MIGRATIONS_DIR);
    },
    // GET /v1/audit/records and /v1/audit/verify: every credit, payment and correction below is in the chain.
    audit: { pool, role: serviceRole },
    routes: (app) => {
      app.post(
        '/v1/credits',
        idempotent(
          pool,
          RecordCreditInput,
          audited(
            async (input, tx) => ({ status: 201, body: await recordCredit(tx, input, clock()) }),
            (_input, credit) => creditBooked(credit),
          ),
        ),
      );

      app.post(
        '/v1/remittances',
        noNamedPerson(),
        idempotent(
          pool,
          RequestRemittanceInput,
          audited(
            async ({ decision, ...terms }, tx, req) => {
              const approvedBy = await payOutApprover(tx, req, terms.caseId, decision, {
                kind: 'TREASURY',
                amount: terms.amount,
              });
              return {
                status: 201,
                body: await requestRemittance(tx, { ...terms, approvedBy }, { gateway, now: clock() }),
              };
            },
            (_input, remittance) => remittanceMade(remittance),
          ),
        ),
      );

      app.post(
        '/v1/restitution-orders',
        noNamedPerson(),
        idempotent(
          pool,
          treasury.RegisterRestitutionOrder,
          audited(
            async ({ workflowId, ...order }, tx) => ({
              status: 201,
              body: await registerRestitutionOrder(tx, { ...order, registeredBy: workflowActor(workflowId) }, clock()),
            }),
            (_input, order) => restitutionOrderRegistered(order),
          ),
        ),
      );

      app.post(
        '/v1/restitution-distributions',
        noNamedPerson(),
        idempotent(
          pool,
          DistributeInput,
          audited(
            async ({ decision, ...terms }, tx, req) => {
              const approvedBy = await payOutApprover(tx, req, terms.caseId, decision, {
                kind: 'RESTITUTION',
                amount: terms.amount,
                restitutionOrderId: terms.restitutionOrderId,
              });
              return {
                status: 201,
                body: await distributeRestitution(tx, { ...terms, approvedBy }, { now: clock(), logger }),
              };
            },
            (_input, distribution) => restitutionPaid(distribution),
          ),
        ),
      );

      app.get('/v1/restitution-orders/:restitutionOrderId/victims/:victimId/statement', async (req, res) => {
        const { restitutionOrderId, victimId } = parseInput(VictimParams, req.params, 'path');
        res.json(await victimStatement(pool, restitutionOrderId, victimId));
      });

      app.post(
        '/v1/escrows',
        noNamedPerson(),
        idempotent(
          pool,
          treasury.OpenEscrow,
          audited(
            async ({ workflowId, ...escrow }, tx) => ({
              status: 201,
              body: await openEscrow(tx, { ...escrow, openedBy: workflowActor(workflowId) }, clock()),
            }),
            (_input, escrow) => escrowOpened(escrow),
          ),
        ),
      );

      app.post(
        '/v1/judgments',
        noNamedPerson(),
        idempotent(
          pool,
          JudgmentInput,
          audited(
            async (input, tx, req) => {
              // The judgment recorded is exactly what the supervisor's signed JUDGMENT decision says.
              const decision = acceptDecision(actVerifyKeys, req, input.decision, {
                caseId: input.caseId,
                stage: 'JUDGMENT',
                outcome: 'APPROVE',
              });
              if (!decision.judgment) {
                throw actProblem(
                  {
                    code: 'act-content',
                    message: 'decision.judgment: the JUDGMENT decision carries no judgment to record',
                  },
                  { decision: 'JUDGMENT' },
                );
              }
              await recordSignedAct(tx, decision.act);
              const judgment = { ...decision.judgment, caseId: input.caseId, recordedBy: decision.act.act.actor.id };
              return { status: 201, body: await recordJudgment(tx, judgment, clock()) };
            },
            (_input, escrow) => judgmentRecorded(escrow),
          ),
        ),
      );

      app.post(
        '/v1/owner-returns',
        noNamedPerson(),
        idempotent(
          pool,
          ReturnToOwnerInput,
          audited(
            async ({ decision, ...terms }, tx, req) => {
              const approvedBy = await payOutApprover(tx, req, terms.caseId, decision, {
                kind: 'OWNER_RETURN',
                amount: terms.amount,
                payeeAccount: terms.payeeAccount,
              });
              return { status: 201, body: await returnToOwner(tx, { ...terms, approvedBy }, clock()) };
            },
            (_input, returned) => ownerReturned(returned),
          ),
        ),
      );

      // A correction: one treasury officer's forwarded act requests it, another person's approves it.
      app.post(
        '/v1/corrections',
        ...actRoute(
          pool,
          {
            keys: actVerifyKeys,
            kind: 'treasury.correction.request',
            object: (req) => {
              const body = (req.body ?? {}) as { caseId?: unknown; line?: unknown };
              const caseId = typeof body.caseId === 'string' ? body.caseId : undefined;
              return { type: 'credit', id: `${String(body.caseId)}#${String(body.line)}`, caseId };
            },
            namedFields: CORRECTOR_FIELDS,
          },
          CorrectEntryInput,
          (input, tx, act) => requestCorrection(tx, input, { author: act.actor.id, actId: act.actId, now: clock() }),
          (_input, request) => correctionRequested(request),
        ),
      );

      app.post(
        '/v1/corrections/:correctionId/approval',
        ...actRoute(
          pool,
          { ...onCorrection('treasury.correction.approve'), namedFields: CORRECTOR_FIELDS },
          treasury.ApproveCorrection,
          async (_input, tx, act, req) => {
            const { correctionId } = parseInput(CorrectionParams, req.params, 'path');
            assertActOnCase(act, (await loadCorrectionRequest(tx, correctionId)).caseId);
            return approveCorrection(tx, correctionId, { approver: act.actor.id, actId: act.actId, now: clock() });
          },
          (_input, correction) => correctionBooked(correction),
        ),
      );

      // What an upward correction after the pay-out left in the account, remitted on a supervisor's approval.
      app.post(
        '/v1/corrections/:correctionId/follow-up-remittance',
        ...actRoute(
          pool,
          { ...onCorrection('treasury.follow-up.approve'), namedFields: CORRECTOR_FIELDS },
          FollowUpInput,
          (_input, tx, act, req) => {
            const { correctionId } = parseInput(CorrectionParams, req.params, 'path');
            return remitFollowUp(
              tx,
              correctionId,
              { approver: act.actor.id, actId: act.actId },
              { gateway, now: clock() },
            );
          },
          (_input, remittance) => remittanceMade(remittance),
        ),
      );

      // The money paid out too much came back: a treasury officer books the receivable's recovery.
      app.post(
        '/v1/recovery-receivables/:receivableId/recovery',
        ...actRoute(
          pool,
          {
            keys: actVerifyKeys,
            kind: 'treasury.recovery.record',
            object: (req) => ({ type: 'receivable', id: String(req.params.receivableId) }),
            namedFields: CORRECTOR_FIELDS,
          },
          treasury.RecordRecovery,
          (input, tx, act, req) => {
            const { receivableId } = parseInput(ReceivableParams, req.params, 'path');
            return recordRecovery(tx, receivableId, input, {
              recordedBy: act.actor.id,
              actId: act.actId,
              now: clock(),
            });
          },
          (_input, recovery) => recoveryRecorded(recovery),
        ),
      );

      app.get('/v1/corrections', async (req, res) => {
        const { caseId } = parseInput(CorrectionsQuery, req.query, 'query');
        res.json({ corrections: await pendingCorrections(pool, caseId ? { caseId } : {}) });
      });

      app.get('/v1/corrections/:correctionId', async (req, res) => {
        const { correctionId } = parseInput(CorrectionParams, req.params, 'path');
        res.json(await loadCorrectionRequest(pool, correctionId));
      });

      app.get('/v1/cases/:caseId/statement', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseStatement(pool, caseId));
      });
    },
  });
}
