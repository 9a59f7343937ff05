/**
 * The service's record of the signed acts it carried out (table `signed_acts`, in every service's
 * schema with its audit chain). Written on the transaction of the work the act authorised, so the
 * act and its effect commit together. A once-only act presented a second time (another
 * Idempotency-Key, or none) is refused as a replay; a bounded act (a transfer authorisation) is
 * recorded at its first use and counted against by the step that uses it.
 */
import type { Queryable } from '../db/pool';
import { Problem } from '../problem';
import { ACT_KINDS } from './act-kinds';
import type { SignedAct } from './signed-act';

export async function recordSignedAct(tx: Queryable, signed: SignedAct): Promise<void> {
  const { act } = signed;
  const inserted = await tx.query(
    `INSERT INTO signed_acts (act_id, kind, actor_id, actor_role, actor_unit, object_type, object_id, case_id,
                              content_sha256, issued_at, expires_at, key_id, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (act_id) DO NOTHING`,
    [
      act.actId,
      act.kind,
      act.actor.id,
      act.actor.role,
      act.actor.unit,
      act.object.type,
      act.object.id,
      act.object.caseId ?? null,
      act.contentSha256,
      act.issuedAt,
      act.expiresAt,
      signed.keyId,
      signed.signature,
    ],
  );
  if (inserted.rowCount === 0 && ACT_KINDS[act.kind].use === 'once') {
    throw new Problem(
      409,
      'act-replayed',
      'Act already used',
      `act ${act.actId} (${act.kind} by ${act.actor.id}) was carried out already; a new act needs a new signature`,
      { actId: act.actId },
    );
  }
}
