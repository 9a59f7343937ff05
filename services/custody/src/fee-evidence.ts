/**
 * The evidence behind a NETWORK_FEE classification: the transaction that paid the fee.
 *
 *  - An intake custody verified on chain (verification CHAIN): custody asks the chain for the named
 *    transaction. It must exist, be as deep as a sweep must be, be sent from the case's source (the
 *    sweep's sender or one of the lot's declared source addresses) and have paid a fee of exactly the
 *    difference, in the lot's asset. Anything else is refused (422 naming feeTxHash) before the
 *    classification is recorded.
 *  - On any chain, one transaction's fee explains one intake's difference.
 *  - An attested intake (a chain custody does not watch: no node to ask): two custodians attest the
 *    txid, as they attested the sweep. The classification is one custodian's word; the receiving
 *    custodian's countersignature names the txid again, read on the chain on their own, and must be by
 *    another custodian and name the same txid. Until then the receipt is not final.
 */
import { type contracts, Decimal, type Problem, problems, type Queryable, toWire } from '@vcdc/shared';
import type { ChainAdapter, ChainTransaction } from './chain-adapter';
import { type ConfirmationDepth, depthFor } from './confirmation-depth';
import { chainUnavailable, type IntakeRow } from './intakes';

type IntakeDifferenceRecord = contracts.custody.IntakeDifferenceRecord;

export type FeeIntakeFacts = Pick<
  IntakeRow,
  'intake_id' | 'asset' | 'chain' | 'verification' | 'from_address' | 'source_addresses'
>;

export interface FeeEvidenceDeps {
  chain: ChainAdapter;
  /** As deep as a sweep must be to be taken in, so must the fee's transaction be to count. */
  minConfirmations: ConfirmationDepth;
}

/** For a CHAIN-verified intake: the fee transaction is on the chain, deep enough, from the source, and paid `difference`. */
export async function checkFeeOnChain(
  deps: FeeEvidenceDeps,
  intake: FeeIntakeFacts,
  feeTxHash: string,
  difference: Decimal,
): Promise<void> {
  if (intake.verification !== 'CHAIN') return;
  const tx = await deps.chain.getTransaction(intake.chain, feeTxHash).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (!tx) {
    throw feeRefusal('fee-transaction-not-found', `${intake.chain} has no transaction ${feeTxHash}`);
  }
  const required = depthFor(deps.minConfirmations, intake.chain);
  if (tx.status !== 'CONFIRMED' || tx.confirmations < required) {
    throw feeRefusal(
      'fee-transaction-unconfirmed',
      `transaction ${feeTxHash} has ${tx.confirmations} of ${required} confirmations: its fee is not final yet`,
      { confirmations: tx.confirmations, required },
    );
  }
  const sources = sourcesOf(intake);
  if (!sources.some((source) => sameAddress(intake.chain, source, tx.from))) {
    throw feeRefusal(
      'fee-transaction-mismatch',
      `transaction ${feeTxHash} was sent by ${tx.from}, not from the case's source (${sources.join(', ') || 'none known'})`,
      { expectedFrom: sources, actualFrom: tx.from },
    );
  }
  const fee = paidFee(tx, intake.asset);
  if (!fee.eq(difference)) {
    throw feeRefusal(
      'fee-transaction-mismatch',
      `transaction ${feeTxHash} paid a fee of ${toWire(fee)} ${intake.asset}; the difference is ${toWire(difference)} ${intake.asset}`,
      { expectedFee: toWire(difference), actualFee: toWire(fee) },
    );
  }
}

/**
 * One transaction's fee explains one difference: a fee transaction named by the classification in force
 * of another intake (on the same chain) is refused. Serialised per transaction, so two intakes cannot
 * both take it at once.
 */
export async function refuseIfFeeUsed(db: Queryable, intake: FeeIntakeFacts, feeTxHash: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fee-tx:${intake.chain}:${feeTxHash}`]);
  const { rows } = await db.query<{ intake_id: string; case_id: string }>(
    `SELECT c.intake_id, i.case_id FROM intake_difference_classifications c JOIN intakes i USING (intake_id)
     WHERE c.fee_tx_hash = $1 AND i.chain = $2 AND c.intake_id <> $3 AND c.classification = 'NETWORK_FEE'
       AND NOT EXISTS (SELECT 1 FROM intake_difference_classifications n WHERE n.corrects = c.classification_id)`,
    [feeTxHash, intake.chain, intake.intake_id],
  );
  const taken = rows[0];
  if (taken) {
    throw feeRefusal(
      'fee-transaction-already-used',
      `transaction ${feeTxHash} already explains the difference of intake ${taken.intake_id} (case ${taken.case_id}); ` +
        "one transaction's fee explains one difference",
      { intakeId: taken.intake_id },
    );
  }
}

/**
 * For a countersignature: what it says about the fee transaction must fit the classification it signs.
 * The receiving custodian of an attested intake's NETWORK_FEE attests the txid (`feeTxHash`), and is not
 * the custodian who named it; no other countersignature names a fee transaction.
 */
export function checkFeeAttestation(
  intake: Pick<FeeIntakeFacts, 'intake_id' | 'verification'>,
  classification: IntakeDifferenceRecord,
  countersignature: { role: string; signedBy: string; feeTxHash?: string },
): void {
  const attests =
    intake.verification === 'ATTESTED' &&
    classification.classification === 'NETWORK_FEE' &&
    countersignature.role === 'custodian';
  if (!attests) {
    if (countersignature.feeTxHash !== undefined) {
      throw feeRefusal(
        'fee-attestation-unexpected',
        `only the receiving custodian of an attested intake's NETWORK_FEE attests a fee transaction; ` +
          `this ${countersignature.role} countersignature of a ${classification.classification} must not name one`,
      );
    }
    return;
  }
  if (countersignature.feeTxHash === undefined) {
    throw feeRefusal(
      'fee-attestation-required',
      `intake ${intake.intake_id} was attested, not verified on chain: the receiving custodian attests the fee ` +
        'transaction by naming it, as read on the chain',
    );
  }
  if (countersignature.signedBy === classification.classifiedBy) {
    throw problems.conflict(
      'same-fee-attester',
      'Fee transaction attested by the same custodian',
      `${countersignature.signedBy} named the fee transaction in classification ${classification.classificationId}; ` +
        'a second custodian must attest it: another custodian classifies anew (a correction naming it), then you countersign',
      { classificationId: classification.classificationId },
    );
  }
  if (countersignature.feeTxHash !== classification.feeTxHash) {
    throw feeRefusal(
      'fee-attestation-mismatch',
      `the classification names ${classification.feeTxHash}, this attestation ${countersignature.feeTxHash}: ` +
        'two custodians must attest the same fee transaction',
      { classificationId: classification.classificationId },
    );
  }
}

/** Who may have paid the fee: the sweep's sender and the lot's declared source addresses. */
function sourcesOf(intake: FeeIntakeFacts): string[] {
  return [...new Set([intake.from_address, ...(intake.source_addresses ?? [])].filter((a): a is string => !!a))];
}

/** EVM addresses are hex, whatever their case (checksum); other chains' addresses compare as written. */
function sameAddress(chain: string, a: string, b: string): boolean {
  return chain === 'ethereum' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** The fee a transaction paid in `asset` (a chain reports it in the asset sent: another asset paid none of it). */
function paidFee(tx: ChainTransaction, asset: string): Decimal {
  return tx.asset === asset ? new Decimal(tx.fee) : new Decimal(0);
}

function feeRefusal(slug: string, message: string, ext: Record<string, unknown> = {}): Problem {
  return problems.refused(slug, 'Fee transaction refused', `feeTxHash: ${message}`, {
    errors: [{ field: 'feeTxHash', message }],
    ...ext,
  });
}
