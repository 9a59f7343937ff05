/** The proceeds of a case's sales still at the venue. Pure: the workflow and the hold's options use it. */
import { Decimal, sum } from '@vcdc/shared/money';
import type { SaleLeg } from './case-state';

/**
 * What the case's earlier sales left at the venue, in the stablecoin and in fiat (each net of its fees):
 * a case held at SALE after part of its coins was sold, and resumed, sells the rest and goes on with
 * these too. Zero for a case that sold nothing before.
 */
export function proceedsAtVenue(
  sales: readonly SaleLeg[],
  stablecoin: string,
  fiat: string,
): { stable: Decimal; fiat: Decimal } {
  const net = (quote: string) =>
    sum(sales.filter((s) => s.symbol.endsWith(`/${quote}`)).map((s) => new Decimal(s.cost).minus(s.fee)));
  const stableSold = sum(sales.filter((s) => s.symbol === `${stablecoin}/${fiat}`).map((s) => s.filled));
  return { stable: net(stablecoin).minus(stableSold), fiat: net(fiat) };
}
