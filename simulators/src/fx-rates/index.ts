/**
 * Start the FX-rate simulator on loopback. Dev and test only; production reads a real rate source.
 *
 *   const sim = await startFxRateSimulator({ seed: 'test' });   // sim.url, sim.faults.failNext(1), await sim.close()
 */
import { type Logger, listen, silentLogger } from '@vcdc/shared';
import type { Express } from 'express';
import { createFxRateApp, type FxRateFaults } from './app';

export type { FxRate, FxRateFaults } from './app';
export { createFxRateApp, FX_RATE_SOURCE_NAME } from './app';

export const DEFAULT_FX_RATE_SIMULATOR_PORT = 7203;

export interface StartFxRateSimulatorOptions {
  /** Default 7203; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Default "vcdc": the same seed gives the same rates (a number is used as its decimal string). */
  seed?: string | number;
  /** Default 30 (0.30 % below the parity). */
  spreadBasisPoints?: number;
  logger?: Logger;
  clock?: () => Date;
}

export interface RunningFxRateSimulator {
  url: string;
  port: number;
  app: Express;
  faults: FxRateFaults;
  close: () => Promise<void>;
}

export async function startFxRateSimulator(options: StartFxRateSimulatorOptions = {}): Promise<RunningFxRateSimulator> {
  const { app, faults } = createFxRateApp({
    seed: String(options.seed ?? 'vcdc'),
    spreadBasisPoints: options.spreadBasisPoints ?? 30,
    logger: options.logger ?? silentLogger(),
    clock: options.clock ?? (() => new Date()),
  });
  const running = await listen(app, options.port ?? DEFAULT_FX_RATE_SIMULATOR_PORT, options.host ?? '127.0.0.1');
  return { url: running.url, port: running.port, app, faults, close: running.close };
}
