/**
 * What lets coins go back to their owner (OWNER_RETURN, issue 13 part 3): a held case closed on
 * acquittal, by two supervisors' signed HOLD_RESOLUTION. The rule, in one place, as custody checks it
 * itself (it trusts no caller to have):
 *
 *  - every approval is a `case.decision` act signed by the control API for THIS case, stage
 *    HOLD_RESOLUTION, outcome APPROVE, by a person holding the stage's role (verifyCarriedDecision,
 *    DECISION_ROLES: supervisor);
 *  - all carry the canonically equal resolution, from at least two distinct people (four eyes);
 *  - the resolution is CLOSE with the assets handed back to the OWNER, and names an address for this
 *    asset, which is the transfer's destination: the two signatures name it, so no whitelist entry
 *    and no test deposit are asked (the owner is not a venue);
 *  - the amount is everything the case wallet holds of the asset available (checked under the
 *    account's lock, in transfers.ts, with assertWholeBalance): a partial hand-back is refused.
 * Anything else is 403 problem+json with a stable type (422 for the amount); the Idempotency-Key layer
 * appends the refusal to the custody audit chain.
 */
import type { KeyObject } from 'node:crypto';
import {
  type CarriedDecision,
  canonicalJson,
  type contracts,
  type Decimal,
  type OwnerHandBack,
  Problem,
  problems,
  type SignedAct,
  sha256Hex,
  toWire,
} from '@vcdc/shared';
import { sameAddress } from './chain-adapter';
import { sameContent, verifiedApprovals } from './transfer-authorisation';

type RequestTransfer = contracts.custody.RequestTransfer;

/** Two distinct supervisors: the four eyes a HOLD_RESOLUTION needs. */
export const OWNER_RETURN_DECIDERS = 2;

export interface CheckedOwnerReturn {
  owner: OwnerHandBack;
  /** SHA-256 of the resolution's canonical JSON: kept with the transfer (authorisation_sha256) and audited. */
  sha256: string;
  /** The approvals' acts, recorded with the transfer. */
  acts: SignedAct[];
}

function refuse(type: string, title: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return new Problem(403, type, title, detail, extensions);
}

function notAuthorised(field: string, message: string, detail: string): Problem {
  return refuse('owner-return-not-authorised', 'Hand-back to the owner not authorised', `${field}: ${detail}`, {
    errors: [{ field, message }],
  });
}

/** Checks the approvals an OWNER_RETURN carries, and that they send this asset to this address. */
export function checkOwnerReturn(keys: readonly KeyObject[], input: RequestTransfer, now?: Date): CheckedOwnerReturn {
  const decisions = verifiedApprovals(
    keys,
    input,
    'HOLD_RESOLUTION',
    now,
    "two supervisors' signed HOLD_RESOLUTION approvals (CLOSE to the OWNER)",
  );
  decisions.forEach((d, i) => {
    if (!d.resolution) {
      throw refuse(
        'transfer-unauthorised',
        'Transfer not authorised',
        `approvals[${i}].resolution: a HOLD_RESOLUTION approval must carry the resolution`,
        { errors: [{ field: `approvals[${i}].resolution`, message: 'required' }] },
      );
    }
  });
  const resolution = sameContent(
    decisions,
    'resolution',
    (d) => d.resolution as NonNullable<CarriedDecision['resolution']>,
    'the approvals resolve the hold differently; each must sign the same resolution',
  );

  const deciders = [...new Set(decisions.map((d) => d.act.act.actor.id))];
  if (deciders.length < OWNER_RETURN_DECIDERS) {
    throw refuse(
      'transfer-quorum-not-met',
      'Not enough approvers',
      `a hand-back to the owner needs ${OWNER_RETURN_DECIDERS} distinct supervisors; the approvals come from ${deciders.length} (${deciders.join(', ')})`,
      { deciders },
    );
  }

  if (resolution.path !== 'CLOSE' || resolution.handBackTo !== 'OWNER') {
    const what = resolution.path === 'CLOSE' ? `CLOSE to ${resolution.handBackTo}` : resolution.path;
    throw notAuthorised(
      'approvals[0].resolution',
      'not CLOSE to the OWNER',
      `the supervisors resolved the hold of case ${input.caseId} as ${what}, not CLOSE to the OWNER`,
    );
  }
  const { owner } = resolution;
  const named = owner.addresses.find((a) => a.asset === input.asset);
  if (!named) {
    throw notAuthorised(
      'asset',
      'the resolution names no owner address for it',
      `the resolution hands back ${owner.addresses.map((a) => a.asset).join(', ')} to the owner, not ${input.asset}`,
    );
  }
  if (!sameAddress(input.chain, named.address, input.toAddress)) {
    throw notAuthorised(
      'toAddress',
      `not the owner's ${input.asset} address the resolution names`,
      `${input.toAddress} is not the owner's ${input.asset} address the resolution names (${named.address})`,
    );
  }
  return { owner, sha256: sha256Hex(canonicalJson(resolution)), acts: decisions.map((d) => d.act) };
}

/** 422 unless the amount is everything the case wallet holds of the asset available: no partial hand-back. */
export function assertWholeBalance(input: RequestTransfer, available: Decimal): void {
  if (!available.eq(input.amount)) {
    const message = `must be all ${toWire(available)} ${input.asset} the case wallet holds available`;
    throw problems.refused(
      'owner-return-partial',
      'A hand-back to the owner takes the whole balance',
      `amount: ${input.amount} ${input.asset} requested; case ${input.caseId} holds ${toWire(available)} ${input.asset} available, all of which goes back to the owner`,
      { errors: [{ field: 'amount', message }], available: toWire(available) },
    );
  }
}
