/**
 * Settling foreign currency into CNY: foreign × rate, rounded toward zero to the fen. What the
 * rounding cuts off is kept as its own figure, so cnyAmount + remainder = foreign × rate exactly.
 */
import { Decimal, roundDownTo } from '@vcdc/shared/money';

export interface CnyConversion {
  /** foreign × rate, exact. */
  exact: Decimal;
  /** `exact` rounded toward zero to 2 decimal places. */
  cnyAmount: Decimal;
  /** exact − cnyAmount: at least 0, below 0.01. */
  remainder: Decimal;
}

export function convertToCny(foreignAmount: Decimal | string, rate: Decimal | string): CnyConversion {
  const exact = new Decimal(foreignAmount).times(rate);
  const { rounded, remainder } = roundDownTo(exact, 'CNY');
  return { exact, cnyAmount: rounded, remainder };
}
