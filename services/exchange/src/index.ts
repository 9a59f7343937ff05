export { createApp, EXCHANGE_MIGRATIONS_DIR, type ExchangeAppDeps } from './app';
export { CcxtVenue, type CcxtVenueOptions } from './ccxt-venue';
export { ExchangeConfig } from './config';
export { type RunningExchangeService, startExchangeService, venueFromConfig } from './service';
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
