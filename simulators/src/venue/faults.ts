/**
 * What a test can make the venue do wrong, and the venue's own limits that look like faults to a
 * client: per-operation latency, 5xx answers, answers lost after the work was done ("timeout after
 * accept": the order exists, the client does not know), partial fills, rejected orders, a request-rate
 * limit (HTTP 429 with HashKey's body `{"code":"0003"}`, which ccxt raises as RateLimitExceeded) and
 * maintenance windows (503 `{"code":-1101}`, ccxt's ExchangeNotAvailable).
 *
 * Probabilistic faults draw from a seeded generator, so a test with the same seed and the same calls
 * sees the same faults. Errors use HashKey's codes so real ccxt maps them as it would at the real venue.
 */
import { seededRandom } from './book';

/** Operations whose answer a test can make the venue lose, after the work is done. */
export type FaultableOperation = 'createOrder' | 'withdraw';

export interface FaultPlan {
  /** Seed of the fault dice (default 1). */
  seed?: number;
  /** Added to every answer (ms). */
  latencyMs?: number;
  /** Share of requests (0-1) answered 502 before doing anything. */
  serverErrorRate?: number;
  /** Which requests the 5xx rate hits: every request (default) or only trading calls (orders, withdrawals). */
  serverErrorScope?: 'all' | 'trading';
  /** Share of order placements whose answer is lost after the order was accepted. */
  timeoutAfterAcceptRate?: number;
  /** Share of order placements refused by the venue (code -1149, "Order creation failed"). */
  rejectRate?: number;
  /** Share of order placements that match only part of what they could on arrival. */
  partialFillRate?: number;
  /** Requests allowed per rolling second before 429 (unset: no limit). */
  maxRequestsPerSecond?: number;
  /** Windows [start, end) in ms since the Unix epoch in which every trading call answers 503. */
  maintenance?: { start: number; end: number }[];
}

export type RequestFault =
  | { kind: 'none' }
  | { kind: 'rate-limited' }
  | { kind: 'maintenance' }
  | { kind: 'server-error' };

export class VenueFaults {
  private readonly drops = new Map<FaultableOperation, number>();
  private plan: FaultPlan = {};
  private dice: () => number = seededRandom(1);
  private recent: number[] = [];
  /** What was injected, for tests to assert the faults really happened. */
  readonly injected = { serverErrors: 0, rateLimited: 0, maintenance: 0, lostAnswers: 0, rejects: 0, partialFills: 0 };

  /** The next `times` answers to `operation` are lost after the venue has accepted the request. */
  dropResponseAfterAccept(operation: FaultableOperation, times = 1): void {
    this.drops.set(operation, (this.drops.get(operation) ?? 0) + times);
  }

  /** Replace the probabilistic plan (and reseed its dice). */
  configure(plan: FaultPlan): void {
    this.plan = { ...plan };
    this.dice = seededRandom(plan.seed ?? 1);
    this.recent = [];
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
    return { kind: 'none' };
  }

  /** For an order placement: refuse it, or let it match only partly (the fraction of its quantity). */
  orderFault(): { reject: boolean; fillFraction?: number } {
    if (this.roll(this.plan.rejectRate)) {
      this.injected.rejects++;
      return { reject: true };
    }
    if (this.roll(this.plan.partialFillRate)) {
      this.injected.partialFills++;
      return { reject: false, fillFraction: 0.25 + 0.5 * this.dice() };
    }
    return { reject: false };
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
