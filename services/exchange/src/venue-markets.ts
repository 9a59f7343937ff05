/**
 * Loading a venue's markets through ccxt without keeping a failure. ccxt caches the promise of its
 * first `loadMarkets()` (`marketsLoading`) — a rejected one too — and every call it makes awaits that
 * promise first: one 502 from the venue while the markets load left the exchange service unable to
 * reach the venue until it was restarted (issue 14). Here a failed load is forgotten at once, so the
 * next call loads afresh; the caller's retry (the worker's, with backoff) does the rest.
 */
import type { Exchange } from 'ccxt';

export async function loadMarketsForgettingFailures(exchange: Exchange): Promise<void> {
  if (exchange.markets) return;
  try {
    await exchange.loadMarkets();
  } catch (error) {
    // Not kept: ccxt would hand every later call this same rejection.
    (exchange as unknown as { marketsLoading?: unknown }).marketsLoading = undefined;
    throw error;
  }
}
