/**
 * The treasury service's HTTP API (contract: packages/shared/src/contracts/treasury.ts). Routes are
 * thin: they parse, call the domain modules on the idempotency layer's transaction, and answer.
 */
import path from 'node:path';
import {
  amountOf,
  createServiceApp,
  idempotent,
  type Logger,
  type Pool,
  parseInput,
  pendingMigrations,
} from '@vcdc/shared';
import { common, treasury } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import { z } from 'zod';
import { caseStatement } from './case-ledger';
import { recordCredit } from './credits';
import { requestRemittance } from './remittances';
import type { TreasuryGateway } from './treasury-gateway';

export const TREASURY_MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export interface TreasuryAppDeps {
  pool: Pool;
  logger: Logger;
  gateway: TreasuryGateway;
  /** The service's clock (timestamps, voucher numbers); injectable for tests. */
  clock?: () => Date;
}

// The account holds CNY: amounts are whole fen, never rounded here.
const RecordCreditInput = treasury.RecordCredit.extend({ amount: amountOf('CNY') });
const RequestRemittanceInput = treasury.RequestRemittance.extend({ amount: amountOf('CNY') });
const CaseParams = z.object({ caseId: common.CaseId });

export function createApp({ pool, logger, gateway, clock = () => new Date() }: TreasuryAppDeps): Express {
  return createServiceApp({
    service: 'treasury',
    logger,
    readiness: async () => {
      const pending = await pendingMigrations(pool, TREASURY_MIGRATIONS_DIR);
      if (pending.length) throw new Error(`pending migrations: ${pending.join(', ')}`);
    },
    routes: (app) => {
      app.post(
        '/v1/credits',
        idempotent(pool, RecordCreditInput, async (input, tx) => ({
          status: 201,
          body: await recordCredit(tx, input, clock()),
        })),
      );

      app.post(
        '/v1/remittances',
        idempotent(pool, RequestRemittanceInput, async (input, tx) => ({
          status: 201,
          body: await requestRemittance(tx, input, { gateway, now: clock() }),
        })),
      );

      app.get('/v1/cases/:caseId/statement', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await caseStatement(pool, caseId));
      });
    },
  });
}
