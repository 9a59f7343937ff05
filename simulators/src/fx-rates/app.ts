/**
 * The FX-rate source the FX service reads in dev and tests: the day's central parity (CNY per unit of
 * USD or HKD) and the bank's buying rate below it. Dev and test only.
 *
 *   GET /v1/rates/:currency/CNY?date=YYYY-MM-DD   (date optional: today, UTC)
 *
 * A date after today is not published yet (404 `rate-not-published`); dates before the walk's epoch
 * are not covered (404 too). `faults.failNext(n)` makes the next n rate requests answer 503, so callers
 * can prove they survive an outage.
 */
import { createServiceApp, type Logger, Problem, parseInput, problems } from '@vcdc/shared';
import type { Express } from 'express';
import { z } from 'zod';
import {
  dayIndex,
  EPOCH,
  isCalendarDate,
  isSimulatedCurrency,
  LAST_DATE,
  ParityWalk,
  spreadUnits,
  unitsToRate,
} from './rates';

export const FX_RATE_SOURCE_NAME = 'vcdc-simulated-central-parity';

export interface FxRateSimulatorOptions {
  seed: string;
  /** The bank's spread below the parity, in basis points of the parity. */
  spreadBasisPoints: number;
  logger: Logger;
  /** The simulator's "today"; injectable so tests can pin it. */
  clock: () => Date;
}

export interface FxRateFaults {
  /** The next `count` rate requests answer 503. */
  failNext(count: number): void;
  /** How many injected failures are still pending. */
  readonly pending: number;
}

export interface FxRate {
  currency: string;
  quote: 'CNY';
  date: string;
  centralParity: string;
  bankBuyRate: string;
  spread: string;
  source: string;
  publishedAt: string;
}

const RateQuery = z.object({
  date: z.string().refine(isCalendarDate, { message: 'must be a calendar date written YYYY-MM-DD' }).optional(),
});

export function createFxRateApp(options: FxRateSimulatorOptions): { app: Express; faults: FxRateFaults } {
  const walk = new ParityWalk(options.seed);
  let failures = 0;
  const faults: FxRateFaults = {
    failNext(count: number) {
      failures = count;
    },
    get pending() {
      return failures;
    },
  };

  const app = createServiceApp({
    service: 'fx-rate-simulator',
    logger: options.logger,
    readiness: async () => undefined,
    routes: (app) => {
      app.get('/v1/rates/:currency/:quote', (req, res) => {
        if (failures > 0) {
          failures -= 1;
          throw problems.unavailable('Rate source unavailable', 'injected fault: the rate source is down');
        }
        const { currency, quote } = req.params;
        if (quote !== 'CNY' || !isSimulatedCurrency(currency)) {
          throw problems.notFound('Rate', `${currency}/${quote}`);
        }
        const { date: asked } = parseInput(RateQuery, req.query, 'query');
        const today = options.clock().toISOString().slice(0, 10);
        const date = asked ?? today;
        if (date > today) {
          throw new Problem(
            404,
            'rate-not-published',
            'Rate not published yet',
            `no ${currency}/CNY rate for ${date} yet`,
          );
        }
        if (date < EPOCH || date > LAST_DATE) {
          throw new Problem(
            404,
            'rate-not-covered',
            'No rate for that date',
            `the simulated rates cover ${EPOCH} to ${LAST_DATE}`,
          );
        }
        const parity = walk.unitsOn(currency, dayIndex(date));
        const spread = spreadUnits(parity, options.spreadBasisPoints);
        const body: FxRate = {
          currency,
          quote: 'CNY',
          date,
          centralParity: unitsToRate(parity),
          bankBuyRate: unitsToRate(parity - spread),
          spread: unitsToRate(spread),
          source: FX_RATE_SOURCE_NAME,
          // The parity is published at 09:15 Beijing time on its date.
          publishedAt: `${date}T01:15:00.000Z`,
        };
        res.json(body);
      });
    },
  });
  return { app, faults };
}
