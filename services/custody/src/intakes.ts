/**
 * Intake: taking seized coins into custody. The sweep transaction that moved them from the suspect's
 * wallet into the case's custody address is looked up on the chain and verified (it exists, it goes
 * to this case's address, it carries this asset, it has enough confirmations); then the intake is
 * recorded with the declared and the received amount and the handover evidence, and the account is
 * credited with what actually arrived. A short (or long) receipt is a DISCREPANCY a supervisor rules
 * on; it is still credited, because those coins are in custody either way. Its receipt is final only
 * once the difference is classified and countersigned (intake-differences.ts).
 */
import { randomUUID } from 'node:crypto';
import { assertScales, type contracts, Decimal, Problem, problems, type Queryable, toWire } from '@vcdc/shared';
import type { ChainAdapter } from './chain-adapter';
import { type ConfirmationDepth, depthFor } from './confirmation-depth';
import { assertChainCarries, requireAccount } from './custody-accounts';
import type { CustodyKeyring } from './custody-keyring';
import { evidenceTrail, recordOriginalEvidence } from './handover-evidence';
import { type DifferenceState, differenceStateOf, ROLES_NEEDED } from './intake-differences';
import { bookEntry } from './ledger';

type Intake = contracts.custody.Intake;
type RecordIntake = contracts.custody.RecordIntake;
type AssetCode = Intake['asset'];

export interface IntakeRow {
  intake_id: string;
  case_id: string;
  lot_id: string;
  asset: AssetCode;
  chain: Intake['chain'];
  declared_amount: string;
  received_amount: string;
  difference: string;
  status: Intake['status'];
  tx_hash: string;
  /** The sweep's sender, as the chain showed it (null for an attested intake). */
  from_address: string | null;
  confirmations: number;
  evidence: Intake['evidence'];
  control_address: string | null;
  control_message: string | null;
  control_signature: string | null;
  verification: 'CHAIN' | 'ATTESTED';
  seizure_reference: string | null;
  source_addresses: string[] | null;
  recorded_at: Date;
}

export interface IntakeDeps {
  chain: ChainAdapter;
  minConfirmations: ConfirmationDepth;
  /** Signs the proof of exclusive control at receipt. */
  keyring: CustodyKeyring;
}

/**
 * What the case wallet's key signs at receipt (EIP-191 personal message): anyone holding the intake
 * can check with the address that the custodian, and no one else, controls the coins received.
 */
export function controlProofMessage(i: {
  intakeId: string;
  caseId: string;
  lotId: string;
  asset: string;
  chain: string;
  received: string;
  txHash: string;
  address: string;
}): string {
  return [
    'VCDC custody receipt: proof of exclusive control',
    `case: ${i.caseId}`,
    `lot: ${i.lotId}`,
    `intake: ${i.intakeId}`,
    `received: ${i.received} ${i.asset} on ${i.chain}`,
    `transaction: ${i.txHash}`,
    `custody address: ${i.address}`,
  ].join('\n');
}

export async function recordIntake(db: Queryable, deps: IntakeDeps, input: RecordIntake): Promise<Intake> {
  assertChainCarries(input.chain, input.asset);
  assertFitsAsset('declaredAmount', input.declaredAmount, input.asset);
  const account = await requireAccount(db, input.caseId, input.asset);
  await refuseIfAlreadyReceived(db, input.chain, input.txHash);

  const tx = await deps.chain.getTransaction(input.chain, input.txHash).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (!tx) {
    throw problems.refused(
      'transaction-not-found',
      'Sweep transaction not found',
      `${input.chain} has no transaction ${input.txHash}`,
    );
  }
  if (tx.to !== account.address || tx.asset !== input.asset) {
    throw problems.refused(
      'transaction-mismatch',
      'Sweep transaction does not match the custody account',
      `transaction ${input.txHash} sends ${tx.asset} to ${tx.to}; case ${input.caseId} holds ${input.asset} at ${account.address}`,
      { expected: { to: account.address, asset: input.asset }, actual: { to: tx.to, asset: tx.asset } },
    );
  }
  const required = depthFor(deps.minConfirmations, input.chain);
  if (tx.status !== 'CONFIRMED' || tx.confirmations < required) {
    throw problems.notYet(
      'Sweep transaction not confirmed enough yet',
      `transaction ${input.txHash} has ${tx.confirmations} of ${required} confirmations on ${input.chain}`,
      { confirmations: tx.confirmations, required },
    );
  }

  return insertIntake(db, deps.keyring, input, {
    txHash: tx.txHash,
    from: tx.from,
    to: tx.to,
    blockHeight: tx.blockHeight,
    confirmations: tx.confirmations,
    received: new Decimal(tx.amount),
    verification: 'CHAIN',
  });
}

/** What was verified to have arrived: on chain by custody, or by two custodians' attestations. */
export interface VerifiedReceipt {
  txHash: string;
  from: string | null;
  to: string;
  blockHeight: number | null;
  confirmations: number;
  received: Decimal;
  verification: 'CHAIN' | 'ATTESTED';
}

/**
 * Record the intake, sign the proof of exclusive control, keep the handover evidence as its original
 * record, and credit the account with what arrived.
 */
export async function insertIntake(
  db: Queryable,
  keyring: CustodyKeyring,
  input: RecordIntake | contracts.custody.AttestIntake,
  receipt: VerifiedReceipt,
): Promise<Intake> {
  const received = receipt.received;
  const declared = new Decimal(input.declaredAmount);
  const intakeId = `intake-${randomUUID()}`;
  const wallet = keyring.walletFor(input.caseId, input.asset);
  const controlMessage = controlProofMessage({
    intakeId,
    caseId: input.caseId,
    lotId: input.lotId,
    asset: input.asset,
    chain: input.chain,
    received: received.toFixed(),
    txHash: receipt.txHash,
    address: receipt.to,
  });
  const controlSignature = await wallet.signMessage(controlMessage);
  let row: IntakeRow;
  try {
    const inserted = await db.query<IntakeRow>(
      `INSERT INTO intakes (intake_id, case_id, lot_id, asset, chain, declared_amount, received_amount, status,
                            tx_hash, from_address, to_address, block_height, confirmations, evidence,
                            control_address, control_message, control_signature, verification,
                            seizure_reference, source_addresses)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       RETURNING *`,
      [
        intakeId,
        input.caseId,
        input.lotId,
        input.asset,
        input.chain,
        declared.toFixed(),
        received.toFixed(),
        received.eq(declared) ? 'RECEIVED' : 'DISCREPANCY',
        receipt.txHash,
        receipt.from,
        receipt.to,
        receipt.blockHeight,
        receipt.confirmations,
        JSON.stringify(input.evidence),
        wallet.address,
        controlMessage,
        controlSignature,
        receipt.verification,
        input.seizureReference ?? null,
        input.sourceAddresses ? JSON.stringify(input.sourceAddresses) : null,
      ],
    );
    row = inserted.rows[0]!;
  } catch (error) {
    // Another request took the same transaction in while we were verifying it (the insert waited for
    // it and then hit the unique key). The transaction is aborted now: answer without asking it more.
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === '23505' && constraint === 'intakes_chain_tx_hash_key') throw alreadyReceived(input.txHash);
    throw error;
  }
  await recordOriginalEvidence(db, { intakeId, caseId: input.caseId }, input.evidence);
  if (received.gt(0)) {
    await bookEntry(db, {
      caseId: input.caseId,
      asset: input.asset,
      kind: 'INTAKE',
      amount: received,
      reference: intakeId,
    });
  }
  return loadIntakeView(db, row);
}

export async function getIntake(db: Queryable, intakeId: string): Promise<Intake> {
  return loadIntakeView(db, await findIntakeRow(db, intakeId));
}

export async function findIntakeRow(db: Queryable, intakeId: string): Promise<IntakeRow> {
  const { rows } = await db.query<IntakeRow>('SELECT * FROM intakes WHERE intake_id = $1', [intakeId]);
  if (!rows[0]) throw problems.notFound('Intake', intakeId);
  return rows[0];
}

type IntakeAwaitingCountersignature = contracts.custody.IntakeAwaitingCountersignature;

/**
 * The intakes whose difference is classified and waits for a countersignature (the classification in
 * force has fewer than both), oldest classification first, at most `limit`, optionally of one case:
 * what the countersigners' inbox lists. `evidence` is the intake's original record; `countersigners`
 * are named by the evidence in force (a correction may have named someone else), as countersigning checks.
 */
export async function intakesAwaitingCountersignature(
  db: Queryable,
  filter: { caseId?: string; limit?: number } = {},
): Promise<IntakeAwaitingCountersignature[]> {
  const { rows } = await db.query<IntakeRow>(
    `SELECT i.* FROM intakes i JOIN intake_difference_classifications c ON c.intake_id = i.intake_id
      WHERE NOT EXISTS (SELECT 1 FROM intake_difference_classifications n WHERE n.corrects = c.classification_id)
        AND (SELECT count(*) FROM intake_difference_countersignatures s
              WHERE s.classification_id = c.classification_id) < $3
        AND ($1::text IS NULL OR i.case_id = $1)
      ORDER BY c.classified_at, i.intake_id LIMIT $2`,
    [filter.caseId ?? null, filter.limit ?? 200, ROLES_NEEDED],
  );
  const out: IntakeAwaitingCountersignature[] = [];
  for (const row of rows) {
    const trail = await evidenceTrail(db, row.intake_id);
    const inForce = trail.records[trail.records.length - 1] ?? row.evidence;
    out.push({
      ...(await loadIntakeView(db, row)),
      countersigners: { 'handing-officer': inForce.handedOverBy, custodian: inForce.receivedBy },
    });
  }
  return out;
}

/** The intake with where its difference stands (classification, countersignatures, final). */
export async function loadIntakeView(db: Queryable, row: IntakeRow): Promise<Intake> {
  return intakeView(row, await differenceStateOf(db, row));
}

export async function refuseIfAlreadyReceived(db: Queryable, chain: string, txHash: string): Promise<void> {
  const { rows } = await db.query<{ intake_id: string; case_id: string }>(
    'SELECT intake_id, case_id FROM intakes WHERE chain = $1 AND tx_hash = $2',
    [chain, txHash],
  );
  const taken = rows[0];
  if (taken) throw alreadyReceived(txHash, taken);
}

function alreadyReceived(txHash: string, taken?: { intake_id: string; case_id: string }): Problem {
  return problems.conflict(
    'transaction-already-received',
    'Sweep transaction already taken into custody',
    taken
      ? `transaction ${txHash} was taken in by intake ${taken.intake_id} of case ${taken.case_id}`
      : `transaction ${txHash} was taken in by another intake`,
    taken ? { intakeId: taken.intake_id } : {},
  );
}

export function assertFitsAsset(field: string, amount: string, asset: AssetCode): void {
  assertScales([{ field, value: amount, asset }]);
}

export function chainUnavailable(error: unknown): Problem {
  const reason = error instanceof Error ? error.message : String(error);
  return new Problem(503, 'chain-unavailable', 'Chain unavailable', `the chain could not be asked: ${reason}`);
}

export function intakeView(row: IntakeRow, difference: DifferenceState): Intake {
  return {
    intakeId: row.intake_id,
    caseId: row.case_id,
    lotId: row.lot_id,
    asset: row.asset,
    chain: row.chain,
    declaredAmount: toWire(new Decimal(row.declared_amount)),
    receivedAmount: toWire(new Decimal(row.received_amount)),
    difference: toWire(new Decimal(row.difference)),
    status: row.status,
    txHash: row.tx_hash,
    confirmations: row.confirmations,
    evidence: row.evidence,
    ...(row.control_signature
      ? {
          controlProof: {
            address: row.control_address ?? '',
            message: row.control_message ?? '',
            signature: row.control_signature,
          },
        }
      : {}),
    verification: row.verification,
    ...(row.seizure_reference ? { seizureReference: row.seizure_reference } : {}),
    ...(row.source_addresses ? { sourceAddresses: row.source_addresses } : {}),
    differenceStatus: difference.status,
    ...(difference.classification ? { differenceClassification: difference.classification } : {}),
    countersignatures: difference.countersignatures,
    final: difference.status === 'NONE' || difference.status === 'COUNTERSIGNED',
    recordedAt: row.recorded_at.toISOString(),
  };
}
