/**
 * How the ccxt client paces its requests to a venue whose request limit is known (the capability
 * table's `requestLimit`): up to the limit at once, so the calls of twenty cases go out in parallel
 * instead of queueing one cost unit per 100 ms behind each other (ccxt's default for HashKey, issue 19).
 * Without a known limit, ccxt's default pacing for the exchange class stays.
 *
 * Why not ccxt's own rolling-window limiter: it counts a request when it leaves, the venue when it
 * arrives, so requests held up on the way (a busy venue, a busy event loop) land in the venue's second
 * together with later ones and are refused (429). Here a request holds its place in the budget from the
 * moment it leaves until a second after its answer came back: every request the venue can still be
 * counting in its last second holds a place, so the client never sends more than the venue admits.
 */
import type { Exchange } from 'ccxt';
import type { RequestLimit } from './capabilities';

/** Timers and the venue's clock both round to the millisecond. */
const SLACK_MS = 5;

export class RequestBudget {
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly perSecond: number,
    private readonly windowMs = 1000,
  ) {}

  /** Runs `send` once a place is free; the place is given back a window after `send` settles. */
  async run<T>(send: () => Promise<T>): Promise<T> {
    if (this.inUse < this.perSecond) this.inUse++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // handed a place by release()
    try {
      return await send();
    } finally {
      setTimeout(() => this.release(), this.windowMs + SLACK_MS).unref();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inUse--;
  }
}

/**
 * Paces `exchange` (built with ccxt's own pacing off) by the venue's limit: every HTTP request it makes
 * (ccxt's `fetch`, under all its unified methods) goes through one budget.
 */
export function paceByLimit(exchange: Exchange, limit: RequestLimit): void {
  const budget = new RequestBudget(limit.perSecond);
  const send = exchange.fetch.bind(exchange);
  exchange.fetch = (...args: Parameters<Exchange['fetch']>) => budget.run(() => send(...args));
}
