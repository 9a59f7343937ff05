/**
 * Custody enforces a case's authorisation itself (a policy engine of its own, as BitGo policies or
 * Fireblocks TAP are): coins leave a case wallet only against the case's signed DISPOSAL_PLAN
 * approvals, each carrying the same TransferAuthorisation (what may leave: assets, at most how much of
 * each, to which venue, and the approval policy's verdict). Custody trusts no caller to have checked:
 *
 *  - every approval is a `case.decision` act signed by the control API for THIS case, stage
 *    DISPOSAL_PLAN, outcome APPROVE, by a person holding the stage's role (verifyCarriedDecision);
 *  - all carry the canonically equal authorisation, for this case;
 *  - distinct deciders >= policy.approvals, distinct units >= policy.units, and a senior supervisor
 *    among them when policy.senior;
 *  - the asset is authorised; this transfer plus every earlier non-failed transfer of the case's asset
 *    stays within its maxAmount (checked under the account's lock, in transfers.ts);
 *  - the destination is an ACTIVE whitelist entry of the authorised venue (transfers.ts).
 * Anything else is 403 problem+json with a stable type; the Idempotency-Key layer appends the refusal
 * to the custody audit chain. Returns into a case wallet need none of this. A hand-back to the owner
 * (OWNER_RETURN) is cleared by two supervisors' HOLD_RESOLUTION instead (owner-returns.ts).
 */
import type { KeyObject } from 'node:crypto';
import {
  type CarriedDecision,
  canonicalJson,
  type contracts,
  Decimal,
  Problem,
  type SignedAct,
  sha256Hex,
  toWire,
  verifyCarriedDecision,
} from '@vcdc/shared';

type TransferAuthorisation = contracts.custody.TransferAuthorisation;
type RequestTransfer = contracts.custody.RequestTransfer;

export interface CheckedAuthorisation {
  authorisation: TransferAuthorisation;
  /** SHA-256 of the authorisation's canonical JSON: kept with each transfer made under it. */
  sha256: string;
  /** The most that may leave of the transfer's asset. */
  maxAmount: Decimal;
  /** The approvals' acts, to be recorded (bounded use) with the transfer. */
  acts: SignedAct[];
}

function refuse(type: string, title: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return new Problem(403, type, title, detail, extensions);
}

/** Checks the approvals a transfer request carries; everything but the database's part (amounts so far, destination). */
export function checkTransferAuthorisation(
  keys: readonly KeyObject[],
  input: RequestTransfer,
  now?: Date,
): CheckedAuthorisation {
  const decisions = verifiedApprovals(keys, input, 'DISPOSAL_PLAN', now, "the case's signed DISPOSAL_PLAN approvals");
  // verifyCarriedDecision parsed it with the contract's schema already.
  const authorisation: contracts.custody.TransferAuthorisation = sameContent(
    decisions,
    'authorisation',
    (d, i) => d.authorisation ?? missingAuthorisationOf(i),
    'the approvals authorise different transfers; each must sign the same authorisation',
  );
  if (authorisation.caseId !== input.caseId) {
    throw refuse(
      'transfer-unauthorised',
      'Transfer not authorised',
      `approvals[0].authorisation.caseId: the authorisation is for case ${authorisation.caseId}, not ${input.caseId}`,
    );
  }

  const { policy } = authorisation;
  const deciders = [...new Set(decisions.map((d) => d.act.act.actor.id))];
  const units = [...new Set(decisions.map((d) => d.act.act.actor.unit))];
  const quorum = { deciders, units, policy: { version: policy.version, tier: policy.tier } };
  if (deciders.length < policy.approvals) {
    throw refuse(
      'transfer-quorum-not-met',
      'Not enough approvers',
      `the policy (${policy.version}, tier ${policy.tier}) needs ${policy.approvals} distinct approvers; the approvals come from ${deciders.length} (${deciders.join(', ')})`,
      quorum,
    );
  }
  if (units.length < policy.units) {
    throw refuse(
      'transfer-quorum-not-met',
      'Approvers from too few units',
      `the policy (${policy.version}, tier ${policy.tier}) needs approvers from ${policy.units} distinct units; they come from ${units.length} (${units.join(', ')})`,
      quorum,
    );
  }
  if (policy.senior && !decisions.some((d) => d.act.act.actor.role === 'senior-supervisor')) {
    throw refuse(
      'transfer-quorum-not-met',
      'A senior supervisor must approve',
      `the policy (${policy.version}, tier ${policy.tier}) needs a senior supervisor among the approvers (${deciders.join(', ')})`,
      quorum,
    );
  }
  const allowed = authorisation.assets.find((a) => a.asset === input.asset);
  if (!allowed) {
    throw refuse(
      'transfer-asset-not-authorised',
      'Asset not authorised',
      `asset: the authorisation of case ${input.caseId} lets ${authorisation.assets.map((a) => a.asset).join(', ')} leave, not ${input.asset}`,
      { errors: [{ field: 'asset', message: 'not in the authorisation' }] },
    );
  }
  return {
    authorisation,
    sha256: sha256Hex(canonicalJson(authorisation)),
    maxAmount: new Decimal(allowed.maxAmount),
    acts: decisions.map((d) => d.act),
  };
}

function missingAuthorisationOf(i: number): never {
  throw refuse(
    'transfer-unauthorised',
    'Transfer not authorised',
    `approvals[${i}].authorisation: a DISPOSAL_PLAN approval must carry the transfer authorisation`,
    { errors: [{ field: `approvals[${i}].authorisation`, message: 'required' }] },
  );
}

/** 403 when this transfer and the case's earlier ones of the asset would exceed what the authorisation lets leave. */
export function assertWithinAuthorisation(
  checked: CheckedAuthorisation,
  input: RequestTransfer,
  alreadyOut: Decimal,
): void {
  const total = alreadyOut.plus(input.amount);
  if (total.gt(checked.maxAmount)) {
    const left = Decimal.max(checked.maxAmount.minus(alreadyOut), 0);
    throw refuse(
      'transfer-above-authorisation',
      'Transfer above the authorised amount',
      `amount: case ${input.caseId} may send at most ${toWire(checked.maxAmount)} ${input.asset} under its authorisation; ` +
        `${toWire(alreadyOut)} has left or is leaving, ${input.amount} more would exceed it (${toWire(left)} left)`,
      {
        errors: [{ field: 'amount', message: `at most ${toWire(left)} ${input.asset} left under the authorisation` }],
        maxAmount: toWire(checked.maxAmount),
        alreadyOut: toWire(alreadyOut),
      },
    );
  }
}

/** 403 when the ACTIVE destination belongs to another venue (or desk) than the authorisation names. */
export function assertAuthorisedVenue(
  checked: CheckedAuthorisation,
  input: RequestTransfer,
  entry: { entryId: string; venue: string },
): void {
  const named = [checked.authorisation.venue, ...(checked.authorisation.venues ?? [])];
  if (!named.includes(entry.venue)) {
    throw refuse(
      'destination-not-authorised',
      'Destination not authorised',
      `toAddress: ${input.toAddress} is whitelisted for venue ${entry.venue}; the authorisation of case ${input.caseId} names ${named.join(', ')}`,
      {
        entryId: entry.entryId,
        errors: [{ field: 'toAddress', message: `not an address of ${named.join(' or ')}` }],
      },
    );
  }
}

/**
 * The approvals a transfer carries, each a `case.decision` act the control API signed for THIS case at
 * `stage` (APPROVE, by a person holding the stage's role): the one check behind a venue deposit's
 * DISPOSAL_PLAN approvals and a hand-back's HOLD_RESOLUTION approvals. 403 transfer-unauthorised naming
 * the approval otherwise.
 */
export function verifiedApprovals(
  keys: readonly KeyObject[],
  input: RequestTransfer,
  stage: 'DISPOSAL_PLAN' | 'HOLD_RESOLUTION',
  now: Date | undefined,
  needed: string,
): Array<CarriedDecision & { act: SignedAct; unit: string }> {
  const approvals: unknown[] = input.approvals ?? [];
  if (approvals.length === 0) {
    throw refuse(
      'transfer-unauthorised',
      'Transfer not authorised',
      `approvals: a transfer out of case ${input.caseId} needs ${needed}`,
      { errors: [{ field: 'approvals', message: 'required' }] },
    );
  }
  return approvals.map((presented, i) => {
    const checked = verifyCarriedDecision(keys, presented, {
      caseId: input.caseId,
      stage,
      outcome: 'APPROVE',
      ...(now ? { now } : {}),
    });
    if (!checked.ok) {
      throw refuse('transfer-unauthorised', 'Transfer not authorised', `approvals[${i}]: ${checked.refusal.message}`, {
        reason: checked.refusal.code,
        errors: [{ field: `approvals[${i}]`, message: checked.refusal.message }],
      });
    }
    return checked.decision;
  });
}

/** 403 unless every approval signed canonically the same `field` (the authorisation, the resolution). */
export function sameContent<T>(
  decisions: readonly CarriedDecision[],
  field: string,
  content: (d: CarriedDecision, i: number) => T,
  differ: string,
): T {
  const first = content(decisions[0]!, 0);
  const canonical = canonicalJson(first);
  decisions.forEach((d, i) => {
    if (canonicalJson(content(d, i)) !== canonical) {
      throw refuse('transfer-unauthorised', 'Transfer not authorised', `approvals[${i}].${field}: ${differ}`, {
        errors: [{ field: `approvals[${i}].${field}`, message: `differs from approvals[0].${field}` }],
      });
    }
  });
  return first;
}
