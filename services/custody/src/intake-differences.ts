/**
 * Intake differences. A DISCREPANCY intake (received <> declared) is not a final receipt until its
 * difference is
 *  1. classified: NETWORK_FEE (the sweep's network fee, with the transaction that paid it),
 *     SHORT_DELIVERY, EXCESS_DELIVERY or OTHER, with an explanation and the amount, which must be
 *     declared - received to the last unit (positive short, negative excess); and
 *  2. countersigned by the handing-over officer and by the custodian: one signature per role, by two
 *     distinct people, both on the classification in force.
 * A NETWORK_FEE's transaction is evidence, checked (fee-evidence.ts): on chain when custody verified the
 * intake itself, else attested by a second custodian in the custodian's countersignature.
 * Then its difference status is COUNTERSIGNED and the intake `final`. A classification can be corrected
 * (a new record naming the one it corrects) until it is countersigned by both; the correction needs
 * fresh countersignatures. Classifications and countersignatures are append-only rows.
 */
import { randomUUID } from 'node:crypto';
import { type contracts, Decimal, Problem, problems, type Queryable, toWire } from '@vcdc/shared';
import {
  checkFeeAttestation,
  checkFeeOnChain,
  type FeeEvidenceDeps,
  type FeeIntakeFacts,
  refuseIfFeeUsed,
} from './fee-evidence';
import { evidenceTrail } from './handover-evidence';
import type { IntakeRow } from './intakes';

/** The requests, with the person taken from the signed act. */
type ClassifyIntakeDifference = contracts.custody.ClassifyIntakeDifference & { classifiedBy: string };
type CountersignIntakeDifference = contracts.custody.CountersignIntakeDifference & { signedBy: string };
type IntakeDifferenceRecord = contracts.custody.IntakeDifferenceRecord;
type DifferenceCountersignature = contracts.custody.DifferenceCountersignature;
type DifferenceStatus = NonNullable<contracts.custody.Intake['differenceStatus']>;

export const ROLES_NEEDED = 2;

export interface DifferenceState {
  status: DifferenceStatus;
  classification?: IntakeDifferenceRecord;
  countersignatures: DifferenceCountersignature[];
}

interface ClassificationRow {
  classification_id: string;
  intake_id: string;
  classification: IntakeDifferenceRecord['classification'];
  explanation: string;
  fee_tx_hash: string | null;
  amount: string;
  classified_by: string | null;
  corrects: string | null;
  classified_at: Date;
}

interface CountersignatureRow {
  classification_id: string;
  role: DifferenceCountersignature['role'];
  signed_by: string;
  fee_tx_hash: string | null;
  signed_at: Date;
}

type IntakeFacts = Pick<IntakeRow, 'intake_id' | 'asset' | 'status' | 'declared_amount' | 'received_amount'> &
  FeeIntakeFacts;

/** Where the intake's difference stands. */
export async function differenceStateOf(db: Queryable, intake: IntakeFacts): Promise<DifferenceState> {
  if (intake.status === 'RECEIVED') return { status: 'NONE', countersignatures: [] };
  const current = await currentClassification(db, intake.intake_id);
  if (!current) return { status: 'UNCLASSIFIED', countersignatures: [] };
  const signatures = await countersignaturesOf(db, current.classification_id);
  return {
    status: signatures.length >= ROLES_NEEDED ? 'COUNTERSIGNED' : 'CLASSIFIED',
    classification: classificationView(current),
    countersignatures: signatures.map(countersignatureView),
  };
}

export async function classifyDifference(
  db: Queryable,
  evidence: FeeEvidenceDeps,
  intakeId: string,
  input: ClassifyIntakeDifference,
): Promise<void> {
  await lock(db, intakeId);
  const intake = await findIntake(db, intakeId);
  const state = await differenceStateOf(db, intake);
  if (state.status === 'NONE') throw noDifference(intakeId);
  if (state.status === 'COUNTERSIGNED') {
    throw problems.conflict(
      'difference-countersigned',
      'Difference already countersigned',
      `the difference of intake ${intakeId} is classified and countersigned: the receipt is final`,
      { classificationId: state.classification?.classificationId },
    );
  }
  const current = state.classification;
  if (current && input.corrects === undefined) {
    throw problems.conflict(
      'difference-already-classified',
      'Difference already classified',
      `the difference of intake ${intakeId} is classified as ${current.classification} (${current.classificationId}); ` +
        'a correction names it in `corrects`',
      { classificationId: current.classificationId },
    );
  }
  if (input.corrects !== undefined && input.corrects !== current?.classificationId) {
    throw problems.conflict(
      'classification-not-current',
      'Not the classification in force',
      `intake ${intakeId}: ${input.corrects} is not the classification in force (${current?.classificationId ?? 'none'})`,
      { classificationId: current?.classificationId },
    );
  }

  const declared = new Decimal(intake.declared_amount);
  const expected = declared.minus(intake.received_amount);
  if (!new Decimal(input.amount).eq(expected)) {
    throw fieldRefusal(
      'difference-amount-mismatch',
      'amount',
      `must be declared - received = ${toWire(declared)} - ${toWire(new Decimal(intake.received_amount))} = ${toWire(expected)} ${intake.asset}`,
      { expected: toWire(expected) },
    );
  }
  const short = expected.gt(0);
  const wrongSign =
    ((input.classification === 'NETWORK_FEE' || input.classification === 'SHORT_DELIVERY') && !short) ||
    (input.classification === 'EXCESS_DELIVERY' && short);
  if (wrongSign) {
    throw fieldRefusal(
      'difference-classification-mismatch',
      'classification',
      `${input.classification} does not fit a${short ? ' short' : 'n excess'} receipt of ${toWire(expected.abs())} ${intake.asset}`,
    );
  }
  if (input.classification === 'NETWORK_FEE' && input.feeTxHash !== undefined) {
    await checkFeeOnChain(evidence, intake, input.feeTxHash, expected);
    await refuseIfFeeUsed(db, intake, input.feeTxHash);
  }

  await db.query(
    `INSERT INTO intake_difference_classifications
       (classification_id, intake_id, classification, explanation, fee_tx_hash, amount, classified_by, corrects)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      `difference-${randomUUID()}`,
      intakeId,
      input.classification,
      input.explanation,
      input.feeTxHash ?? null,
      expected.toFixed(),
      input.classifiedBy ?? null,
      input.corrects ?? null,
    ],
  );
}

export async function countersignDifference(
  db: Queryable,
  intakeId: string,
  input: CountersignIntakeDifference,
): Promise<void> {
  await lock(db, intakeId);
  const intake = await findIntake(db, intakeId);
  const state = await differenceStateOf(db, intake);
  if (state.status === 'NONE') throw noDifference(intakeId);
  const current = state.classification;
  if (!current) {
    throw problems.conflict(
      'difference-not-classified',
      'Difference not classified yet',
      `the difference of intake ${intakeId} must be classified (POST /v1/intakes/${intakeId}/difference) before it is countersigned`,
    );
  }
  if (input.classificationId !== undefined && input.classificationId !== current.classificationId) {
    throw problems.conflict(
      'classification-not-current',
      'Not the classification in force',
      `intake ${intakeId}: ${input.classificationId} is not the classification in force (${current.classificationId})`,
      { classificationId: current.classificationId },
    );
  }
  const earlier = state.countersignatures;
  const same = earlier.find((s) => s.signedBy === input.signedBy);
  if (same) {
    throw problems.conflict(
      'same-countersigner',
      'Already countersigned by this person',
      `${input.signedBy} already countersigned classification ${current.classificationId} as ${same.role}; ` +
        'the other countersignature must come from someone else',
      { classificationId: current.classificationId },
    );
  }
  const taken = earlier.find((s) => s.role === input.role);
  if (taken) {
    throw problems.conflict(
      'role-already-countersigned',
      'This role has countersigned already',
      `${taken.signedBy} already countersigned classification ${current.classificationId} as ${input.role}`,
      { classificationId: current.classificationId },
    );
  }
  // Only the people the handover evidence in force names may countersign, each for their part.
  const trail = await evidenceTrail(db, intakeId);
  const evidence = trail.records[trail.records.length - 1];
  const named = input.role === 'handing-officer' ? evidence?.handedOverBy : evidence?.receivedBy;
  if (named !== input.signedBy) {
    throw new Problem(
      403,
      'countersigner-not-named',
      'Countersigner not named in the handover evidence',
      `the handover evidence in force (${trail.currentEvidenceId}) names ${named ?? 'nobody'} as the ${input.role}, not ${input.signedBy}`,
      { role: input.role, evidenceId: trail.currentEvidenceId },
    );
  }
  checkFeeAttestation(intake, current, input);
  await db.query(
    `INSERT INTO intake_difference_countersignatures (classification_id, intake_id, role, signed_by, fee_tx_hash)
     VALUES ($1, $2, $3, $4, $5)`,
    [current.classificationId, intakeId, input.role, input.signedBy, input.feeTxHash ?? null],
  );
}

async function findIntake(db: Queryable, intakeId: string): Promise<IntakeFacts> {
  const { rows } = await db.query<IntakeFacts>(
    `SELECT intake_id, asset, chain, status, declared_amount, received_amount, verification, from_address,
            source_addresses
     FROM intakes WHERE intake_id = $1`,
    [intakeId],
  );
  if (!rows[0]) throw problems.notFound('Intake', intakeId);
  return rows[0];
}

/** The latest classification: the one no other corrects. */
async function currentClassification(db: Queryable, intakeId: string): Promise<ClassificationRow | undefined> {
  const { rows } = await db.query<ClassificationRow>(
    `SELECT c.* FROM intake_difference_classifications c
     WHERE c.intake_id = $1
       AND NOT EXISTS (SELECT 1 FROM intake_difference_classifications n WHERE n.corrects = c.classification_id)`,
    [intakeId],
  );
  return rows[0];
}

async function countersignaturesOf(db: Queryable, classificationId: string): Promise<CountersignatureRow[]> {
  const { rows } = await db.query<CountersignatureRow>(
    `SELECT classification_id, role, signed_by, fee_tx_hash, signed_at FROM intake_difference_countersignatures
     WHERE classification_id = $1 ORDER BY signed_at, role`,
    [classificationId],
  );
  return rows;
}

/** Serialise classification and countersigning of one intake (the service role cannot SELECT FOR UPDATE). */
async function lock(db: Queryable, intakeId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`intake-difference:${intakeId}`]);
}

function noDifference(intakeId: string): Problem {
  return problems.conflict(
    'no-difference',
    'Intake has no difference',
    `intake ${intakeId} received exactly what was declared: there is nothing to classify or countersign`,
  );
}

function fieldRefusal(slug: string, field: string, message: string, ext: Record<string, unknown> = {}): Problem {
  return problems.refused(slug, 'Difference classification refused', `${field}: ${message}`, {
    errors: [{ field, message }],
    ...ext,
  });
}

function classificationView(row: ClassificationRow): IntakeDifferenceRecord {
  return {
    classificationId: row.classification_id,
    classification: row.classification,
    explanation: row.explanation,
    ...(row.fee_tx_hash ? { feeTxHash: row.fee_tx_hash } : {}),
    amount: toWire(new Decimal(row.amount)),
    ...(row.classified_by ? { classifiedBy: row.classified_by } : {}),
    ...(row.corrects ? { corrects: row.corrects } : {}),
    classifiedAt: row.classified_at.toISOString(),
  };
}

function countersignatureView(row: CountersignatureRow): DifferenceCountersignature {
  return {
    classificationId: row.classification_id,
    signedBy: row.signed_by,
    role: row.role,
    ...(row.fee_tx_hash ? { feeTxHash: row.fee_tx_hash } : {}),
    signedAt: row.signed_at.toISOString(),
  };
}
