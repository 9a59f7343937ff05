/**
 * A held case is never a dead end (issue 13, part 3): after its compensation (coins at the venue back
 * in the case wallet) it waits for HOLD_RESOLUTION, which two distinct supervisors approve with a
 * reason, both carrying the same resolution:
 *
 *  - RESUME: the case goes on from the stage where it stopped. Coins back in custody after a stop at
 *    TRANSFER or SALE go out again under the disposal plan already approved: custody counts against
 *    the plan's maxima only what is out of the case wallet and has not come back.
 *  - AMEND: a new plan for the coins in custody (which assets, how much of each), approved again at
 *    DISPOSAL_PLAN (the approvers sign the amended authorisation), then the normal path.
 *  - CLOSE: the case ends CLOSED with the assets handed back: to CUSTODY (they stay in the case
 *    wallet) or to the OWNER on acquittal (custody sends every unit to the owner's address per asset
 *    the resolution names, on the court's order: case-hand-back.ts). The closing reconciliation must
 *    accept the end state.
 *
 * Which paths a hold allows depends on where the value is: only while everything the case holds is
 * back in custody (nothing sold, every return received) can it be resumed from the start of its
 * disposal, amended or handed back. Held at SALE after part of the coins was sold (every return
 * received), it can only be resumed: the unsold coins go out again and are sold, and the proceeds
 * already at the venue go on with theirs. After the pay-out, when the closing reconciliation found the books
 * wrong, the money has left and only RESUME is open: once the books are corrected (corrections are
 * their own acts, filed with the services), the closing reconciliation runs again. Pure: the workflow
 * and its validator use it.
 */
import type { HoldResolution } from '@vcdc/shared/acts/pure';
import { canonicalJson } from '@vcdc/shared/canonical-json';
import { Decimal } from '@vcdc/shared/money';
import type { OwnerHandBackRecord } from './case-hand-back';
import type { CaseProgress, CaseStage } from './case-state';
import { proceedsAtVenue } from './sale-proceeds';

export type { HoldResolution };

/** The stages whose stop leaves every unit of value in custody (after the compensation), or at the venue unsold. */
export const BEFORE_THE_SALE: readonly CaseStage[] = ['INTAKE', 'AUTHORISATION', 'TRANSFER', 'SALE'];

/** What a held case allows, shown in its status and checked on every HOLD_RESOLUTION approval. */
export interface HoldOptions {
  /** Why RESUME and AMEND are not possible, when they are not. */
  notResumable?: string;
  /** Why AMEND is not possible when RESUME is. */
  notAmendable?: string;
  /** Why CLOSE (either way) is not possible, when it is not. */
  notClosable?: string;
  /** Why CLOSE to OWNER is not possible, when it is not. */
  notToOwner?: string;
  /** Why CLOSE to CUSTODY is not possible when CLOSE is (part of the assets already went to the owner). */
  notToCustody?: string;
  /** What custody holds for the case, per asset, after the compensation: the most an amended plan may dispose of. */
  inCustody: Record<string, string>;
  /** The resolution a first supervisor approved: the second must approve exactly it. */
  proposed?: HoldResolution;
  proposedBy?: string;
}

/** One hold of the case and how it was resolved: the status keeps every one, newest last. */
export interface HoldRecord {
  /** The disposal attempt that stopped (1 for the first; a RESUME or AMEND starts the next). */
  attempt: number;
  stage: CaseStage;
  reason: string;
  since: string;
  inCustody: Record<string, string>;
  /** The paths this hold allows, and why the others are not. */
  options: Omit<HoldOptions, 'proposed' | 'proposedBy'>;
  /** The transfers of the stopped attempt (returned to custody by the compensation). */
  transfers?: CaseProgress['transfers'];
  resolution?: HoldResolution & {
    /** The supervisors who approved it, each with their reason. */
    approvedBy: Array<{ decidedBy: string; reason: string; decidedAt: string }>;
    /** What the case did with it, in words. */
    outcome?: string;
  };
  /** CLOSE to the OWNER: what went back, asset by asset (case-hand-back.ts). */
  handBack?: OwnerHandBackRecord;
}

/** Which paths a hold at `stage` allows, from what the case recorded (the compensation has run). */
export function holdOptions(
  p: CaseProgress,
  inCustody: Record<string, string>,
  { stablecoin, fiat }: { stablecoin: string; fiat: string },
): HoldOptions {
  if (paidOut(p) && p.stage === 'RECONCILIATION') {
    const gone =
      'the money has left the special account: the books are put right by corrections, then the case is resumed';
    return { inCustody, notAmendable: gone, notClosable: gone, notToOwner: gone };
  }
  const where = PAST_THE_SALE[p.stage];
  if (where) {
    // The coins are sold: the case can only go on with the money, from the step it stopped at.
    const sold = `the coins were sold: the money is ${where}, and the case goes on with it`;
    const blocked = resumeBlocked(p);
    return {
      inCustody,
      notAmendable: sold,
      notClosable: sold,
      notToOwner: sold,
      ...(blocked ? { notResumable: blocked } : {}),
    };
  }
  const stranded = p.returns.filter((r) => r.status !== 'RECEIVED' && r.status !== 'NOTHING_TO_RETURN');
  const why = !BEFORE_THE_SALE.includes(p.stage)
    ? `the case stopped at ${p.stage}, past the sale: its value is no longer coins in custody`
    : stranded.length > 0
      ? `the return of ${stranded.map((r) => `${r.amount} ${r.asset}`).join(', ')} to custody has not finished`
      : p.leftovers.length > 0
        ? `value was left at the venue (${p.leftovers.map((l) => `${l.amount} ${l.asset}`).join(', ')})`
        : undefined;
  if (why) return { inCustody, notResumable: why, notClosable: why, notToOwner: why };
  // Part of the coins sold at SALE: their proceeds wait at the venue; RESUME sells the rest and goes on with both.
  const carried = proceedsAtVenue(p.stage === 'SALE' ? p.sales : [], stablecoin, fiat);
  if (carried.stable.gt(0) || carried.fiat.gt(0)) {
    const sold = `part of the coins was sold before the case stopped: the proceeds (${[
      carried.stable.gt(0) ? `${carried.stable.toFixed()} ${stablecoin}` : '',
      carried.fiat.gt(0) ? `${carried.fiat.toFixed()} ${fiat}` : '',
    ]
      .filter(Boolean)
      .join(', ')}) are at the venue, and RESUME goes on with them`;
    return { inCustody, notAmendable: sold, notClosable: sold, notToOwner: sold };
  }
  const holdsCoins = Object.values(inCustody).some((a) => new Decimal(a).gt(0));
  const nothing = 'custody holds nothing for the case';
  return holdsCoins ? { inCustody } : { inCustody, notResumable: nothing, notToOwner: `${nothing} to hand back` };
}

/** Where the money of a case held past the sale is, by the stage it stopped at. */
const PAST_THE_SALE: Partial<Record<CaseStage, string>> = {
  WITHDRAWAL: 'at the venue or on its way to the offshore account',
  FX: 'in the offshore account',
  TREASURY: 'in the special case-property account',
};

/** Whether a case resumed at `stage` goes on with the money (the coins are sold) rather than with coins in custody. */
export function goesOnWithTheMoney(stage: CaseStage): boolean {
  return PAST_THE_SALE[stage] !== undefined;
}

/**
 * Why a case held past the sale cannot go on where it stopped, or undefined when it can: at WITHDRAWAL
 * only while the withdrawal it asked for is still under way (it is waited for again); at FX once the fiat
 * reached the offshore account; at TREASURY before anything was paid out.
 */
function resumeBlocked(p: CaseProgress): string | undefined {
  if (p.stage === 'WITHDRAWAL') {
    if (!p.withdrawal) return 'no withdrawal was asked for: the fiat stays at the venue, booked as a residual line';
    if (p.withdrawal.status !== 'PENDING')
      return `the withdrawal ${p.withdrawal.withdrawalId} is ${p.withdrawal.status}`;
    return undefined;
  }
  if (p.withdrawal?.status !== 'COMPLETED') return 'the fiat has not reached the offshore account';
  if (p.stage === 'TREASURY' && paidOut(p)) return 'part of the money was paid out';
  return undefined;
}

/** Why a HOLD_RESOLUTION approval is refused, or undefined when the hold allows it. */
export function refuseResolution(d: { resolution?: HoldResolution }, hold: HoldOptions): string | undefined {
  const r = d.resolution;
  if (!r) return undefined; // the shape rules said so already
  if (hold.proposed && canonicalJson(r) !== canonicalJson(hold.proposed)) {
    return `resolution: ${hold.proposedBy ?? 'a supervisor'} approved ${describe(hold.proposed)}; the second approval must carry the same resolution`;
  }
  if ((r.path === 'RESUME' || r.path === 'AMEND') && hold.notResumable) {
    return `resolution.path: ${r.path} is not possible: ${hold.notResumable}`;
  }
  if (r.path === 'AMEND' && hold.notAmendable) return `resolution.path: AMEND is not possible: ${hold.notAmendable}`;
  if (r.path === 'CLOSE' && hold.notClosable) return `resolution.path: CLOSE is not possible: ${hold.notClosable}`;
  if (r.path === 'CLOSE' && r.handBackTo === 'CUSTODY' && hold.notToCustody) {
    return `resolution.handBackTo: CUSTODY is not possible: ${hold.notToCustody}`;
  }
  if (r.path === 'CLOSE' && r.handBackTo === 'OWNER' && hold.notToOwner) {
    return `resolution.handBackTo: OWNER is not possible: ${hold.notToOwner}`;
  }
  if (r.path === 'CLOSE' && r.handBackTo === 'OWNER') {
    // Every unit goes back: an address for each asset custody holds, and none for an asset it does not.
    const named = new Set<string>(r.owner.addresses.map((a) => a.asset));
    const unnamed = Object.entries(hold.inCustody).find(
      ([asset, held]) => new Decimal(held).gt(0) && !named.has(asset),
    );
    if (unnamed) {
      return `resolution.owner.addresses: custody holds ${unnamed[1]} ${unnamed[0]} for the case; name the owner's ${unnamed[0]} address`;
    }
    for (const [i, a] of r.owner.addresses.entries()) {
      const held = hold.inCustody[a.asset];
      if (held === undefined || !new Decimal(held).gt(0)) {
        return `resolution.owner.addresses[${i}].asset: custody holds no ${a.asset} for the case`;
      }
    }
  }
  if (r.path === 'AMEND') {
    for (const [i, line] of r.dispose.entries()) {
      const held = hold.inCustody[line.asset];
      if (held === undefined || !new Decimal(held).gt(0)) {
        return `resolution.dispose[${i}].asset: custody holds no ${line.asset} for the case`;
      }
      if (new Decimal(line.amount).gt(held)) {
        return `resolution.dispose[${i}].amount: custody holds ${held} ${line.asset} for the case; ${line.amount} cannot be disposed of`;
      }
    }
  }
  return undefined;
}

/** Whether the case paid out (to the treasury, the victims or the owner): its closing reconciliation runs after it. */
export function paidOut(p: CaseProgress): boolean {
  return p.remittance !== undefined || p.restitution !== undefined || p.ownerReturn !== undefined;
}

/**
 * A hand-back to the owner that stopped part-way (custody or the chain refused one asset): what went
 * back cannot come back, so only CLOSE to the OWNER, asked again, can finish the case.
 */
export function partlyHandedBack(o: HoldOptions, sent: string[]): void {
  const why = `${sent.join(', ')} already went back to the owner: only CLOSE to the OWNER can finish the case`;
  o.notResumable = why;
  o.notAmendable = why;
  o.notToCustody = why;
}

/** The paths a hold leaves open, in words for the status ("RESUME, AMEND", "CLOSE to CUSTODY"). */
export function openPaths(o: HoldOptions): string[] {
  return [
    o.notResumable ? '' : o.notAmendable ? 'RESUME' : 'RESUME, AMEND',
    o.notClosable
      ? ''
      : o.notToOwner
        ? 'CLOSE to CUSTODY'
        : o.notToCustody
          ? 'CLOSE to OWNER'
          : 'CLOSE to CUSTODY or OWNER',
  ].filter(Boolean);
}

/** A resolution in words, for the status and the answers. */
export function describe(r: HoldResolution): string {
  switch (r.path) {
    case 'RESUME':
      return 'RESUME';
    case 'AMEND':
      return `AMEND (dispose of ${r.dispose.map((l) => `${l.amount} ${l.asset}`).join(', ')})`;
    case 'CLOSE':
      return r.handBackTo === 'OWNER'
        ? `CLOSE (hand back to the OWNER ${r.owner.name} on ${r.owner.courtOrder})`
        : `CLOSE (hand back to ${r.handBackTo})`;
  }
}
