/**
 * A simulated OSL on loopback (dev and tests only): the venue simulator's engine (book, ledger,
 * deposits watched on the chain simulator, withdrawals paid out on it) behind OSL's own API (app.ts):
 * its paths, signing, precision, limits, fees and professional-investor-only pairs. ccxt has no OSL
 * class; the exchange service reaches it through its own adapter (services/exchange/src/osl).
 *
 *   const osl = await startOslSimulator({ chainUrl, bankAccounts: [{ id, name, bank }] });
 */
import { type RunningVenueSimulator, startVenueSimulator, type VenueSimulatorOptions } from '../venue';
import { createOslApp } from './app';
import { OSL_FEES, OSL_MARKETS, OSL_NETWORK_FEES, OSL_WIRE_FEE, type OslInvestorClass } from './markets';

export { oslSignature } from './auth';
export { OSL_FEES, OSL_MARKETS, type OslInvestorClass, type OslMarket } from './markets';

import { DEV_OSL_API_KEY, DEV_OSL_SECRET } from './credentials';

export { DEV_OSL_API_KEY, DEV_OSL_SECRET } from './credentials';

export interface OslSimulatorOptions extends Omit<VenueSimulatorOptions, 'api' | 'markets'> {
  /** The account's investor class at OSL (default professional). */
  investorClass?: OslInvestorClass;
}

export type RunningOslSimulator = RunningVenueSimulator;

export function startOslSimulator(options: OslSimulatorOptions): Promise<RunningOslSimulator> {
  const { investorClass, ...venueOptions } = options;
  return startVenueSimulator({
    // Another venue: its own deposit addresses (seeded), fee schedule and markets.
    seed: 7702,
    takerFee: OSL_FEES.takerFee,
    makerFee: OSL_FEES.makerFee,
    withdrawalFee: OSL_WIRE_FEE,
    networkWithdrawalFees: OSL_NETWORK_FEES,
    ...Object.fromEntries(Object.entries(venueOptions).filter(([, v]) => v !== undefined)),
    chainUrl: options.chainUrl,
    apiKey: options.apiKey ?? DEV_OSL_API_KEY,
    secret: options.secret ?? DEV_OSL_SECRET,
    markets: OSL_MARKETS,
    api: (deps) => createOslApp(deps, { investorClass: investorClass ?? 'professional', markets: OSL_MARKETS }),
  });
}
