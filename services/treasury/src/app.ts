/**
 * The treasury service's HTTP API (contract: packages/shared/src/contracts/treasury.ts). Routes are
 * thin: they parse, call the domain modules on the idempotency layer's transaction, and answer.
 */
import path from 'node:path';
import {
  amountOf,
  assertSchemaCurrent,
  audited,
  createServiceApp,
  fitsScale,
  idempotent,
  type Logger,
  type Pool,
  parseInput,
} from '@vcdc/shared';
import { common, treasury } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import { z } from 'zod';
import { correctionBooked, creditBooked, ownerReturned, remittanceMade, restitutionPaid } from './audit-records';
import { caseStatement } from './case-ledger';
import { correctEntry } from './corrections';
import { recordCredit } from './credits';
import { openEscrow, recordJudgment } from './escrow';
import { returnToOwner } from './owner-returns';
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
}

// The account holds CNY: amounts are whole fen, never rounded here.
const RecordCreditInput = treasury.RecordCredit.extend({ amount: amountOf('CNY') });
const RequestRemittanceInput = treasury.RequestRemittance.extend({ amount: amountOf('CNY') });
const DistributeInput = treasury.DistributeRestitution.extend({ amount: amountOf('CNY') });
const ReturnToOwnerInput = treasury.ReturnToOwner.extend({ amount: amountOf('CNY') });
// A corrected amount may be zero (the entry should not have been booked), so not amountOf (positive).
const CorrectEntryInput = treasury.CorrectEntry.extend({
  correctedAmount: treasury.CorrectEntry.shape.correctedAmount.refine(
    (s) => !/^\d+(\.\d+)?$/.test(s) || fitsScale(s, 'CNY'),
    {
      message: 'must have at most 2 decimal places for CNY',
    },
  ),
});
const CaseParams = z.object({ caseId: common.CaseId });
const VictimParams = z.object({ restitutionOrderId: z.string().min(1).max(100), victimId: z.string().min(1).max(64) });

export function createApp({ pool, logger, gateway, clock = () => new Date(), serviceRole }: TreasuryAppDeps): Express {
  return createServiceApp({
    service: 'treasury',
    logger,
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
        idempotent(
          pool,
          RequestRemittanceInput,
          audited(
            async (input, tx) => ({ status: 201, body: await requestRemittance(tx, input, { gateway, now: clock() }) }),
            (_input, remittance) => remittanceMade(remittance),
          ),
        ),
      );

      app.post(
        '/v1/restitution-orders',
        idempotent(pool, treasury.RegisterRestitutionOrder, async (input, tx) => ({
          status: 201,
          body: await registerRestitutionOrder(tx, input, clock()),
        })),
      );

      app.post(
        '/v1/restitution-distributions',
        idempotent(
          pool,
          DistributeInput,
          audited(
            async (input, tx) => ({
              status: 201,
              body: await distributeRestitution(tx, input, { now: clock(), logger }),
            }),
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
        idempotent(pool, treasury.OpenEscrow, async (input, tx) => ({
          status: 201,
          body: await openEscrow(tx, input, clock()),
        })),
      );

      app.post(
        '/v1/judgments',
        idempotent(pool, treasury.RecordJudgment, async (input, tx) => ({
          status: 201,
          body: await recordJudgment(tx, input, clock()),
        })),
      );

      app.post(
        '/v1/owner-returns',
        idempotent(
          pool,
          ReturnToOwnerInput,
          audited(
            async (input, tx) => ({ status: 201, body: await returnToOwner(tx, input, clock()) }),
            (_input, returned) => ownerReturned(returned),
          ),
        ),
      );

      app.post(
        '/v1/corrections',
        idempotent(
          pool,
          CorrectEntryInput,
          audited(
            async (input, tx) => ({ status: 201, body: await correctEntry(tx, input, clock()) }),
            (_input, correction) => correctionBooked(correction),
          ),
        ),
      );

      app.get('/v1/cases/:caseId/statement', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseStatement(pool, caseId));
      });
    },
  });
}
