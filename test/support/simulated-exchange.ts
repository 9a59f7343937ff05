/**
 * The exchange service in front of the venue simulator, as tests use it: a database of its own
 * (migrated), the simulator on a free loopback port, real ccxt between them, and the service's app.
 * The chain simulator the venue watches for deposits is the caller's (one per file is enough).
 */
import { createPool, migrate, type Pool, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../../services/exchange/src/app';
import { CcxtVenue } from '../../services/exchange/src/ccxt-venue';
import {
  DEV_VENUE_API_KEY,
  DEV_VENUE_SECRET,
  type RunningVenueSimulator,
  startVenueSimulator,
  type VenueSimulatorOptions,
} from '../../simulators/src/venue';
import { servicePoolFor } from './audit';
import { createTestDatabase } from './database';
import { seedProviderRegister } from './provider-register';

/** ccxt to the simulator with the dev credentials; short timeouts and no client-side throttling in tests. */
export function simulatorVenue(url: string): CcxtVenue {
  return new CcxtVenue({
    venueId: 'hashkey',
    apiUrl: url,
    apiKey: DEV_VENUE_API_KEY,
    secret: DEV_VENUE_SECRET,
    timeoutMs: 3000,
    enableRateLimit: false,
  });
}

export interface SimulatedExchange {
  /** The schema owner's pool (what a test reads, or tampers with, behind the service). */
  pool: Pool;
  /** With `asServiceRole`: the app's pool, logged in as exchange_service with its own password. */
  servicePool?: Pool;
  sim: RunningVenueSimulator;
  venue: CcxtVenue;
  app: Express;
  /** Stops the simulator and closes the pool. */
  close: () => Promise<void>;
}

export async function startSimulatedExchange(options: {
  /** Prefix of the test database's name. */
  database: string;
  chainUrl: string;
  /** The simulator's options (seed, dynamics, clock, balances...); by default a still market that polls the chain each minute. */
  venue?: Partial<VenueSimulatorOptions>;
  /** The service's clock. */
  clock?: () => Date;
  /** The app works as exchange_service (its role's grants), not as the schema's owner. */
  asServiceRole?: boolean;
}): Promise<SimulatedExchange> {
  const databaseUrl = await createTestDatabase(options.database);
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  const pool = createPool(databaseUrl, 'exchange');
  // The venue (and the other dev providers) in good standing in the register of licensed providers.
  await seedProviderRegister(pool);
  const sim = await startVenueSimulator({
    port: 0,
    chainUrl: options.chainUrl,
    pollIntervalMs: 60_000,
    ...options.venue,
  });
  const venue = simulatorVenue(sim.url);
  const service = options.asServiceRole ? await servicePoolFor(databaseUrl, 'exchange') : undefined;
  const app = createApp({
    pool: service?.pool ?? pool,
    logger: silentLogger(),
    venue,
    ...(service ? { serviceRole: service.role } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    pool,
    ...(service ? { servicePool: service.pool } : {}),
    sim,
    venue,
    app,
    close: async () => {
      await sim.close();
      await service?.pool.end();
      await pool.end();
    },
  };
}
