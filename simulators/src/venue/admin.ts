/**
 * The venue simulator's admin routes (dev stack and tests, not HashKey's API): the fault profile and
 * the market driver. A person (or the fault suite) changes what the venue does while it runs:
 *
 *   GET  /sim/v1/faults                      the profile in force and what was injected so far
 *   PUT  /sim/v1/faults                      replace the profile (faults.ts `FaultPlanSchema`; {} clears it)
 *   GET  /sim/v1/market/:symbol              the market's step, mid and the driver's commands
 *   POST /sim/v1/market/:symbol/move         {"percent": "-8", "overSeconds": 60}
 *   PUT  /sim/v1/market/:symbol/volatility   {"volatilityBp": "5"}  (per step)
 *   PUT  /sim/v1/market/:symbol/flow         {"flowPerStep": "2"}   (other participants' buying and selling)
 *
 * `:symbol` is the venue's id (BTCUSDT) or ccxt's (BTC/USDT, URL-encoded). Only from loopback and only
 * with `Authorization: Bearer <admin token>`; without a token configured the routes refuse everything.
 * The trading API's own authentication (HashKey's signature) is untouched: these routes are a separate door.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { Decimal } from '../../../packages/shared/src/money';
import { VenueError } from './errors';
import { checkFaultPlan, FaultProfileError, type VenueFaults } from './faults';
import type { Venue } from './venue';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const decimal = (check: (d: Decimal) => boolean, message: string) =>
  z.union([z.string(), z.number()]).refine((v) => {
    try {
      return check(new Decimal(String(v)));
    } catch {
      return false;
    }
  }, message);

const MoveBody = z.strictObject({
  percent: decimal((d) => d.gt(-100) && d.lte(1000), 'a decimal over -100 and at most 1000 (percent)'),
  overSeconds: z.number().int().min(0).max(86_400),
});
const VolatilityBody = z.strictObject({
  volatilityBp: decimal((d) => d.gte(0) && d.lte(1000), 'a decimal from 0 to 1000 (basis points per step)'),
});
const FlowBody = z.strictObject({
  flowPerStep: decimal((d) => d.gte(0) && d.lte(1000), 'a decimal from 0 to 1000'),
});

function problem(res: Response, status: number, title: string, detail: string): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, detail });
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function adminRoutes(deps: { venue: Venue; faults: VenueFaults; adminToken?: string }): Router {
  const { venue, faults, adminToken } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '20kb' }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      problem(res, 403, 'Forbidden', 'the venue simulator’s admin routes answer only on loopback');
    } else if (!adminToken) {
      problem(res, 403, 'Forbidden', 'no admin token is configured (VENUE_ADMIN_TOKEN)');
    } else {
      const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      if (!given || !tokenMatches(given, adminToken)) {
        problem(res, 401, 'Unauthorized', 'send Authorization: Bearer <the venue admin token>');
      } else next();
    }
  });

  const body =
    <T>(schema: z.ZodType<T>, work: (data: T, req: Request) => unknown) =>
    (req: Request, res: Response): void => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map(
            (i) => `${i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.') || '(body)'}: ${i.message}`,
          )
          .join('; ');
        problem(res, 400, 'Bad Request', detail);
        return;
      }
      run(res, () => work(parsed.data, req));
    };

  router.get('/faults', (_req, res) => {
    res.json({ plan: faults.current, injected: faults.injected });
  });
  router.put('/faults', (req: Request, res: Response) => {
    try {
      faults.configure(checkFaultPlan(req.body ?? {}));
    } catch (error) {
      if (!(error instanceof FaultProfileError)) throw error;
      problem(res, 400, 'Bad Request', error.message);
      return;
    }
    res.json({ plan: faults.current, injected: faults.injected });
  });

  router.get('/market/:symbol', (req, res) => run(res, () => venue.marketView(String(req.params.symbol))));
  router.post(
    '/market/:symbol/move',
    body(MoveBody, (b, req) =>
      venue.moveMarket(String(req.params.symbol), new Decimal(String(b.percent)), b.overSeconds * 1000),
    ),
  );
  router.put(
    '/market/:symbol/volatility',
    body(VolatilityBody, (b, req) =>
      venue.setVolatility(String(req.params.symbol), new Decimal(String(b.volatilityBp))),
    ),
  );
  router.put(
    '/market/:symbol/flow',
    body(FlowBody, (b, req) => venue.setFlow(String(req.params.symbol), new Decimal(String(b.flowPerStep)))),
  );
  // A body that is not JSON: the same problem shape as every other refusal here.
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if ((error as { type?: string }).type !== 'entity.parse.failed') return next(error);
    problem(res, 400, 'Bad Request', '(body): not JSON');
  });
  return router;
}

function run(res: Response, work: () => unknown): void {
  try {
    res.json(work());
  } catch (error) {
    if (!(error instanceof VenueError)) throw error;
    problem(res, error.httpStatus === 409 ? 409 : 400, 'Refused', error.message);
  }
}
