/**
 * The FX service's HTTP API (contract: packages/shared/src/contracts/fx.ts). Routes are thin: they
 * parse, call the domain modules on the idempotency layer's transaction, and answer.
 */
import path from 'node:path';
import {
  appendAuditRecord,
  assertSchemaCurrent,
  audited,
  createServiceApp,
  Decimal,
  fitsScale,
  idempotent,
  type Logger,
  type Pool,
  parseInput,
  scaleOf,
} from '@vcdc/shared';
import { common, fx } from '@vcdc/shared/contracts';
import type { Express } from 'express';
import { z } from 'zod';
import { declarationTransition, settlementTranche } from './audit-records';
import { createDeclaration, listCaseDeclarations, loadDeclaration, transitionDeclaration } from './declarations';
import type { RateSource } from './rate-source';
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
}

/** The declared amount must be whole cents of its currency: a declaration is never rounded. */
const CreateDeclarationInput = fx.CreateDeclaration.superRefine((input, ctx) => {
  if (!fitsScale(input.amount, input.currency)) {
    ctx.addIssue({
      code: 'custom',
      path: ['amount'],
      message: `must have at most ${scaleOf(input.currency)} decimal places for ${input.currency}`,
    });
  }
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

const DeclarationParams = z.object({ id: z.string().min(1).max(100) });
const RateParams = z.object({ currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as USD' }) });
const CaseParams = z.object({ caseId: common.CaseId });

export function createApp({ pool, logger, rateSource, clock = () => new Date(), serviceRole }: FxAppDeps): Express {
  return createServiceApp({
    service: 'fx',
    logger,
    readiness: async () => {
      await assertSchemaCurrent(pool, FX_MIGRATIONS_DIR);
    },
    // GET /v1/audit/records and /v1/audit/verify: every transition and tranche below is in the chain.
    audit: { pool, role: serviceRole },
    routes: (app) => {
      app.post(
        '/v1/declarations',
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
        idempotent(
          pool,
          fx.SubmitDeclaration,
          audited(
            async (input, tx, req) => {
              const { id } = parseInput(DeclarationParams, req.params, 'path');
              await transitionDeclaration(tx, id, {
                to: 'SUBMITTED',
                actor: input.submittedBy,
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
        idempotent(
          pool,
          fx.RecordFxDecision,
          audited(
            async (input, tx, req) => {
              const { id } = parseInput(DeclarationParams, req.params, 'path');
              const note = `regulator reference ${input.regulatorReference}${input.reason ? `: ${input.reason}` : ''}`;
              await transitionDeclaration(tx, id, {
                to: input.decision,
                actor: input.decidedBy,
                at: clock(),
                note,
                regulatorReference: input.regulatorReference,
              });
              return { status: 200, body: await loadDeclaration(tx, id) };
            },
            (_input, declaration) => declarationTransition(declaration),
          ),
        ),
      );

      app.post(
        '/v1/declarations/:id/settlements',
        idempotent(pool, fx.SettleDeclaration, async (input, tx, req) => {
          const { id } = parseInput(DeclarationParams, req.params, 'path');
          const settlement = await settleDeclaration(tx, id, input, { rateSource, now: clock() });
          // The tranche, and the SETTLED transition when it was the last one, in the audit chain.
          await appendAuditRecord(tx, settlementTranche(settlement));
          const declaration = await loadDeclaration(tx, id);
          if (declaration.status === 'SETTLED') await appendAuditRecord(tx, declarationTransition(declaration));
          return { status: 201, body: settlement };
        }),
      );

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
