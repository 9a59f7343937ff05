/**
 * A held case closed on acquittal hands its coins back to the owner (issue 13, part 3): an
 * OWNER_RETURN transfer. Custody trusts no caller to have checked; the two supervisors' signed
 * HOLD_RESOLUTION approvals are the authority, as the DISPOSAL_PLAN approvals are for a venue deposit
 * (transfer-authorisation.ts):
 *
 *  - every approval is a `case.decision` act signed by the control API for THIS case, stage
 *    HOLD_RESOLUTION, outcome APPROVE, by a person holding the stage's role (verifyCarriedDecision);
 *  - at least two distinct people approved (four eyes), all carrying canonically the same resolution,
 *    and that resolution is CLOSE with the assets handed back to the OWNER;
 *  - the resolution names an address for the transfer's asset, and the transfer goes exactly there;
 *  - the amount is everything the case wallet holds of the asset (checked under the account's lock, in
 *    transfers.ts): acquittal hands the property back whole, never a part.
 *
 * The destination is not a venue, so no whitelist entry and no test deposit: the signatures name it.
 * Anything else is 403 problem+json with a stable type; the Idempotency-Key layer appends the refusal
 * to the custody audit chain.
 */
import type { KeyObject } from 'node:crypto';
import {
  type CarriedDecision,
  canonicalJson,
  type contracts,
  type Decimal,
  Problem,
  type SignedAct,
  sha256Hex,
  toWire,
  verifyCarriedDecision,
} from '@vcdc/shared';

type RequestTransfer = contracts.custody.RequestTransfer;
type OwnerResolution = Extract<NonNullable<CarriedDecision['resolution']>, { handBackTo: 'OWNER' }>;

/** Distinct supervisors a hand-back needs: the same four eyes as every HOLD_RESOLUTION. */
export const OWNER_RETURN_APPROVERS = 2;

export interface CheckedOwnerReturn {
  resolution: OwnerResolution;
  /** SHA-256 of the resolution's canonical JSON: kept with the transfer (its `authorisation_sha256`). */
  sha256: string;
  /** The approvals' acts, recorded with the transfer. */
  acts: SignedAct[];
}

function refuse(type: string, title: string, detail: string, field: string, message: string): Problem {
  return new Problem(403, type, title, detail, { errors: [{ field, message }] });
}

/** Checks the approvals an OWNER_RETURN carries and its destination; the balance is checked under the lock. */
export function checkOwnerReturn(keys: readonly KeyObject[], input: RequestTransfer, now?: Date): CheckedOwnerReturn {
  const approvals: unknown[] = input.approvals ?? [];
  if (approvals.length === 0) {
    throw refuse(
      'transfer-unauthorised',
      'Transfer not authorised',
      `approvals: handing case ${input.caseId}'s coins back to the owner needs two supervisors' signed HOLD_RESOLUTION approvals`,
      'approvals',
      'required',
    );
  }
  const decisions = approvals.map((presented, i) => {
    const checked = verifyCarriedDecision(keys, presented, {
      caseId: input.caseId,
      stage: 'HOLD_RESOLUTION',
      outcome: 'APPROVE',
      ...(now ? { now } : {}),
    });
    if (!checked.ok) {
      throw new Problem(
        403,
        'transfer-unauthorised',
        'Transfer not authorised',
        `approvals[${i}]: ${checked.refusal.message}`,
        {
          reason: checked.refusal.code,
          errors: [{ field: `approvals[${i}]`, message: checked.refusal.message }],
        },
      );
    }
    return checked.decision;
  });
  const canonical = canonicalJson(decisions[0]?.resolution ?? null);
  decisions.forEach((d, i) => {
    if (canonicalJson(d.resolution ?? null) !== canonical) {
      throw refuse(
        'transfer-unauthorised',
        'Transfer not authorised',
        `approvals[${i}].resolution: the approvals resolve the hold differently; each must sign the same resolution`,
        `approvals[${i}].resolution`,
        'differs from approvals[0].resolution',
      );
    }
  });
  const deciders = [...new Set(decisions.map((d) => d.act.act.actor.id))];
  if (deciders.length < OWNER_RETURN_APPROVERS) {
    throw new Problem(
      403,
      'transfer-quorum-not-met',
      'Not enough approvers',
      `handing coins back to the owner needs ${OWNER_RETURN_APPROVERS} distinct supervisors; the approvals come from ${deciders.length} (${deciders.join(', ')})`,
      { deciders },
    );
  }
  const resolution = decisions[0]?.resolution;
  if (resolution?.path !== 'CLOSE' || resolution.handBackTo !== 'OWNER') {
    throw refuse(
      'owner-return-not-authorised',
      'Not a hand-back to the owner',
      `approvals[0].resolution: the supervisors resolved the hold ${resolution ? `${resolution.path}${resolution.path === 'CLOSE' ? ` to ${resolution.handBackTo}` : ''}` : 'without a resolution'}, not CLOSE to the OWNER`,
      'approvals[0].resolution',
      'must be CLOSE with handBackTo OWNER',
    );
  }
  const named = resolution.owner.addresses.find((a) => a.asset === input.asset);
  if (!named) {
    throw refuse(
      'owner-return-not-authorised',
      'Asset not named for the owner',
      `asset: the resolution names the owner's address for ${resolution.owner.addresses.map((a) => a.asset).join(', ')}, not ${input.asset}`,
      'asset',
      'no owner address for it in the resolution',
    );
  }
  if (!sameAddress(input.chain, named.address, input.toAddress)) {
    throw refuse(
      'owner-return-not-authorised',
      "Destination not the owner's",
      `toAddress: the resolution names ${named.address} as the owner's ${input.asset} address, not ${input.toAddress}`,
      'toAddress',
      `must be ${named.address}`,
    );
  }
  return { resolution, sha256: sha256Hex(canonical), acts: decisions.map((d) => d.act) };
}

/** 422 unless the hand-back takes everything the case wallet holds of the asset (checked under its lock). */
export function assertWholeBalance(input: RequestTransfer, available: Decimal): void {
  if (available.eq(input.amount)) return;
  const message = `must be everything the case wallet holds: ${toWire(available)} ${input.asset}`;
  throw new Problem(
    422,
    'owner-return-not-whole',
    'A hand-back to the owner takes the whole balance',
    `amount: case ${input.caseId} holds ${toWire(available)} ${input.asset} available; ${input.amount} would leave part of the owner's property behind`,
    { errors: [{ field: 'amount', message }], available: toWire(available) },
  );
}

/** EVM addresses are case-insensitive (mixed case is only a checksum); others compare exactly. */
export function sameAddress(chain: string, a: string, b: string): boolean {
  return chain === 'ethereum' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
