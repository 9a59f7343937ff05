/**
 * The real FX and treasury services as tests start them: each app on a fresh database of the test
 * PostgreSQL (migrated), verifying acts with the given keys; FX's rates from a fixed source unless one
 * is given, the treasury's receipts from the local gateway. `close` ends the pool.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createApp as createFxApp } from '../../services/fx/src/app';
import type { RateSource } from '../../services/fx/src/rate-source';
import { createApp as createTreasuryApp } from '../../services/treasury/src/app';
import { LocalReceiptTreasuryGateway } from '../../services/treasury/src/treasury-gateway';
import { createTestDatabase } from './database';
import { settlementBankInGoodStanding } from './provider-register';

export interface StartedService {
  pool: Pool;
  app: Express;
  close: () => Promise<void>;
}

interface ServiceOptions {
  /** Prefix of the test database's name. */
  database: string;
  verifyKeys: KeyObject[];
  clock?: () => Date;
  /** The pool's size (default the shared pool's). */
  connections?: number;
}

/** A bank's buying rate of `bankBuyRate` CNY (central parity 7.1500), the same every day. */
export function fixedRates(bankBuyRate = '7.1000'): RateSource {
  return {
    bankBuyRate: async (currency, date) => ({
      currency,
      date,
      bankBuyRate,
      centralParity: '7.1500',
      source: 'test-bank',
      publishedAt: new Date('2026-03-10T01:00:00Z'),
    }),
  };
}

async function migrated(o: ServiceOptions, schema: 'fx' | 'treasury'): Promise<Pool> {
  const databaseUrl = await createTestDatabase(o.database);
  await migrate({ databaseUrl, schema, dir: path.resolve(__dirname, `../../services/${schema}/migrations`) });
  return createPool(databaseUrl, schema, o.connections);
}

export async function startFx(o: ServiceOptions & { rateSource?: RateSource }): Promise<StartedService> {
  const pool = await migrated(o, 'fx');
  const app = createFxApp({
    pool,
    logger: silentLogger(),
    rateSource: o.rateSource ?? fixedRates(),
    actVerifyKeys: o.verifyKeys,
    settlementBank: settlementBankInGoodStanding(),
    ...(o.clock ? { clock: o.clock } : {}),
  });
  return { pool, app, close: () => pool.end() };
}

export async function startTreasury(o: ServiceOptions): Promise<StartedService> {
  const pool = await migrated(o, 'treasury');
  const app = createTreasuryApp({
    pool,
    logger: silentLogger(),
    gateway: new LocalReceiptTreasuryGateway(),
    actVerifyKeys: o.verifyKeys,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  return { pool, app, close: () => pool.end() };
}
