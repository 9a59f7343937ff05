/**
 * The real FX and treasury services for the console's browser tests: each app on a fresh schema of
 * the test PostgreSQL, on loopback, verifying acts with the key the control API signs with. What the
 * workflow would have recorded first is set up here as the workflow records it (a declaration settled
 * in one tranche with the FX officer's signed decisions; a credit to the case account), so a person
 * can then correct it, and another approve it, in the console.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { createPool, listen, migrate, type RunningServer, silentLogger } from '@vcdc/shared';
import request from 'supertest';
import { createApp } from '../../services/fx/src/app';
import type { RateSource } from '../../services/fx/src/rate-source';
import { createApp as createTreasuryApp } from '../../services/treasury/src/app';
import { LocalReceiptTreasuryGateway } from '../../services/treasury/src/treasury-gateway';
import { PEOPLE, signedDecision } from '../support/acts';
import { createTestDatabase } from '../support/database';
import { settlementBankInGoodStanding } from '../support/provider-register';

const rates: RateSource = {
  bankBuyRate: async (currency, date) => ({
    currency,
    date,
    bankBuyRate: '7.1000',
    centralParity: '7.1500',
    source: 'test-bank',
    publishedAt: new Date('2026-03-10T01:00:00Z'),
  }),
};

export interface ConsoleFxService {
  server: RunningServer;
  /** 1000.00 USD settled at 7.1000 less 15.00 + 7.50 of charges: 977.50 net, 6940.25 CNY. */
  settledTranche: (caseId: string) => Promise<{ declarationId: string; settlementId: string }>;
  /** How many correction requests and booked corrections the service holds. */
  counts: () => Promise<{ requests: number; booked: number }>;
  close: () => Promise<void>;
}

export async function startFxService(signingKey: KeyObject, verifyKeys: KeyObject[]): Promise<ConsoleFxService> {
  const databaseUrl = await createTestDatabase('console_fx');
  await migrate({ databaseUrl, schema: 'fx', dir: path.resolve(__dirname, '../../services/fx/migrations') });
  const pool = createPool(databaseUrl, 'fx', 3);
  const app = createApp({
    pool,
    logger: silentLogger(),
    rateSource: rates,
    actVerifyKeys: verifyKeys,
    settlementBank: settlementBankInGoodStanding(),
  });
  const server = await listen(app, 0);
  let keys = 0;
  const post = (route: string, body: object) =>
    request(app).post(route).set('Idempotency-Key', `console-fx-${++keys}`).send(body);
  const party = { name: 'n', account: 'a', bank: 'b' };
  return {
    server,
    async settledTranche(caseId) {
      const created = await post('/v1/declarations', {
        caseId,
        currency: 'USD',
        amount: '1000.00',
        transactionCode: '622011',
        purpose: 'disposal proceeds',
        remitter: party,
        beneficiary: party,
        workflowId: `case-${caseId}`,
      }).expect(201);
      const id = created.body.declarationId as string;
      await post(`/v1/declarations/${id}/submit`, { workflowId: `case-${caseId}` }).expect(200);
      const regulator = signedDecision(signingKey, caseId, PEOPLE.fxOfficer, {
        stage: 'FX_DECLARATION',
        outcome: 'APPROVE',
        reference: 'SAFE-1',
      });
      await post(`/v1/declarations/${id}/decision`, { decision: regulator }).expect(200);
      const decision = signedDecision(signingKey, caseId, PEOPLE.fxOfficer, {
        stage: 'FX_SETTLEMENT',
        outcome: 'APPROVE',
        settlement: {
          amount: '1000.00',
          bankReference: `BANK-${caseId}`,
          bankCharges: '15.00',
          correspondentFees: '7.50',
        },
      });
      const settled = await post(`/v1/declarations/${id}/settlements`, { decision }).expect(201);
      return { declarationId: id, settlementId: settled.body.settlementId as string };
    },
    async counts() {
      const { rows } = await pool.query<{ requests: number; booked: number }>(
        `SELECT (SELECT count(*)::int FROM settlement_correction_requests) AS requests,
                (SELECT count(*)::int FROM settlement_corrections) AS booked`,
      );
      return rows[0]!;
    },
    async close() {
      await server.close();
      await pool.end();
    },
  };
}

export interface ConsoleTreasuryService {
  server: RunningServer;
  /** A credit of `amount` CNY to the case's account: its line 1. */
  credit: (caseId: string, amount: string) => Promise<void>;
  /** How many correction requests and booked corrections the service holds. */
  counts: () => Promise<{ requests: number; booked: number }>;
  close: () => Promise<void>;
}

export async function startTreasuryService(verifyKeys: KeyObject[]): Promise<ConsoleTreasuryService> {
  const databaseUrl = await createTestDatabase('console_treasury');
  await migrate({
    databaseUrl,
    schema: 'treasury',
    dir: path.resolve(__dirname, '../../services/treasury/migrations'),
  });
  const pool = createPool(databaseUrl, 'treasury', 3);
  const app = createTreasuryApp({
    pool,
    logger: silentLogger(),
    gateway: new LocalReceiptTreasuryGateway(),
    actVerifyKeys: verifyKeys,
  });
  const server = await listen(app, 0);
  let keys = 0;
  return {
    server,
    async credit(caseId, amount) {
      await request(app)
        .post('/v1/credits')
        .set('Idempotency-Key', `console-treasury-${++keys}`)
        .send({ caseId, agency: 'Agency', amount, fxSettlementId: `fxs-${caseId}-${keys}`, bankReference: 'b' })
        .expect(201);
    },
    async counts() {
      const { rows } = await pool.query<{ requests: number; booked: number }>(
        `SELECT (SELECT count(*)::int FROM correction_requests) AS requests,
                (SELECT count(*)::int FROM corrections) AS booked`,
      );
      return rows[0]!;
    },
    async close() {
      await server.close();
      await pool.end();
    },
  };
}
