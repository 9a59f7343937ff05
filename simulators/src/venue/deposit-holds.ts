/**
 * Deposits the venue holds back for review (AML screening of seized coins) instead of crediting them.
 * A hold comes from the venue's rule (`holdDeposits`: every confirmed deposit, or those of some assets,
 * is held with a reason) or is put on one transaction by hand (tests, the dev control route) — before
 * or after the venue has seen it. A held deposit is reported with HashKey status 5 (ccxt: "pending")
 * and its reason in `remark`; it is credited when released, by hand or after `releaseAfterMs`.
 *
 * Only the decision lives here; the venue credits (venue.ts), so a deposit is credited exactly once
 * whichever way it was released.
 */
import type { DepositRecord, PlannedHold, VenueState } from './state';

export interface HoldRule {
  /** The reason the venue gives, e.g. "AML review: source of funds". */
  reason: string;
  /** Released by itself this long after it was held; absent: only by hand. */
  releaseAfterMs?: number;
  /** Only deposits of these coins; absent: every coin. */
  assets?: string[];
}

export class HoldRefused extends Error {}

/** The hold a deposit gets now that it has its confirmations, if any (a planned one is used up). */
export function holdOnConfirmation(
  state: VenueState,
  rule: HoldRule | undefined,
  deposit: DepositRecord,
  now: number,
): { holdReason: string; releaseAt: number | null } | undefined {
  const planned = state.plannedHolds?.[deposit.txId];
  if (planned) {
    delete state.plannedHolds?.[deposit.txId];
    return { holdReason: planned.reason, releaseAt: releaseAt(planned.releaseAfterMs, now) };
  }
  if (rule && (!rule.assets || rule.assets.includes(deposit.coin))) {
    return { holdReason: rule.reason, releaseAt: releaseAt(rule.releaseAfterMs ?? null, now) };
  }
  return undefined;
}

/**
 * Hold one transaction's deposit: a held one gets the new reason, a confirming or unseen one is held
 * when it is confirmed. A credited deposit cannot be held any more (its coins are already tradable).
 */
export function planHold(
  state: VenueState,
  deposit: DepositRecord | undefined,
  txId: string,
  hold: PlannedHold,
  now: number,
): void {
  if (deposit?.status === 4) throw new HoldRefused(`deposit ${txId} is already credited`);
  if (deposit?.status === 5) {
    deposit.holdReason = hold.reason;
    deposit.releaseAt = releaseAt(hold.releaseAfterMs, now);
    return;
  }
  state.plannedHolds ??= {};
  state.plannedHolds[txId] = hold;
}

/** Held deposits whose release time has come (given the held ones: the tick never walks the whole history). */
export function dueForRelease(held: Iterable<DepositRecord>, now: number): DepositRecord[] {
  return [...held].filter((d) => d.status === 5 && d.releaseAt != null && d.releaseAt <= now);
}

function releaseAt(afterMs: number | null, now: number): number | null {
  return afterMs === null ? null : now + afterMs;
}
