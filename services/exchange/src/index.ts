export { createApp, EXCHANGE_MIGRATIONS_DIR, type ExchangeAppDeps } from './app';
export { CcxtVenue, type CcxtVenueOptions } from './ccxt-venue';
export { ExchangeConfig, TradingVenue } from './config';
export { Osl } from './osl/osl-exchange';
export { OslVenue, type OslVenueOptions } from './osl/osl-venue';
export {
  computeReferenceIndex,
  DEFAULT_INDEX_POLICY,
  type IndexComputation,
  type IndexPolicy,
} from './reference-index';
export { type RunningExchangeService, startExchangeService, tradingVenueFromConfig, venueFromConfig } from './service';
export type {
  CryptoWithdrawalRequest,
  CryptoWithdrawalSnapshot,
  DepositSnapshot,
  FillSnapshot,
  MarketRules,
  OrderSnapshot,
  SellOrderRequest,
  Venue,
  WithdrawalRequest,
  WithdrawalSnapshot,
  WithdrawalTerms,
} from './venue';
export { VenueCallError } from './venue';
