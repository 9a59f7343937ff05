/**
 * The venue's own API rate limit, as a real venue has one: at most `perSecond` requests of its API in
 * any rolling second, above it 429 with HashKey's body `{"code":"0003"}` (ccxt's RateLimitExceeded),
 * and nothing done. Every request counts one (HashKey weighs some endpoints more; ccxt's costs weigh
 * them on the client's side, so a client keeping its weighted budget keeps this one).
 *
 * It also counts the requests that reached the API per route ("GET /api/v1/account/trades"): how a
 * test sees how many venue calls an order took. One counter per route, so it does not grow with use.
 */

/** The dev stack's limit; the exchange service's capability table has the same figure for HashKey. */
export const VENUE_REQUESTS_PER_SECOND = 100;

export class VenueRequestLimit {
  private readonly times: number[] = [];
  private head = 0;
  /** Requests refused with 429. */
  refused = 0;
  /** Requests that reached the API (refused ones too), by "METHOD /path". */
  readonly counts = new Map<string, number>();

  /** `perSecond` undefined: no limit (requests are still counted). */
  constructor(readonly perSecond: number | undefined) {}

  /** Counts the request; false when it is over the limit. */
  admit(route: string, now: number): boolean {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    if (this.perSecond === undefined) return true;
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - 1000) this.head++;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    if (this.times.length - this.head >= this.perSecond) {
      this.refused++;
      return false;
    }
    this.times.push(now);
    return true;
  }

  /** The requests counted for routes whose "METHOD /path" is `route`. */
  count(route: string): number {
    return this.counts.get(route) ?? 0;
  }
}
