/**
 * Base units: an amount of an asset as a whole number of its smallest unit (satoshi, wei, the token's
 * unit, fen), as auditors count ("13,000 satoshi short across three lots"). Pure and exact: BigInt on
 * the integer side, string digits on the decimal side, so no amount of any size is ever rounded or
 * passed through a JS number. The asset's smallest unit is its scale in ASSETS (money.ts), the one
 * table of precisions.
 */
import { ASSETS, type AssetCode, type Decimal } from './money';

/** What the smallest unit of each asset is called. */
export const BASE_UNIT_NAMES: Record<AssetCode, string> = {
  BTC: 'satoshi',
  ETH: 'wei',
  // Tether's smallest unit has no name of its own: a millionth of a USDT (6 decimals on chain).
  USDT: 'micro-USDT',
  USD: 'cent',
  HKD: 'cent',
  CNY: 'fen',
};

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const INTEGER = /^-?\d+$/;

/** The amount as a whole number of the asset's smallest unit; RangeError if it is finer than that, or not a decimal. */
export function toBaseUnits(amount: string | Decimal, asset: AssetCode): bigint {
  const text = typeof amount === 'string' ? amount : amount.toFixed();
  const match = DECIMAL.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a decimal amount of ${asset}`);
  const [, sign = '', whole = '0', rawFraction = ''] = match;
  const scale = ASSETS[asset].scale;
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > scale) {
    throw new RangeError(
      `${text} has more than ${scale} decimal places for ${asset}: it is not a whole number of ${BASE_UNIT_NAMES[asset]}`,
    );
  }
  const units = BigInt(whole + fraction.padEnd(scale, '0'));
  return sign ? -units : units;
}

/** The decimal (canonical wire form: no trailing zeros) of a whole number of the asset's smallest unit. */
export function fromBaseUnits(units: bigint | string, asset: AssetCode): string {
  if (typeof units === 'string' && !INTEGER.test(units)) {
    throw new RangeError(`"${units}" is not a whole number of ${BASE_UNIT_NAMES[asset]}`);
  }
  const n = BigInt(units);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString();
  const scale = ASSETS[asset].scale;
  const padded = digits.padStart(scale + 1, '0');
  const whole = padded.slice(0, padded.length - scale);
  const fraction = padded.slice(padded.length - scale).replace(/0+$/, '');
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && text !== '0' ? `-${text}` : text;
}

/** The sum of amounts of one asset, in its smallest unit (e.g. across a case's lots). */
export function totalInBaseUnits(amounts: Iterable<string | Decimal>, asset: AssetCode): bigint {
  let total = 0n;
  for (const amount of amounts) total += toBaseUnits(amount, asset);
  return total;
}

/** 1234567 -> "1,234,567" (for people; answers carry the plain digits). */
export function groupDigits(units: bigint): string {
  const digits = (units < 0n ? -units : units).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return units < 0n ? `-${digits}` : digits;
}

/** "0.00013 BTC (13,000 satoshi)": the decimal with its base units beside it. */
export function baseUnitsBeside(amount: string | Decimal, asset: AssetCode): string {
  const text = typeof amount === 'string' ? amount : amount.toFixed();
  return `${text} ${asset} (${groupDigits(toBaseUnits(text, asset))} ${BASE_UNIT_NAMES[asset]})`;
}

/** An amount as answers carry it: the decimal and, beside it, its base units as a digit string (JSON has no BigInt). */
export interface AmountWithBaseUnits {
  amount: string;
  baseUnits: string;
}

export function withBaseUnits(amount: string | Decimal, asset: AssetCode): AmountWithBaseUnits {
  const text = typeof amount === 'string' ? amount : amount.toFixed();
  return { amount: text, baseUnits: toBaseUnits(text, asset).toString() };
}
