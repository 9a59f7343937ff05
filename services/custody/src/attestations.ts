/**
 * Attested intake, for chains the system does not watch itself (bitcoin here; TRON would be another):
 * two distinct custodians each read the sweep on the chain and attest its transaction id and the
 * amount that arrived at the case's custody address.
 *
 *  - the first attestation waits for a second (AWAITING_SECOND_ATTESTATION); nothing is credited;
 *  - the same person cannot attest a lot twice (four eyes): 409 same-attester;
 *  - the second matches the first (same txid, same amount): the intake is recorded from it (RECEIVED,
 *    or DISCREPANCY when the agreed amount differs from the declared one) and the account credited;
 *  - the second does not match: DISCREPANCY with what disagrees; nothing is credited, a supervisor rules.
 */
import { randomUUID } from 'node:crypto';
import { type contracts, Decimal, problems, type Queryable, toWire } from '@vcdc/shared';
import { assertChainCarries, requireAccount } from './custody-accounts';
import type { CustodyKeyring } from './custody-keyring';
import { assertFitsAsset, type IntakeRow, insertIntake, loadIntakeView, refuseIfAlreadyReceived } from './intakes';

/** The request, with the attesting custodian taken from the signed act. */
type AttestIntake = contracts.custody.AttestIntake & { attestedBy: string };
type AttestedIntake = contracts.custody.AttestedIntake;
type Chain = contracts.common.Chain;

/** Chains custody does not watch itself: their intakes are attested by two custodians. */
export const ATTESTED_CHAINS: readonly Chain[] = ['bitcoin'];

interface AttestationRow {
  attestation_id: string;
  case_id: string;
  lot_id: string;
  asset: AttestedIntake['asset'];
  chain: Chain;
  declared_amount: string;
  tx_hash: string;
  amount: string;
  attested_by: string;
  round: number;
  attested_at: Date;
}

export async function attestIntake(
  db: Queryable,
  keyring: CustodyKeyring,
  input: AttestIntake,
): Promise<AttestedIntake> {
  assertChainCarries(input.chain, input.asset);
  assertFitsAsset('declaredAmount', input.declaredAmount, input.asset);
  assertFitsAsset('amount', input.amount, input.asset);
  if (!ATTESTED_CHAINS.includes(input.chain)) {
    throw problems.refused(
      'chain-is-watched',
      'Chain verified by custody itself',
      `${input.chain} intakes are verified on chain: use POST /v1/intakes`,
    );
  }
  const account = await requireAccount(db, input.caseId, input.asset, { lock: true });
  const earlier = await attestationsOf(db, input.caseId, input.lotId);
  const first = earlier[0];
  if (earlier.some((a) => a.attested_by === input.attestedBy)) {
    throw problems.conflict(
      'same-attester',
      'Already attested by this person',
      `${input.attestedBy} already attested lot ${input.lotId} of case ${input.caseId}; the second attestation must come from another custodian`,
    );
  }
  if (earlier.length >= 2) {
    throw problems.conflict(
      'attestations-complete',
      'Lot already attested twice',
      `lot ${input.lotId} of case ${input.caseId} has two attestations already`,
    );
  }
  if (first && (first.asset !== input.asset || !new Decimal(first.declared_amount).eq(input.declaredAmount))) {
    throw problems.refused(
      'attestation-lot-mismatch',
      'Attestation names another lot',
      `lot ${input.lotId} was declared as ${toWire(new Decimal(first.declared_amount))} ${first.asset}`,
    );
  }
  if (!first) await refuseIfAlreadyReceived(db, input.chain, input.txHash);

  await db.query(
    `INSERT INTO intake_attestations (attestation_id, case_id, lot_id, asset, chain, declared_amount, tx_hash, amount,
                                      attested_by, round, evidence)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      `attestation-${randomUUID()}`,
      input.caseId,
      input.lotId,
      input.asset,
      input.chain,
      new Decimal(input.declaredAmount).toFixed(),
      input.txHash,
      new Decimal(input.amount).toFixed(),
      input.attestedBy,
      first ? 2 : 1,
      JSON.stringify(input.evidence),
    ],
  );
  if (!first) return attestedView(db, input.caseId, input.lotId);

  const sameTx = first.tx_hash === input.txHash;
  const sameAmount = new Decimal(first.amount).eq(input.amount);
  if (sameTx && sameAmount) {
    await insertIntake(db, keyring, input, {
      txHash: input.txHash,
      from: null,
      to: account.address,
      blockHeight: null,
      confirmations: 0,
      received: new Decimal(input.amount),
      verification: 'ATTESTED',
    });
  }
  return attestedView(db, input.caseId, input.lotId);
}

export async function attestedView(db: Queryable, caseId: string, lotId: string): Promise<AttestedIntake> {
  const rows = await attestationsOf(db, caseId, lotId);
  const first = rows[0];
  if (!first) throw problems.notFound('Attested intake', `${caseId}/${lotId}`);
  const second = rows[1];
  const base = {
    caseId: first.case_id,
    lotId: first.lot_id,
    asset: first.asset,
    chain: first.chain,
    declaredAmount: toWire(new Decimal(first.declared_amount)),
    attestations: rows.map((r) => ({
      attestationId: r.attestation_id,
      round: r.round,
      attestedBy: r.attested_by,
      txHash: r.tx_hash,
      amount: toWire(new Decimal(r.amount)),
      attestedAt: r.attested_at.toISOString(),
    })),
  };
  if (!second) return { ...base, status: 'AWAITING_SECOND_ATTESTATION' };
  const mismatch = { txHash: first.tx_hash !== second.tx_hash, amount: !new Decimal(first.amount).eq(second.amount) };
  if (mismatch.txHash || mismatch.amount) return { ...base, status: 'DISCREPANCY', mismatch };
  const { rows: intakes } = await db.query<IntakeRow>(
    `SELECT * FROM intakes WHERE case_id = $1 AND lot_id = $2 AND chain = $3 AND tx_hash = $4 AND verification = 'ATTESTED'`,
    [caseId, lotId, first.chain, first.tx_hash],
  );
  const intake = await loadIntakeView(db, intakes[0]!);
  return { ...base, status: intake.status, intake };
}

async function attestationsOf(db: Queryable, caseId: string, lotId: string): Promise<AttestationRow[]> {
  const { rows } = await db.query<AttestationRow>(
    'SELECT * FROM intake_attestations WHERE case_id = $1 AND lot_id = $2 ORDER BY round',
    [caseId, lotId],
  );
  return rows;
}
