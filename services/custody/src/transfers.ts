/**
 * Transfers out of custody (to a venue's deposit address, or back to the owner on acquittal), sent once
 * and only once. An OWNER_RETURN is cleared by owner-returns.ts instead of the whitelist, test deposit and
 * DISPOSAL_PLAN rules below: two supervisors' HOLD_RESOLUTION names the address, and the amount is the
 * whole available balance.
 *
 *  1. Checks: the destination is an ACTIVE whitelist entry on that chain (not revoked, not superseded);
 *     a TEST_DEPOSIT is at most the configured maximum for the asset, and a VENUE_DEPOSIT (bulk) goes
 *     only to an address that already received a CONFIRMED transfer of that asset (a test deposit
 *     first: 409 test-deposit-required); the amount is above the
 *     chain's network fee; the account's available balance (ledger balance minus what transfers in
 *     flight have reserved) covers the amount. `amount` is what leaves custody: the destination gets
 *     `amount - fee`, the fee is paid on top of that by the custody address.
 *  2. The transfer row is COMMITTED (status PENDING_BROADCAST, which reserves the amount) before
 *     anything is sent, with a clientRef derived from its id and the request's Idempotency-Key.
 *  3. The broadcast carries that clientRef. When it is accepted, the txHash is stored and the ledger
 *     books TRANSFER_OUT (amount - fee; OWNER_RETURN for a hand-back to the owner) and NETWORK_FEE (fee)
 *     in one transaction, with the transfer's record in the audit chain.
 *  4. When the outcome is unknown (timeout, crash, 5xx), the row stays PENDING_BROADCAST and the
 *     request answers 503; its retry (same Idempotency-Key) finds the row and broadcasts again with
 *     the same clientRef, and the chain answers with the transaction it already has: never a second
 *     one. A definitive refusal by the chain marks the transfer FAILED and releases the reservation.
 *
 * These steps use their own transactions on the pool, because step 2 must be durable before step 3
 * whatever happens to the request afterwards. The Idempotency-Key is the route's one mechanism, the
 * shared claimed layer (app.ts): it replays an answer, refuses the key with another body (its claim
 * keeps the request's hash even when the answer was lost) and lets one request with a key run at a
 * time; the row's request_key only finds the transfer a key's unanswered attempt wrote.
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import {
  appendAuditRecord,
  assertProviderStandingIn,
  type contracts,
  Decimal,
  inTransaction,
  type Pool,
  Problem,
  type ProviderRegister,
  problems,
  type Queryable,
  recordSignedAct,
  type SignedAct,
  toWire,
} from '@vcdc/shared';
import { ownerReturnSent, transferSent } from './audit-records';
import { type ChainAdapter, ChainRefusal, type ChainTransaction, sameAddress } from './chain-adapter';
import { type ConfirmationDepth, depthFor } from './confirmation-depth';
import { assertChainCarries, requireAccount } from './custody-accounts';
import { assertFitsAsset, chainUnavailable } from './intakes';
import { balanceOf, bookEntry } from './ledger';
import { assertWholeBalance, type CheckedOwnerReturn, checkOwnerReturn } from './owner-returns';
import { DEFAULT_TEST_DEPOSIT_MAX, type TestDepositMax } from './test-deposit-policy';
import {
  assertAuthorisedVenue,
  assertWithinAuthorisation,
  type CheckedAuthorisation,
  checkTransferAuthorisation,
} from './transfer-authorisation';
import { activeEntryFor, observeActivations } from './whitelist';

type Transfer = contracts.custody.Transfer;
type RequestTransfer = contracts.custody.RequestTransfer;
type TestDepositRequirement = contracts.custody.TestDepositRequirement;

interface TransferRow {
  transfer_id: string;
  request_key: string;
  case_id: string;
  asset: Transfer['asset'];
  chain: Transfer['chain'];
  from_address: string;
  to_address: string;
  purpose: NonNullable<Transfer['purpose']>;
  amount: string;
  fee: string;
  net_amount: string;
  client_ref: string;
  status: 'PENDING_BROADCAST' | 'BROADCAST' | 'CONFIRMED' | 'FAILED';
  tx_hash: string | null;
  confirmations: number;
  failure: string | null;
  authorisation_sha256: string | null;
  /** An OWNER_RETURN's court order and owner, as the resolution names them. */
  court_order: string | null;
  owner_name: string | null;
  created_at: Date;
}

export interface TransferDeps {
  pool: Pool;
  chain: ChainAdapter;
  minConfirmations: ConfirmationDepth;
  /** The largest TEST_DEPOSIT per asset (default DEFAULT_TEST_DEPOSIT_MAX). */
  testDepositMax?: TestDepositMax;
  /** The control API's act verify keys: the case's DISPOSAL_PLAN approvals must verify with one. */
  actVerifyKeys: readonly KeyObject[];
  /** The register of licensed providers: a whitelisted destination's provider must be in good standing. */
  providers: ProviderRegister;
}

/** Request a transfer; `requestKey` is the request's Idempotency-Key. */
export async function requestTransfer(
  deps: TransferDeps,
  requestKey: string,
  input: RequestTransfer,
): Promise<{ transfer: Transfer }> {
  assertChainCarries(input.chain, input.asset);
  assertFitsAsset('amount', input.amount, input.asset);

  // The key's earlier attempt (whose answer was lost) may have written the row: finish that transfer.
  // That it is the same request is the key layer's to say: it holds the request's hash from the claim.
  const earlier = await findByRequestKey(deps.pool, requestKey);
  if (earlier) return { transfer: await resume(deps, earlier) };

  // The case's authorisation first: without it nothing else about the request matters.
  const clearance =
    input.purpose === 'OWNER_RETURN' ? await ownerReturnCleared(deps, input) : await venueCleared(deps, input);
  const amount = new Decimal(input.amount);
  const fees = await deps.chain.getFees(input.chain).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  const quotedFee = fees[input.asset];
  if (quotedFee === undefined) {
    throw new Problem(
      502,
      'chain-fee-unknown',
      'Network fee unknown',
      `${input.chain} quotes no fee for ${input.asset}`,
    );
  }
  const fee = new Decimal(quotedFee);
  if (amount.lte(fee)) {
    throw problems.refused(
      'amount-below-network-fee',
      'Amount does not exceed the network fee',
      `${input.amount} ${input.asset} would not cover the ${quotedFee} ${input.asset} network fee on ${input.chain}`,
      { fee: quotedFee },
    );
  }

  const row = await inTransaction(deps.pool, async (tx) => {
    const account = await requireAccount(tx, input.caseId, input.asset, { lock: true });
    const available = (await balanceOf(tx, input.caseId, input.asset)).minus(
      await reservedBy(tx, input.caseId, input.asset),
    );
    if (clearance.disposal) {
      assertWithinAuthorisation(clearance.disposal, input, await alreadyOut(tx, input.caseId, input.asset));
    }
    if (amount.gt(available)) {
      throw problems.refused(
        'insufficient-custody-balance',
        'Insufficient custody balance',
        `case ${input.caseId} has ${toWire(available)} ${input.asset} available; ${input.amount} requested`,
        { available: toWire(available) },
      );
    }
    if (clearance.owner) assertWholeBalance(input, available);
    const transferId = `transfer-${randomUUID()}`;
    const inserted = await tx.query<TransferRow>(
      `INSERT INTO transfers (transfer_id, request_key, case_id, asset, chain, from_address, to_address,
                              whitelist_entry, purpose, amount, fee, client_ref, status, authorisation_sha256,
                              court_order, owner_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'PENDING_BROADCAST', $13, $14, $15) RETURNING *`,
      [
        transferId,
        requestKey,
        input.caseId,
        input.asset,
        input.chain,
        account.address,
        input.toAddress,
        clearance.whitelistEntry ?? null,
        input.purpose,
        amount.toFixed(),
        fee.toFixed(),
        `vcdc-custody:${transferId}`,
        clearance.sha256,
        clearance.owner?.owner.courtOrder ?? null,
        clearance.owner?.owner.name ?? null,
      ],
    );
    // The approvals are bounded acts: recorded at their first use, counted against by the amounts above.
    for (const act of clearance.acts) await recordSignedAct(tx, act);
    return inserted.rows[0]!;
  });
  return { transfer: await broadcast(deps, row) };
}

/**
 * What clears a transfer to leave the case wallet: the approvals (their hash, kept with the transfer,
 * and their acts, recorded with it), and what the amount is checked against under the account's lock.
 */
interface Clearance {
  sha256: string;
  acts: SignedAct[];
  /** A venue transfer: its ACTIVE whitelist entry, and the DISPOSAL_PLAN authorisation (its maxAmount). */
  whitelistEntry?: string;
  disposal?: CheckedAuthorisation;
  /** An OWNER_RETURN: the owner the resolution names (the amount must be the whole balance). */
  owner?: CheckedOwnerReturn;
}

/** A VENUE_DEPOSIT or TEST_DEPOSIT: the DISPOSAL_PLAN approvals, an ACTIVE whitelist entry of their venue, a test deposit first. */
async function venueCleared(deps: TransferDeps, input: RequestTransfer): Promise<Clearance> {
  const authorised = checkTransferAuthorisation(deps.actVerifyKeys, input);
  await requireAccount(deps.pool, input.caseId, input.asset);
  await inTransaction(deps.pool, observeActivations);
  const whitelistEntry = await activeEntryFor(deps.pool, input.chain, input.toAddress);
  if (!whitelistEntry) {
    throw problems.refused(
      'destination-not-whitelisted',
      'Destination not whitelisted',
      `${input.toAddress} is not an active whitelisted destination on ${input.chain}`,
    );
  }
  assertAuthorisedVenue(authorised, input, whitelistEntry);
  // The provider the address belongs to must be licensed, bonded and verified today: refused before
  // anything is written or sent (@vcdc/shared provider-register-client.ts).
  await assertProviderStandingIn(deps.providers, whitelistEntry.venue, new Date());
  const amount = new Decimal(input.amount);
  const testMax = testDepositMaxFor(deps, input.asset);
  if (input.purpose === 'TEST_DEPOSIT') {
    if (amount.gt(testMax)) {
      const message = `must be at most ${toWire(testMax)} ${input.asset} for a TEST_DEPOSIT`;
      throw problems.refused('test-deposit-too-large', 'Test deposit too large', `amount: ${message}`, {
        errors: [{ field: 'amount', message }],
        maxAmount: toWire(testMax),
      });
    }
  } else {
    const requirement = await testDepositRequirement(deps, input.chain, input.toAddress, input.asset);
    if (requirement.required) {
      throw problems.conflict(
        'test-deposit-required',
        'A confirmed test deposit must come first',
        `${input.toAddress} on ${input.chain} has not received a confirmed ${input.asset} transfer yet: send a ` +
          `TEST_DEPOSIT of at most ${requirement.maxAmount} ${input.asset} and wait for it to be CONFIRMED` +
          (requirement.pendingTransferIds.length > 0
            ? ` (in flight: ${requirement.pendingTransferIds.join(', ')})`
            : ''),
        {
          chain: input.chain,
          toAddress: input.toAddress,
          asset: input.asset,
          maxAmount: requirement.maxAmount,
          pendingTransferIds: requirement.pendingTransferIds,
        },
      );
    }
  }
  return {
    sha256: authorised.sha256,
    acts: authorised.acts,
    whitelistEntry: whitelistEntry.entryId,
    disposal: authorised,
  };
}

/** An OWNER_RETURN: two supervisors' HOLD_RESOLUTION naming this address; no whitelist, no test deposit (owner-returns.ts). */
async function ownerReturnCleared(deps: TransferDeps, input: RequestTransfer): Promise<Clearance> {
  const owner = checkOwnerReturn(deps.actVerifyKeys, input);
  await requireAccount(deps.pool, input.caseId, input.asset);
  return { sha256: owner.sha256, acts: owner.acts, owner };
}

/** The transfer, with its confirmations refreshed from the chain. */
export async function refreshTransfer(deps: TransferDeps, transferId: string): Promise<Transfer> {
  const { rows } = await deps.pool.query<TransferRow>('SELECT * FROM transfers WHERE transfer_id = $1', [transferId]);
  const row = rows[0];
  if (!row) throw problems.notFound('Transfer', transferId);
  if (row.status === 'PENDING_BROADCAST') {
    throw problems.notYet(
      'Transfer broadcast outcome not known yet',
      `transfer ${transferId} was written but its broadcast is not confirmed; retrying its POST (same Idempotency-Key) settles it`,
    );
  }
  if (row.status === 'FAILED' || !row.tx_hash) return transferView(row);
  const tx = await deps.chain.getTransaction(row.chain, row.tx_hash).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (!tx) {
    throw new Problem(
      502,
      'transaction-missing-on-chain',
      'Transfer transaction missing on chain',
      `${row.chain} does not know transaction ${row.tx_hash} of transfer ${transferId}`,
    );
  }
  const confirmed = tx.status === 'CONFIRMED' && tx.confirmations >= depthFor(deps.minConfirmations, row.chain);
  const { rows: updated } = await deps.pool.query<TransferRow>(
    `UPDATE transfers SET confirmations = $2, status = CASE WHEN status = 'CONFIRMED' OR $3 THEN 'CONFIRMED' ELSE status END
     WHERE transfer_id = $1 RETURNING *`,
    [transferId, tx.confirmations, confirmed],
  );
  return transferView(updated[0]!);
}

/**
 * Whether a bulk transfer of `asset` to this address must wait for a test deposit: yes until a transfer
 * of that asset to it is CONFIRMED (by anyone, for any case: it is the address that is proven). Transfers
 * to it still BROADCAST are refreshed from the chain first, so a confirmed test deposit counts even when
 * nobody asked for its status since.
 */
export async function testDepositRequirement(
  deps: TransferDeps,
  chain: Transfer['chain'],
  address: string,
  asset: Transfer['asset'],
): Promise<TestDepositRequirement> {
  const base = { chain, address, asset, maxAmount: toWire(testDepositMaxFor(deps, asset)) };
  const { rows } = await deps.pool.query<{ transfer_id: string; status: TransferRow['status'] }>(
    `SELECT transfer_id, status FROM transfers
     WHERE chain = $1 AND to_address = $2 AND asset = $3 AND status IN ('BROADCAST', 'CONFIRMED')
     ORDER BY created_at, transfer_id`,
    [chain, address, asset],
  );
  const confirmed = rows.find((r) => r.status === 'CONFIRMED');
  if (confirmed) return { ...base, required: false, provenBy: confirmed.transfer_id, pendingTransferIds: [] };
  const pending: string[] = [];
  for (const row of rows) {
    const now = await refreshTransfer(deps, row.transfer_id);
    if (now.status === 'CONFIRMED') {
      return { ...base, required: false, provenBy: now.transferId, pendingTransferIds: [] };
    }
    pending.push(now.transferId);
  }
  return { ...base, required: true, pendingTransferIds: pending };
}

function testDepositMaxFor(deps: TransferDeps, asset: Transfer['asset']): Decimal {
  const configured = deps.testDepositMax?.[asset] ?? DEFAULT_TEST_DEPOSIT_MAX[asset];
  // Every crypto asset has a default; an unknown one would allow no test deposit at all.
  return new Decimal(configured ?? '0');
}

/** Pick up a transfer an earlier attempt of the same request created. */
async function resume(deps: TransferDeps, row: TransferRow): Promise<Transfer> {
  switch (row.status) {
    case 'PENDING_BROADCAST':
      return broadcast(deps, row);
    case 'FAILED':
      throw refusedByChain(row, row.failure ?? 'refused');
    default:
      return transferView(row);
  }
}

async function broadcast(deps: TransferDeps, row: TransferRow): Promise<Transfer> {
  let tx: ChainTransaction;
  try {
    tx = await deps.chain.send(row.chain, {
      from: row.from_address,
      to: row.to_address,
      asset: row.asset,
      amount: toWire(new Decimal(row.net_amount)),
      clientRef: row.client_ref,
      caseId: row.case_id,
      maxFee: toWire(new Decimal(row.fee)),
    });
  } catch (error) {
    if (error instanceof ChainRefusal) {
      const failure = `${error.reason}: ${error.message}`;
      await deps.pool.query(
        `UPDATE transfers SET status = 'FAILED', failure = $2 WHERE transfer_id = $1 AND status = 'PENDING_BROADCAST'`,
        [row.transfer_id, failure],
      );
      throw refusedByChain(row, failure);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new Problem(
      503,
      'broadcast-outcome-unknown',
      'Transfer broadcast outcome unknown',
      `transfer ${row.transfer_id} may or may not have reached ${row.chain} (${reason}); retry with the same Idempotency-Key: it is sent at most once`,
      { transferId: row.transfer_id },
    );
  }
  if (
    !sameAddress(row.chain, tx.from, row.from_address) ||
    !sameAddress(row.chain, tx.to, row.to_address) ||
    tx.asset !== row.asset ||
    !new Decimal(tx.amount).eq(row.net_amount)
  ) {
    throw new Problem(
      502,
      'chain-answer-mismatch',
      'The chain answered with another transaction',
      `broadcast of transfer ${row.transfer_id} returned ${tx.txHash}, which does not match it`,
    );
  }

  return inTransaction(deps.pool, async (db) => {
    const { rows } = await db.query<TransferRow>(
      `UPDATE transfers SET tx_hash = $2, status = 'BROADCAST', confirmations = $3, broadcast_at = now()
       WHERE transfer_id = $1 AND status = 'PENDING_BROADCAST' RETURNING *`,
      [row.transfer_id, tx.txHash, tx.confirmations],
    );
    const stored = rows[0];
    if (!stored) {
      // Another attempt stored the outcome first; it booked the ledger too.
      const { rows: current } = await db.query<TransferRow>('SELECT * FROM transfers WHERE transfer_id = $1', [
        row.transfer_id,
      ]);
      return transferView(current[0]!);
    }
    const entry = { caseId: row.case_id, asset: row.asset, reference: row.transfer_id };
    const ownerReturn = row.purpose === 'OWNER_RETURN';
    // What the chain actually moved: the net amount, and the fee it charged (paid by the custody address).
    await bookEntry(db, {
      ...entry,
      kind: ownerReturn ? 'OWNER_RETURN' : 'TRANSFER_OUT',
      amount: new Decimal(tx.amount).neg(),
    });
    if (new Decimal(tx.fee).gt(0)) {
      await bookEntry(db, { ...entry, kind: 'NETWORK_FEE', amount: new Decimal(tx.fee).neg() });
    }
    const sent = {
      transferId: row.transfer_id,
      caseId: row.case_id,
      asset: row.asset,
      chain: row.chain,
      toAddress: row.to_address,
      sent: toWire(new Decimal(tx.amount)),
      fee: toWire(new Decimal(tx.fee)),
      txHash: tx.txHash,
    };
    // Last on this transaction: the audit chain's lock is held until it commits.
    await appendAuditRecord(
      db,
      ownerReturn
        ? // The migration makes the order, the owner and the resolution's hash present on every OWNER_RETURN.
          ownerReturnSent({
            ...sent,
            courtOrder: row.court_order!,
            owner: row.owner_name!,
            resolutionSha256: row.authorisation_sha256!,
          })
        : transferSent({
            ...sent,
            purpose: row.purpose,
            ...(row.authorisation_sha256 ? { authorisationSha256: row.authorisation_sha256 } : {}),
          }),
    );
    return transferView(stored);
  });
}

async function findByRequestKey(db: Queryable, requestKey: string): Promise<TransferRow | undefined> {
  const { rows } = await db.query<TransferRow>('SELECT * FROM transfers WHERE request_key = $1', [requestKey]);
  return rows[0];
}

/**
 * Everything that has left the case's wallet of this asset, or is leaving it, counted against a DISPOSAL_PLAN's
 * maximum, less what came back into it (a stopped case's compensation): a held case resumed under its approved
 * plan may send those coins again, never more than the plan lets be out of the wallet at once.
 */
async function alreadyOut(db: Queryable, caseId: string, asset: string): Promise<Decimal> {
  const { rows } = await db.query<{ total: string }>(
    `SELECT (COALESCE((SELECT sum(amount) FROM transfers
                       WHERE case_id = $1 AND asset = $2 AND status <> 'FAILED'), 0)
           - COALESCE((SELECT sum(amount) FROM venue_returns WHERE case_id = $1 AND asset = $2), 0))::text AS total`,
    [caseId, asset],
  );
  return new Decimal(rows[0]?.total ?? '0');
}

/** What transfers written but not yet broadcast hold back from the account. */
async function reservedBy(db: Queryable, caseId: string, asset: string): Promise<Decimal> {
  const { rows } = await db.query<{ reserved: string }>(
    `SELECT COALESCE(sum(amount), 0)::text AS reserved FROM transfers
     WHERE case_id = $1 AND asset = $2 AND status = 'PENDING_BROADCAST'`,
    [caseId, asset],
  );
  return new Decimal(rows[0]?.reserved ?? '0');
}

function refusedByChain(row: TransferRow, failure: string): Problem {
  return problems.refused(
    'transfer-refused-by-chain',
    'Transfer refused by the chain',
    `${row.chain} refused transfer ${row.transfer_id}: ${failure}; nothing left custody`,
    { transferId: row.transfer_id },
  );
}

function transferView(row: TransferRow): Transfer {
  // A transfer whose broadcast outcome is unknown has no answer yet (callers check before).
  if (row.status === 'PENDING_BROADCAST') throw new Error(`transfer ${row.transfer_id} is not broadcast yet`);
  return {
    transferId: row.transfer_id,
    caseId: row.case_id,
    asset: row.asset,
    chain: row.chain,
    toAddress: row.to_address,
    amount: toWire(new Decimal(row.amount)),
    fee: toWire(new Decimal(row.fee)),
    netAmount: toWire(new Decimal(row.net_amount)),
    // Empty only for a FAILED transfer: nothing was broadcast.
    txHash: row.tx_hash ?? '',
    confirmations: row.confirmations,
    status: row.status,
    purpose: row.purpose,
    ...(row.authorisation_sha256 ? { authorisationSha256: row.authorisation_sha256 } : {}),
    createdAt: row.created_at.toISOString(),
  };
}
