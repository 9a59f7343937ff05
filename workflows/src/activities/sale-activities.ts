/**
 * The execution engine's effects on the exchange service, besides placing orders (activities.ts):
 * the fair reference price, the legal floor, the venue's traded volume (participation cap), the
 * visible bid depth, the sale route (kept by the service), an order's state and cancelling its open remainder.
 * Same mapping as activities.ts: 5xx / no answer retried by Temporal (a stale or diverging reference
 * is a 503, so the engine waits for a fair price instead of trading blind), a 4xx refusal is final.
 */
import { contracts, type ServiceClient } from '@vcdc/shared';
import { call, venuePath } from './case-activities';

const { exchange } = contracts;
const enc = encodeURIComponent;

export function createSaleActivities(x: ServiceClient) {
  const market = (symbol: string) => symbol.split('/').map(enc).join('/');
  return {
    /** `venue`: another trading venue than the service's default (activities.ts venuePath). */
    async getReferencePrice(symbol: string, venue?: string) {
      return call(exchange.ReferencePrice, 'reference price', () =>
        x.get(venuePath(venue, `/markets/${market(symbol)}/reference-price`)),
      );
    },
    async getLegalFloor(symbol: string, venue?: string) {
      return call(exchange.LegalFloor, 'legal floor', () =>
        x.get(venuePath(venue, `/markets/${market(symbol)}/legal-floor`)),
      );
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
      return call(exchange.TradedVolume, 'traded volume', () =>
        x.get(venuePath(venue, `/markets/${market(symbol)}/volume`), query),
      );
    },
    /**
     * How a coin lot reaches fiat (direct, or through the stablecoin), decided by the exchange service
     * on the direct market's book now (@vcdc/shared/sale-route) and kept for the best-execution dossier.
     */
    async chooseSaleRoute(caseId: string, body: contracts.exchange.ChooseSaleRoute, key: string) {
      return call(exchange.SaleRouteChoice, 'sale route', () =>
        x.post(`/v1/cases/${enc(caseId)}/route-choices`, body, key),
      );
    },
    async cancelSellOrder(caseId: string, clientOrderId: string, key: string, venue?: string) {
      return call(exchange.VenueOrder, 'cancel order', () =>
        x.post(venuePath(venue, `/orders/${enc(clientOrderId)}/cancel`), { caseId }, key),
      );
    },
  };
}
export type SaleActivities = ReturnType<typeof createSaleActivities>;
