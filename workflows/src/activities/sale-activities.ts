/**
 * The execution engine's effects on the exchange service, besides placing orders (case-activities.ts):
 * the fair reference price, the legal floor, the venue's traded volume (participation cap), the
 * visible bid depth, the sale route (kept by the service), an order's state and cancelling its open remainder.
 * Same mapping as case-activities.ts: 5xx / no answer retried by Temporal (a stale or diverging reference
 * is a 503, so the engine waits for a fair price instead of trading blind), a 4xx refusal is final.
 */
import { type contracts, routeClient, type ServiceClient } from '@vcdc/shared';
import { EXCHANGE_ROUTES } from '../../../services/exchange/src/api';
import { atVenue, call } from './case-activities';

/** A market symbol (`BTC/USDT`) as its routes' path parameters. */
function market(symbol: string): { base: string; quote: string } {
  const [base = '', quote = ''] = symbol.split('/');
  return { base, quote };
}

/** The single reads a sale's opening quote is made of: the activities of these names (or their stand-ins). */
interface QuoteReads<R, F> {
  getReferencePrice(symbol: string, venue?: string): Promise<R>;
  getLegalFloor(symbol: string, venue?: string): Promise<F>;
}

/**
 * A sale's opening quote in one activity (issue 18): the legal floor and the arrival reference, the same
 * two routes read in parallel. Each read is looked up when the quote runs, so a test's stand-in for one
 * of them is what the quote asks too.
 */
export function saleQuoteReader<R, F>(reads: QuoteReads<R, F>) {
  return async (symbol: string, venue?: string) => {
    const [floor, reference] = await Promise.all([
      reads.getLegalFloor(symbol, venue),
      reads.getReferencePrice(symbol, venue),
    ]);
    return { floor, reference };
  };
}

export function createSaleActivities(client: ServiceClient) {
  const x = routeClient(client, EXCHANGE_ROUTES);
  const activities = {
    /** `venue`: another trading venue than the service's default (case-activities.ts atVenue). */
    async getReferencePrice(symbol: string, venue?: string) {
      return call('reference price', () => atVenue(x, venue, 'getReferencePrice', { params: market(symbol) }));
    },
    async getLegalFloor(symbol: string, venue?: string) {
      return call('legal floor', () => atVenue(x, venue, 'getLegalFloor', { params: market(symbol) }));
    },
    /**
     * The venue's traded volume in an interval: [since, until) (ISO times; until: now by the service's
     * clock), or the last `seconds` before now by the service's clock.
     */
    async getTradedVolume(
      symbol: string,
      window: { since: string; until?: string } | { seconds: number },
      venue?: string,
    ) {
      const query = 'seconds' in window ? { seconds: String(window.seconds) } : window;
      return call('traded volume', () => atVenue(x, venue, 'getTradedVolume', { params: market(symbol), query }));
    },
    /**
     * How a coin lot reaches fiat (direct, or through the stablecoin), decided by the exchange service
     * on the direct market's book now (@vcdc/shared/sale-route) and kept for the best-execution dossier.
     */
    async chooseSaleRoute(caseId: string, body: contracts.exchange.ChooseSaleRoute, key: string) {
      return call('sale route', () => x.call('chooseSaleRoute', { params: { caseId }, body, idempotencyKey: key }));
    },
    async cancelSellOrder(caseId: string, clientOrderId: string, key: string, venue?: string) {
      return call('cancel order', () =>
        atVenue(x, venue, 'cancelSellOrder', { params: { clientOrderId }, body: { caseId }, idempotencyKey: key }),
      );
    },
  };
  return { ...activities, getSaleQuote: saleQuoteReader(activities) };
}
export type SaleActivities = ReturnType<typeof createSaleActivities>;
