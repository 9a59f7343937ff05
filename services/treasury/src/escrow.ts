/**
 * Escrow of a pre-trial sale's proceeds: the case's money stays on the special account until the court
 * rules. The judgment (its reference and the hash of the document) releases the escrow once, and decides
 * where the money may go: CONFISCATION → the treasury; RESTITUTION → victims, the rest to the treasury;
 * ACQUITTAL → back to the owner. A case that was never put in escrow pays out as before (a judgment
 * already stands, or the disposal was ordered after it).
 */
import { problems, type Queryable } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { openOrLockAccount } from './case-ledger';

export type PayOut = 'REMITTANCE' | 'RESTITUTION' | 'OWNER_RETURN';

interface EscrowRow {
  case_id: string;
  reason: string;
  opened_by: string;
  opened_at: Date;
  judgment_ref: string | null;
  judgment_hash: string | null;
  outcome: treasury.JudgmentOutcome | null;
  released_by: string | null;
  released_at: Date | null;
}

function toEscrow(row: EscrowRow): treasury.Escrow {
  return {
    caseId: row.case_id,
    status: row.released_at ? 'RELEASED' : 'HELD',
    reason: row.reason,
    openedBy: row.opened_by,
    openedAt: row.opened_at.toISOString(),
    ...(row.released_at
      ? {
          judgment: {
            judgmentRef: row.judgment_ref!,
            documentHash: row.judgment_hash!,
            outcome: row.outcome!,
            recordedBy: row.released_by!,
            releasedAt: row.released_at.toISOString(),
          },
        }
      : {}),
  };
}

async function escrowOf(tx: Queryable, caseId: string, lock = false): Promise<EscrowRow | undefined> {
  const { rows } = await tx.query<EscrowRow>(`SELECT * FROM escrows WHERE case_id = $1${lock ? ' FOR UPDATE' : ''}`, [
    caseId,
  ]);
  return rows[0];
}

export async function openEscrow(
  tx: Queryable,
  input: Omit<treasury.OpenEscrow, 'workflowId'> & { openedBy: string },
  now: Date,
): Promise<treasury.Escrow> {
  await openOrLockAccount(tx, input.caseId, input.agency, now);
  const existing = await escrowOf(tx, input.caseId);
  if (existing) {
    throw problems.conflict(
      'escrow-already-open',
      'Case already in escrow',
      `case ${input.caseId} was put in escrow by ${existing.opened_by} at ${existing.opened_at.toISOString()}`,
      { caseId: input.caseId, status: existing.released_at ? 'RELEASED' : 'HELD' },
    );
  }
  const { rows } = await tx.query<EscrowRow>(
    'INSERT INTO escrows (case_id, reason, opened_by, opened_at) VALUES ($1, $2, $3, $4) RETURNING *',
    [input.caseId, input.reason, input.openedBy, now],
  );
  return toEscrow(rows[0]!);
}

export async function recordJudgment(
  tx: Queryable,
  input: treasury.RecordJudgment,
  now: Date,
): Promise<treasury.Escrow> {
  const escrow = await escrowOf(tx, input.caseId, true);
  if (!escrow) {
    throw problems.conflict('no-escrow', 'Case is not in escrow', `case ${input.caseId} has no escrow to release`, {
      caseId: input.caseId,
    });
  }
  if (escrow.released_at) {
    throw problems.conflict(
      'escrow-already-released',
      'Escrow already released',
      `the escrow of case ${input.caseId} was released by judgment ${escrow.judgment_ref} (${escrow.outcome})`,
      { caseId: input.caseId, judgmentRef: escrow.judgment_ref, outcome: escrow.outcome },
    );
  }
  const { rows } = await tx.query<EscrowRow>(
    `UPDATE escrows SET judgment_ref = $2, judgment_hash = $3, outcome = $4, released_by = $5, released_at = $6
      WHERE case_id = $1 AND released_at IS NULL RETURNING *`,
    [input.caseId, input.judgmentRef, input.documentHash, input.outcome, input.recordedBy, now],
  );
  return toEscrow(rows[0]!);
}

const ALLOWED: Record<treasury.JudgmentOutcome, readonly PayOut[]> = {
  CONFISCATION: ['REMITTANCE'],
  RESTITUTION: ['RESTITUTION', 'REMITTANCE'],
  ACQUITTAL: ['OWNER_RETURN'],
};

/**
 * Refuses a pay-out the case's escrow does not allow: any while it is held, and one the judgment did not
 * order. A return to the owner needs an acquittal, so it is refused for a case that was never in escrow.
 */
export async function assertMayPayOut(tx: Queryable, caseId: string, payOut: PayOut): Promise<void> {
  const escrow = await escrowOf(tx, caseId);
  if (!escrow) {
    if (payOut !== 'OWNER_RETURN') return;
    throw problems.conflict(
      'judgment-forbids',
      'No acquittal on record',
      `case ${caseId} has no judgment of acquittal: its money cannot be returned to the owner`,
      { caseId, payOut },
    );
  }
  if (!escrow.released_at) {
    throw problems.conflict(
      'funds-in-escrow',
      'Funds held in escrow until the judgment',
      `case ${caseId} is in escrow (${escrow.reason}); nothing leaves its account before the judgment`,
      { caseId, payOut },
    );
  }
  if (!ALLOWED[escrow.outcome!].includes(payOut)) {
    throw problems.conflict(
      'judgment-forbids',
      'The judgment does not order this payment',
      `judgment ${escrow.judgment_ref} (${escrow.outcome}) allows ${ALLOWED[escrow.outcome!].join(', ')}, not ${payOut}`,
      { caseId, payOut, outcome: escrow.outcome, judgmentRef: escrow.judgment_ref },
    );
  }
}
