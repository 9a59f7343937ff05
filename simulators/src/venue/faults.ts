/**
 * What a test can make the venue do wrong, and the venue's own limits that look like faults to a
 * client: per-operation latency, 5xx answers, answers lost after the work was done ("timeout after
 * accept": the order exists, the client does not know), partial fills, rejected orders, a request-rate
 * limit (HTTP 429 with HashKey's body `{"code":"0003"}`, which ccxt raises as RateLimitExceeded) and
 * maintenance windows (503 `{"code":-1101}`, ccxt's ExchangeNotAvailable); requests not answered
 * within the client's timeout (ccxt's RequestTimeout), fills that come only later (the order rests NEW
 * first), and deposits held for review by rate.
 *
 * Probabilistic faults draw from a seeded generator, so a test with the same seed and the same calls
 * sees the same faults. Errors use HashKey's codes so real ccxt maps them as it would at the real venue.
 */
import { z } from 'zod';
import { seededRandom } from './book';

/** Operations whose answer a test can make the venue lose, after the work is done. */
export type FaultableOperation = 'createOrder' | 'withdraw';

const rate = z.number().min(0).max(1);
const ms = z.number().int().min(0);

/**
 * A fault profile: what the venue gets wrong and how often. The same schema checks the simulators'
 * VENUE_FAULTS (JSON) and the admin route's body (PUT /sim/v1/faults); unknown fields are refused so
 * a misspelt rate is never silently a rate of zero.
 */
export const FaultPlanSchema = z.strictObject({
  /** Seed of the fault dice (default 1). */
  seed: z.number().int().optional(),
  /** Added to every answer (ms). */
  latencyMs: ms.optional(),
  /** Share of requests (0-1) answered 502 before doing anything. */
  serverErrorRate: rate.optional(),
  /** Which requests the 5xx rate hits: every request (default) or only trading calls (orders, withdrawals). */
  serverErrorScope: z.enum(['all', 'trading']).optional(),
  /**
   * Share of requests (0-1) the venue never answers in time, before doing anything: the connection is
   * held `requestTimeoutMs` and then closed, so a client whose timeout is shorter (ccxt: 10 s by
   * default) raises RequestTimeout. Hits the requests `requestTimeoutScope` names (default all).
   */
  requestTimeoutRate: rate.optional(),
  requestTimeoutMs: ms.optional(),
  requestTimeoutScope: z.enum(['all', 'trading']).optional(),
  /** Share of order placements whose answer is lost after the order was accepted. */
  timeoutAfterAcceptRate: rate.optional(),
  /** Share of order placements refused by the venue (code -1149, "Order creation failed"). */
  rejectRate: rate.optional(),
  /** Share of order placements that match only part of what they could on arrival. */
  partialFillRate: rate.optional(),
  /**
   * Share of order placements accepted as NEW with nothing matched, then matched against the book of
   * `fillDelayMs` later (default 5000): the fill a client sees only when it polls again.
   */
  delayedFillRate: rate.optional(),
  fillDelayMs: ms.optional(),
  /**
   * Share of confirmed deposits the venue holds for review (HashKey status 5, ccxt "pending") with
   * `depositHoldReason`, released by itself after `depositHoldReleaseAfterMs` (absent: only by hand).
   */
  depositHoldRate: rate.optional(),
  depositHoldReason: z.string().min(1).max(200).optional(),
  depositHoldReleaseAfterMs: ms.optional(),
  /** Requests allowed per rolling second before 429 (unset: no limit). */
  maxRequestsPerSecond: z.number().int().positive().optional(),
  /** Windows [start, end) in ms since the Unix epoch in which every trading call answers 503. */
  maintenance: z.array(z.strictObject({ start: ms, end: ms })).optional(),
});

export type FaultPlan = z.infer<typeof FaultPlanSchema>;

export class FaultProfileError extends Error {}

/** A fault profile from JSON text (VENUE_FAULTS); the error names the field that is wrong. */
export function parseFaultProfile(text: string): FaultPlan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FaultProfileError('not JSON: expected an object such as {"seed":7,"serverErrorRate":0.3}');
  }
  return checkFaultPlan(json);
}

/** A fault profile from a parsed body; the error names the field that is wrong. */
export function checkFaultPlan(value: unknown): FaultPlan {
  const parsed = FaultPlanSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new FaultProfileError(
    parsed.error.issues
      .map((issue) => {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
        return `${keys || '(profile)'}: ${issue.message}`;
      })
      .join('; '),
  );
}

export type RequestFault =
  | { kind: 'none' }
  | { kind: 'rate-limited' }
  | { kind: 'maintenance' }
  | { kind: 'server-error' }
  | { kind: 'timeout'; holdMs: number };

export class VenueFaults {
  private readonly drops = new Map<FaultableOperation, number>();
  private plan: FaultPlan = {};
  private dice: () => number = seededRandom(1);
  private recent: number[] = [];
  /** What was injected, for tests to assert the faults really happened. */
  readonly injected = {
    serverErrors: 0,
    rateLimited: 0,
    maintenance: 0,
    timeouts: 0,
    lostAnswers: 0,
    rejects: 0,
    partialFills: 0,
    delayedFills: 0,
    depositHolds: 0,
  };

  /** The next `times` answers to `operation` are lost after the venue has accepted the request. */
  dropResponseAfterAccept(operation: FaultableOperation, times = 1): void {
    this.drops.set(operation, (this.drops.get(operation) ?? 0) + times);
  }

  /** Replace the probabilistic plan (and reseed its dice). */
  configure(plan: FaultPlan): void {
    this.plan = structuredClone(plan);
    this.dice = seededRandom(plan.seed ?? 1);
    this.recent = [];
  }

  /** The plan in force (the admin route shows it). */
  get current(): FaultPlan {
    return structuredClone(this.plan);
  }

  get latencyMs(): number {
    return this.plan.latencyMs ?? 0;
  }

  /** Decided before the request is handled: a refusal that leaves no trace at the venue. */
  beforeRequest(now: number, trading: boolean): RequestFault {
    const max = this.plan.maxRequestsPerSecond;
    if (max !== undefined) {
      this.recent = this.recent.filter((t) => t > now - 1000);
      if (this.recent.length >= max) {
        this.injected.rateLimited++;
        return { kind: 'rate-limited' };
      }
      this.recent.push(now);
    }
    if (trading && (this.plan.maintenance ?? []).some((w) => now >= w.start && now < w.end)) {
      this.injected.maintenance++;
      return { kind: 'maintenance' };
    }
    const scoped = this.plan.serverErrorScope !== 'trading' || trading;
    if (scoped && this.roll(this.plan.serverErrorRate)) {
      this.injected.serverErrors++;
      return { kind: 'server-error' };
    }
    const timeoutScoped = this.plan.requestTimeoutScope !== 'trading' || trading;
    if (timeoutScoped && this.roll(this.plan.requestTimeoutRate)) {
      this.injected.timeouts++;
      return { kind: 'timeout', holdMs: this.plan.requestTimeoutMs ?? 30_000 };
    }
    return { kind: 'none' };
  }

  /**
   * For an order placement: refuse it, let it match only partly (the fraction of its quantity), or
   * match it only after a delay (ms).
   */
  orderFault(): { reject: boolean; fillFraction?: number; fillDelayMs?: number } {
    if (this.roll(this.plan.rejectRate)) {
      this.injected.rejects++;
      return { reject: true };
    }
    if (this.roll(this.plan.partialFillRate)) {
      this.injected.partialFills++;
      return { reject: false, fillFraction: 0.25 + 0.5 * this.dice() };
    }
    if (this.roll(this.plan.delayedFillRate)) {
      this.injected.delayedFills++;
      return { reject: false, fillDelayMs: this.plan.fillDelayMs ?? 5000 };
    }
    return { reject: false };
  }

  /** For a deposit now confirmed: the hold the profile puts on it, if its dice say so. */
  depositHold(): { reason: string; releaseAfterMs: number | null } | undefined {
    if (!this.roll(this.plan.depositHoldRate)) return undefined;
    this.injected.depositHolds++;
    return {
      reason: this.plan.depositHoldReason ?? 'AML review: source of funds (injected)',
      releaseAfterMs: this.plan.depositHoldReleaseAfterMs ?? null,
    };
  }

  /** True (and consumes one) when this answer is to be dropped after the work was done. */
  takeDrop(operation: FaultableOperation): boolean {
    const left = this.drops.get(operation) ?? 0;
    if (left > 0) {
      this.drops.set(operation, left - 1);
      this.injected.lostAnswers++;
      return true;
    }
    if (operation === 'createOrder' && this.roll(this.plan.timeoutAfterAcceptRate)) {
      this.injected.lostAnswers++;
      return true;
    }
    return false;
  }

  clear(): void {
    this.drops.clear();
    this.configure({});
  }

  private roll(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.dice() < rate;
  }
}
