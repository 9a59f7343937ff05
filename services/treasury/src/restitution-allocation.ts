/**
 * Allocating a case's CNY among the victims named in a court's restitution order. Pure: no I/O, no
 * clock, so the same order and the same amount always give the same allocation, fen for fen.
 *
 * Each victim is owed their net loss: the loss the court found minus what they already recovered
 * (never below zero). The court says how the money is shared when it does not cover every net loss:
 * - CLAIM_ORDER: victims are paid in their claim order, each in full before the next gets anything;
 * - PRO_RATA: each gets `pool × net / total net`, where pool = min(available, total net).
 * No victim ever gets more than their net loss; what the victims do not take goes to the treasury.
 *
 * Pro rata shares are rarely whole fen. Every share is first rounded down to the fen; the fen left
 * over are handed out one each by largest remainder (the part cut off), ties broken by claim order
 * and then victim id. The arithmetic is in integer fen (bigint), so remainders compare exactly; every
 * rounding step is returned in `rounding` so the allocation can be logged and checked by hand.
 */
import { Decimal, formatAmount } from '@vcdc/shared';

export type AllocationMethod = 'CLAIM_ORDER' | 'PRO_RATA';

export interface VictimClaim {
  victimId: string;
  /** 1 = first; unique within the order. */
  claimOrder: number;
  /** Loss found by the court, CNY. */
  loss: string;
  /** Already recovered by the victim (returned property, other payments), CNY. */
  recovered: string;
}

export interface VictimAllocation {
  victimId: string;
  claimOrder: number;
  netLoss: string;
  amount: string;
}

export interface RoundingStep {
  victimId: string;
  /** The exact pro rata share as a fraction of fen: `numerator / denominator` fen. */
  exactShareFen: { numerator: string; denominator: string };
  /** The share rounded down to the fen, in CNY. */
  roundedDown: string;
  /** 1 when this victim got one of the fen left over by rounding down, else 0. */
  extraFen: 0 | 1;
}

export interface RestitutionAllocation {
  method: AllocationMethod;
  available: string;
  victims: VictimAllocation[];
  totalToVictims: string;
  toTreasury: string;
  /** PRO_RATA only: the largest-remainder steps, in the order the fen were handed out. */
  rounding: RoundingStep[];
}

const toFen = (cny: string | Decimal): bigint => {
  const value = new Decimal(cny);
  if (!value.mul(100).isInteger()) throw new Error(`not a whole number of fen: ${value.toString()}`);
  return BigInt(value.mul(100).toFixed(0));
};
const toCny = (fen: bigint): string => formatAmount(new Decimal(fen.toString()).div(100), 'CNY');
const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

export function allocateRestitution(
  available: string,
  method: AllocationMethod,
  claims: readonly VictimClaim[],
): RestitutionAllocation {
  const availableFen = toFen(available);
  if (availableFen < 0n) throw new Error('available amount is negative');
  const ordered = [...claims].sort((a, b) => a.claimOrder - b.claimOrder || a.victimId.localeCompare(b.victimId));
  const net = ordered.map((c) => {
    const n = toFen(c.loss) - toFen(c.recovered);
    return n > 0n ? n : 0n;
  });
  const shares: bigint[] = new Array(ordered.length).fill(0n);
  const rounding: RoundingStep[] = [];

  if (method === 'CLAIM_ORDER') {
    let left = availableFen;
    ordered.forEach((_, i) => {
      shares[i] = minBig(net[i]!, left);
      left -= shares[i]!;
    });
  } else {
    const totalNet = net.reduce((a, b) => a + b, 0n);
    const pool = minBig(availableFen, totalNet);
    if (totalNet > 0n) {
      const remainders: bigint[] = [];
      ordered.forEach((_, i) => {
        const numerator = pool * net[i]!;
        shares[i] = numerator / totalNet;
        remainders[i] = numerator % totalNet;
      });
      let leftover = pool - shares.reduce((a, b) => a + b, 0n);
      // Largest remainder first; equal remainders by claim order (the array is in claim order already).
      const byRemainder = ordered
        .map((_, i) => i)
        .sort((a, b) => (remainders[b]! > remainders[a]! ? 1 : remainders[b]! < remainders[a]! ? -1 : a - b));
      for (const i of byRemainder) {
        const extra = leftover > 0n && remainders[i]! > 0n ? 1n : 0n;
        rounding.push({
          victimId: ordered[i]!.victimId,
          exactShareFen: { numerator: (pool * net[i]!).toString(), denominator: totalNet.toString() },
          roundedDown: toCny(shares[i]!),
          extraFen: extra === 1n ? 1 : 0,
        });
        shares[i] = shares[i]! + extra;
        leftover -= extra;
      }
    }
  }

  const totalToVictims = shares.reduce((a, b) => a + b, 0n);
  return {
    method,
    available: toCny(availableFen),
    victims: ordered.map((c, i) => ({
      victimId: c.victimId,
      claimOrder: c.claimOrder,
      netLoss: toCny(net[i]!),
      amount: toCny(shares[i]!),
    })),
    totalToVictims: toCny(totalToVictims),
    toTreasury: toCny(availableFen - totalToVictims),
    rounding,
  };
}
