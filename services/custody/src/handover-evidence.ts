/**
 * Handover evidence, append-only (a ledger of evidence, in the way money tables are kept): the record
 * made at intake, then each correction as a NEW record that names the one it corrects, why, and who
 * made it. The record in force is the last of the chain. Nothing is ever edited or deleted: the table
 * refuses it (trigger) and the service's database role has no UPDATE or DELETE on it.
 */
import { randomUUID } from 'node:crypto';
import { type contracts, problems, type Queryable } from '@vcdc/shared';

type HandoverEvidence = contracts.custody.HandoverEvidence;
type HandoverEvidenceRecord = contracts.custody.HandoverEvidenceRecord;
type HandoverEvidenceTrail = contracts.custody.HandoverEvidenceTrail;
/** The request, with who records it taken from the signed act. */
type CorrectHandoverEvidence = contracts.custody.CorrectHandoverEvidence & { recordedBy: string };

interface EvidenceRow {
  evidence_id: string;
  intake_id: string;
  case_id: string;
  handover_form_no: string;
  handed_over_by: string;
  received_by: string;
  video_sha256: string | null;
  documents: HandoverEvidence['documents'];
  handed_over_at: Date | null;
  corrects: string | null;
  reason: string | null;
  recorded_by: string;
  recorded_at: Date;
}

/** The original record, written in the intake's transaction. */
export async function recordOriginalEvidence(
  db: Queryable,
  intake: { intakeId: string; caseId: string },
  evidence: HandoverEvidence,
): Promise<HandoverEvidenceRecord> {
  return insert(db, intake, evidence, { recordedBy: evidence.receivedBy });
}

export async function correctEvidence(
  db: Queryable,
  intakeId: string,
  input: CorrectHandoverEvidence,
): Promise<HandoverEvidenceRecord> {
  const trail = await rowsOf(db, intakeId);
  if (!trail.length) throw problems.notFound('Intake evidence', intakeId);
  const current = trail[trail.length - 1]!;
  if (!trail.some((row) => row.evidence_id === input.corrects)) {
    throw problems.refused(
      'evidence-not-of-intake',
      'Evidence record not of this intake',
      `evidence ${input.corrects} is not a record of intake ${intakeId}`,
    );
  }
  if (current.evidence_id !== input.corrects) {
    throw problems.conflict(
      'evidence-already-corrected',
      'Evidence record already corrected',
      `evidence ${input.corrects} was corrected already; the record in force is ${current.evidence_id}: correct that one`,
      { currentEvidenceId: current.evidence_id },
    );
  }
  try {
    return await insert(db, { intakeId, caseId: current.case_id }, input.evidence, {
      recordedBy: input.recordedBy,
      corrects: input.corrects,
      reason: input.reason,
    });
  } catch (error) {
    // A concurrent correction of the same record won (corrects is UNIQUE: one successor per record).
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === '23505' && constraint === 'handover_evidence_corrects_key') {
      throw problems.conflict(
        'evidence-already-corrected',
        'Evidence record already corrected',
        `evidence ${input.corrects} was corrected by another request at the same time`,
      );
    }
    throw error;
  }
}

export async function evidenceTrail(db: Queryable, intakeId: string): Promise<HandoverEvidenceTrail> {
  const rows = await rowsOf(db, intakeId);
  if (!rows.length) throw problems.notFound('Intake evidence', intakeId);
  return {
    intakeId,
    records: rows.map(recordView),
    currentEvidenceId: rows[rows.length - 1]!.evidence_id,
  };
}

async function insert(
  db: Queryable,
  intake: { intakeId: string; caseId: string },
  evidence: HandoverEvidence,
  meta: { recordedBy: string; corrects?: string; reason?: string },
): Promise<HandoverEvidenceRecord> {
  const { rows } = await db.query<EvidenceRow>(
    `INSERT INTO handover_evidence (evidence_id, intake_id, case_id, handover_form_no, handed_over_by, received_by,
                                    video_sha256, documents, handed_over_at, corrects, reason, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
    [
      `evidence-${randomUUID()}`,
      intake.intakeId,
      intake.caseId,
      evidence.handoverFormNo,
      evidence.handedOverBy,
      evidence.receivedBy,
      evidence.videoSha256 ?? null,
      JSON.stringify(evidence.documents),
      evidence.handedOverAt ?? null,
      meta.corrects ?? null,
      meta.reason ?? null,
      meta.recordedBy,
    ],
  );
  return recordView(rows[0]!);
}

/** The chain in order: the original, then each record that corrects the one before. */
async function rowsOf(db: Queryable, intakeId: string): Promise<EvidenceRow[]> {
  const { rows } = await db.query<EvidenceRow>('SELECT * FROM handover_evidence WHERE intake_id = $1', [intakeId]);
  const byCorrected = new Map(rows.filter((r) => r.corrects).map((r) => [r.corrects!, r]));
  const ordered: EvidenceRow[] = [];
  let next = rows.find((r) => !r.corrects);
  while (next) {
    ordered.push(next);
    next = byCorrected.get(next.evidence_id);
  }
  return ordered;
}

function recordView(row: EvidenceRow): HandoverEvidenceRecord {
  return {
    evidenceId: row.evidence_id,
    intakeId: row.intake_id,
    handoverFormNo: row.handover_form_no,
    handedOverBy: row.handed_over_by,
    receivedBy: row.received_by,
    ...(row.video_sha256 ? { videoSha256: row.video_sha256 } : {}),
    documents: row.documents,
    ...(row.handed_over_at ? { handedOverAt: row.handed_over_at.toISOString() } : {}),
    ...(row.corrects ? { corrects: row.corrects, reason: row.reason ?? '' } : {}),
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at.toISOString(),
  };
}
