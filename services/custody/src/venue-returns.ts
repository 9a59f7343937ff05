/**
 * Returns from the venue (compensation): when a case stops after its coins reached the venue, they
 * are sent back to the SAME case wallet they left (its address is derived from the case and asset, so
 * there is no other place to send them). Custody verifies the return on chain like a sweep — it exists,
 * goes to this case's address, carries this asset, has enough confirmations — and books a RETURN
 * credit. A return names the transfer it undoes; all returns of a transfer together never exceed what
 * it delivered (net of its fee).
 */
import { randomUUID } from 'node:crypto';
import { type contracts, Decimal, problems, type Queryable, toWire } from '@vcdc/shared';
import type { ChainAdapter } from './chain-adapter';
import { type ConfirmationDepth, depthFor } from './confirmation-depth';
import { requireAccount } from './custody-accounts';
import { chainUnavailable } from './intakes';
import { bookEntry } from './ledger';

type RecordVenueReturn = contracts.custody.RecordVenueReturn;
type VenueReturn = contracts.custody.VenueReturn;

interface ReturnRow {
  return_id: string;
  case_id: string;
  asset: VenueReturn['asset'];
  chain: VenueReturn['chain'];
  transfer_id: string;
  tx_hash: string;
  amount: string;
  confirmations: number;
  recorded_at: Date;
}

export async function recordVenueReturn(
  db: Queryable,
  deps: { chain: ChainAdapter; minConfirmations: ConfirmationDepth },
  input: RecordVenueReturn,
): Promise<VenueReturn> {
  const { rows: transfers } = await db.query<{
    case_id: string;
    asset: string;
    chain: string;
    net_amount: string;
    status: string;
    purpose: string;
  }>('SELECT case_id, asset, chain, net_amount, status, purpose FROM transfers WHERE transfer_id = $1', [
    input.transferId,
  ]);
  const transfer = transfers[0];
  if (!transfer || transfer.case_id !== input.caseId) {
    throw problems.refused(
      'transfer-not-of-case',
      'Transfer not of this case',
      `case ${input.caseId} has no transfer ${input.transferId}`,
    );
  }
  if (transfer.status === 'FAILED' || transfer.status === 'PENDING_BROADCAST') {
    throw problems.refused(
      'transfer-not-sent',
      'Transfer never left custody',
      `transfer ${input.transferId} is ${transfer.status}`,
    );
  }
  // Coins handed back to the owner closed the case: they are the owner's, not the venue's to return.
  if (transfer.purpose === 'OWNER_RETURN') {
    throw problems.refused(
      'transfer-not-to-venue',
      'Transfer did not go to a venue',
      `transfer ${input.transferId} handed the coins back to the owner; only a transfer to a venue is returned`,
    );
  }
  const account = await requireAccount(db, input.caseId, transfer.asset, { lock: true });
  const chain = transfer.chain as VenueReturn['chain'];
  const tx = await deps.chain.getTransaction(chain, input.txHash).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (!tx)
    throw problems.refused(
      'transaction-not-found',
      'Return transaction not found',
      `${chain} has no transaction ${input.txHash}`,
    );
  const sameAddress =
    chain === 'ethereum' ? tx.to.toLowerCase() === account.address.toLowerCase() : tx.to === account.address;
  if (!sameAddress || tx.asset !== transfer.asset) {
    throw problems.refused(
      'return-not-to-case-wallet',
      'Return does not come back into the case wallet',
      `transaction ${input.txHash} sends ${tx.asset} to ${tx.to}; case ${input.caseId} holds ${transfer.asset} at ${account.address}`,
    );
  }
  const required = depthFor(deps.minConfirmations, chain);
  if (tx.status !== 'CONFIRMED' || tx.confirmations < required) {
    throw problems.notYet(
      'Return not confirmed enough yet',
      `transaction ${input.txHash} has ${tx.confirmations} of ${required} confirmations`,
      {
        confirmations: tx.confirmations,
        required,
      },
    );
  }
  const amount = new Decimal(tx.amount);
  const { rows: earlier } = await db.query<{ returned: string }>(
    'SELECT COALESCE(sum(amount), 0)::text AS returned FROM venue_returns WHERE transfer_id = $1',
    [input.transferId],
  );
  const returnable = new Decimal(transfer.net_amount).minus(earlier[0]!.returned);
  if (amount.gt(returnable)) {
    throw problems.refused(
      'return-exceeds-transfer',
      'Return exceeds what the transfer delivered',
      `transfer ${input.transferId} delivered ${toWire(new Decimal(transfer.net_amount))}; ${toWire(returnable)} of it can still come back, the transaction brings ${toWire(amount)}`,
    );
  }
  let row: ReturnRow;
  try {
    const { rows } = await db.query<ReturnRow>(
      `INSERT INTO venue_returns (return_id, case_id, asset, chain, transfer_id, tx_hash, from_address, to_address, amount, confirmations)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        `return-${randomUUID()}`,
        input.caseId,
        transfer.asset,
        chain,
        input.transferId,
        tx.txHash,
        tx.from,
        tx.to,
        amount.toFixed(),
        tx.confirmations,
      ],
    );
    row = rows[0]!;
  } catch (error) {
    const { code } = error as { code?: string };
    if (code === '23505') {
      throw problems.conflict(
        'return-already-recorded',
        'Return already recorded',
        `transaction ${input.txHash} was recorded as a return already`,
      );
    }
    throw error;
  }
  await bookEntry(db, {
    caseId: input.caseId,
    asset: transfer.asset,
    kind: 'RETURN',
    amount,
    reference: row.return_id,
  });
  return view(row);
}

function view(row: ReturnRow): VenueReturn {
  return {
    returnId: row.return_id,
    caseId: row.case_id,
    asset: row.asset,
    chain: row.chain,
    transferId: row.transfer_id,
    txHash: row.tx_hash,
    amount: toWire(new Decimal(row.amount)),
    confirmations: row.confirmations,
    recordedAt: row.recorded_at.toISOString(),
  };
}
