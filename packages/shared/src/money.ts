/**
 * Money: decimal strings on the wire, `Decimal` in code, NUMERIC in PostgreSQL. Never a JS number.
 *
 * Rounding is always explicit and always toward zero; whatever rounding cuts off is returned as a
 * remainder so the caller can book it as its own line (conservation to the last unit).
 */
import DecimalJs from 'decimal.js';
import { z } from 'zod';

/** A Decimal constructor isolated from the global one: 80 significant digits, toward zero, no exponent notation. */
export const Decimal = DecimalJs.clone({ precision: 80, rounding: DecimalJs.ROUND_DOWN, toExpNeg: -80, toExpPos: 80 });
export type Decimal = InstanceType<typeof Decimal>;

/** Units of account and their precision (decimal places of the smallest unit). */
export const ASSETS = {
  BTC: { scale: 8, kind: 'crypto' },
  ETH: { scale: 18, kind: 'crypto' },
  USDT: { scale: 6, kind: 'crypto' },
  USD: { scale: 2, kind: 'fiat' },
  HKD: { scale: 2, kind: 'fiat' },
  CNY: { scale: 2, kind: 'fiat' },
} as const;
export type AssetCode = keyof typeof ASSETS;
export const AssetCode = z.enum(Object.keys(ASSETS) as [AssetCode, ...AssetCode[]]);
export const CryptoAsset = z.enum(['BTC', 'ETH', 'USDT']);
export const FiatCurrency = z.enum(['USD', 'HKD', 'CNY']);

export function scaleOf(asset: AssetCode): number {
  return ASSETS[asset].scale;
}

const DECIMAL_PATTERN = /^(0|[1-9]\d{0,29})(\.\d{1,30})?$/;

/** A non-negative decimal amount as a string, e.g. "0.00000001". No exponent, sign or spaces. */
export const DecimalString = z.string().regex(DECIMAL_PATTERN, {
  message: 'must be a non-negative decimal string such as "12.5" (no sign, exponent or spaces)',
});

/** A signed decimal amount as a string: "-0.5", "0.25" (a difference, a correction, basis points). */
export const SignedDecimalString = z.string().regex(/^-?(0|[1-9]\d{0,29})(\.\d{1,30})?$/, {
  message: 'must be a decimal string such as "0.5" or "-0.5" (no exponent or spaces)',
});

/** A decimal amount strictly greater than zero. */
// Refinements skip values the pattern already refused: one clear message per field, and no Decimal() of garbage.
export const PositiveDecimalString = DecimalString.refine((s) => !DECIMAL_PATTERN.test(s) || new Decimal(s).gt(0), {
  message: 'must be greater than zero',
});

export function dec(value: string | Decimal): Decimal {
  return new Decimal(value);
}

/** Number of decimal places actually used by a decimal string. */
export function decimalPlaces(value: string | Decimal): number {
  return new Decimal(value).decimalPlaces();
}

/** True when `value` is representable in the asset's smallest unit without rounding. */
export function fitsScale(value: string | Decimal, asset: AssetCode): boolean {
  return decimalPlaces(value) <= scaleOf(asset);
}

/**
 * Format an amount exactly at the asset's scale. Throws if that would need rounding: rounding is
 * a booking decision and must be made with `roundDown`, never silently while formatting.
 */
export function formatAmount(value: Decimal | string, asset: AssetCode): string {
  const d = new Decimal(value);
  if (!fitsScale(d, asset)) {
    throw new RangeError(`${d.toFixed()} has more than ${scaleOf(asset)} decimal places for ${asset}`);
  }
  return d.toFixed(scaleOf(asset));
}

/** Round toward zero to `scale` places; the cut-off part is returned so it can be booked. */
export function roundDown(value: Decimal | string, scale: number): { rounded: Decimal; remainder: Decimal } {
  const d = new Decimal(value);
  const rounded = d.toDecimalPlaces(scale, Decimal.ROUND_DOWN);
  return { rounded, remainder: d.minus(rounded) };
}

/** Round toward zero to the asset's scale. */
export function roundDownTo(value: Decimal | string, asset: AssetCode): { rounded: Decimal; remainder: Decimal } {
  return roundDown(value, scaleOf(asset));
}

/**
 * What a block trade of `amount` at `price` costs in `currency`: the product cut toward zero to the
 * currency's smallest unit. A counterparty settles in whole units (a desk wires cents), so the trade's
 * cost is that figure on both sides; the fraction under a cent was never money. One rule for the desks
 * and the exchange service that books their trades.
 */
export function tradeCost(price: Decimal | string, amount: Decimal | string, currency: AssetCode): Decimal {
  return roundDownTo(new Decimal(price).mul(amount), currency).rounded;
}

export function sum(values: Iterable<Decimal | string>): Decimal {
  let total = new Decimal(0);
  for (const v of values) total = total.plus(v);
  return total;
}

/** Canonical wire form: plain decimal notation, no trailing zeros beyond what the value needs. */
export function toWire(value: Decimal): string {
  return value.toFixed();
}

/**
 * The one scale rule of the system: an amount of an asset has at most the asset's decimal places
 * (ASSETS), because amounts are booked in the smallest unit and never rounded on the way in. Every
 * contract, service and the workflow's input check it through this function, so the rule and its
 * wording ("must have at most 8 decimal places for BTC") are the same everywhere. Answers the refusal's
 * message, or undefined when `value` fits, or is no decimal at all (its pattern check says so, once).
 */
export function scaleRefusal(value: string, asset: AssetCode): string | undefined {
  if (!DECIMAL_PATTERN.test(value.replace(/^-/, ''))) return undefined;
  return fitsScale(value, asset) ? undefined : `must have at most ${scaleOf(asset)} decimal places for ${asset}`;
}

/** The scale rule inside a zod `superRefine`: an issue at `path` when `value` is finer than `asset` allows. */
export function checkScale(ctx: z.RefinementCtx, path: PropertyKey[], value: string, asset: AssetCode): void {
  const message = scaleRefusal(value, asset);
  if (message) ctx.addIssue({ code: 'custom', path, message });
}

/** `schema` (a decimal string) with the scale rule of a fixed asset. */
export function withScaleOf<S extends z.ZodType<string>>(schema: S, asset: AssetCode) {
  return schema.refine((s) => scaleRefusal(s, asset) === undefined, {
    message: `must have at most ${scaleOf(asset)} decimal places for ${asset}`,
  });
}

/** Zod schema for an amount of a given asset: a positive decimal that fits the asset's precision. */
export function amountOf(asset: AssetCode) {
  return withScaleOf(PositiveDecimalString, asset);
}

/**
 * Whether the venue would pay `amount` out under its terms (a coin's send or a fiat wire): allowed, at
 * least the minimum, and more than the fee. The one rule for what may stay at the venue as a residual
 * (the exchange service refuses any other) and what the case sends back instead (case-residuals.ts).
 * Here, not in the exchange contract (which re-exports it): workflow code asks it without evaluating
 * the services' contracts for every workflow it starts.
 */
export function venueWouldPayOut(
  amount: Decimal | string,
  terms: { allowed: boolean; minAmount: string; fee: string },
): boolean {
  const a = new Decimal(amount);
  return terms.allowed && a.gte(terms.minAmount) && a.gt(terms.fee);
}
