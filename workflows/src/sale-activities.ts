/**
 * The execution engine's effects on the exchange service, besides placing orders (activities.ts):
 * the fair reference price, the legal floor, an order's state and cancelling its open remainder.
 * Same mapping as activities.ts: 5xx / no answer retried by Temporal (a stale or diverging reference
 * is a 503, so the engine waits for a fair price instead of trading blind), a 4xx refusal is final.
 */
import { contracts, type ServiceClient } from '@vcdc/shared';
import { call } from './activities';

const { exchange } = contracts;
const enc = encodeURIComponent;

export function createSaleActivities(x: ServiceClient) {
  const market = (symbol: string) => symbol.split('/').map(enc).join('/');
  return {
    async getReferencePrice(symbol: string) {
      return call(exchange.ReferencePrice, 'reference price', () =>
        x.get(`/v1/markets/${market(symbol)}/reference-price`),
      );
    },
    async getLegalFloor(symbol: string) {
      return call(exchange.LegalFloor, 'legal floor', () => x.get(`/v1/markets/${market(symbol)}/legal-floor`));
    },
    async getSellOrder(clientOrderId: string) {
      return call(exchange.VenueOrder, 'venue order', () => x.get(`/v1/orders/${enc(clientOrderId)}`));
    },
    async cancelSellOrder(caseId: string, clientOrderId: string, key: string) {
      return call(exchange.VenueOrder, 'cancel order', () =>
        x.post(`/v1/orders/${enc(clientOrderId)}/cancel`, { caseId }, key),
      );
    },
  };
}
export type SaleActivities = ReturnType<typeof createSaleActivities>;
