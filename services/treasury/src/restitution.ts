/**
 * Court-ordered restitution: the order (its reference, the document's hash, how the money is shared,
 * and each victim's loss and prior recovery) is registered as the court wrote it; a distribution then
 * shares an amount of the case's CNY by `allocateRestitution`, pays each victim with a receipt, and keeps
 * the allocation with its rounding steps. What the victims do not take stays on the case for the treasury.
 * An order is distributed once (409 `restitution-already-distributed`).
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, type Logger, Problem, problems, type Queryable, scaleRefusal } from '@vcdc/shared';
import type { treasury } from '@vcdc/shared/contracts';
import { appendLine, lockAccount } from './case-ledger';
import { assertMayPayOut } from './escrow';
import { issuePayment } from './payouts';
import { allocateRestitution } from './restitution-allocation';

/** Indexes of the values that repeat an earlier one. */
function repeatedAt<T>(values: T[]): number[] {
  return values.flatMap((v, i) => (values.indexOf(v) !== i ? [i] : []));
}

export async function registerRestitutionOrder(
  tx: Queryable,
  input: Omit<treasury.RegisterRestitutionOrder, 'workflowId'> & { registeredBy: string },
  now: Date,
): Promise<treasury.RestitutionOrder> {
  const errors = [
    ...repeatedAt(input.victims.map((v) => v.victimId)).map((i) => ({
      field: `victims[${i}].victimId`,
      message: `victim ${input.victims[i]!.victimId} is listed twice`,
    })),
    ...repeatedAt(input.victims.map((v) => v.claimOrder)).map((i) => ({
      field: `victims[${i}].claimOrder`,
      message: `claim order ${input.victims[i]!.claimOrder} is given to two victims`,
    })),
    ...input.victims.flatMap((v, i) =>
      [
        ['loss', v.loss],
        ['recovered', v.recovered],
      ].flatMap(([field, amount]) => {
        const message = scaleRefusal(amount as string, 'CNY');
        return message ? [{ field: `victims[${i}].${field}`, message }] : [];
      }),
    ),
  ];
  if (errors.length) {
    throw new Problem(
      400,
      'validation',
      'Invalid restitution order',
      errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      {
        errors,
      },
    );
  }
  const existing = await tx.query<{ restitution_order_id: string }>(
    'SELECT restitution_order_id FROM restitution_orders WHERE case_id = $1 AND court_order_ref = $2',
    [input.caseId, input.courtOrderRef],
  );
  if (existing.rows[0]) {
    throw problems.conflict(
      'restitution-order-exists',
      'Restitution order already registered',
      `court order ${input.courtOrderRef} is already registered for case ${input.caseId}`,
      { caseId: input.caseId, restitutionOrderId: existing.rows[0].restitution_order_id },
    );
  }
  const restitutionOrderId = randomUUID();
  try {
    await tx.query(
      `INSERT INTO restitution_orders (restitution_order_id, case_id, court_order_ref, document_hash, method,
         registered_by, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        restitutionOrderId,
        input.caseId,
        input.courtOrderRef,
        input.documentHash,
        input.method,
        input.registeredBy,
        now,
      ],
    );
  } catch (error) {
    // The same court order registered at the same moment under another key, committed first.
    if ((error as { code?: string }).code !== '23505') throw error;
    throw problems.conflict(
      'restitution-order-exists',
      'Restitution order already registered',
      `court order ${input.courtOrderRef} is already registered for case ${input.caseId}`,
      { caseId: input.caseId },
    );
  }
  for (const v of input.victims) {
    await tx.query(
      `INSERT INTO restitution_victims (restitution_order_id, victim_id, name, claim_order, loss, recovered, payee_account)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [restitutionOrderId, v.victimId, v.name, v.claimOrder, v.loss, v.recovered, v.payeeAccount],
    );
  }
  return {
    ...input,
    victims: input.victims.map((v) => ({
      ...v,
      loss: formatAmount(v.loss, 'CNY'),
      recovered: formatAmount(v.recovered, 'CNY'),
    })),
    restitutionOrderId,
    registeredAt: now.toISOString(),
  };
}

interface OrderRow {
  restitution_order_id: string;
  case_id: string;
  court_order_ref: string;
  method: treasury.AllocationMethod;
}
interface VictimRow {
  victim_id: string;
  name: string;
  claim_order: number;
  loss: string;
  recovered: string;
}

async function orderOf(db: Queryable, restitutionOrderId: string): Promise<OrderRow> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM restitution_orders WHERE restitution_order_id = $1', [
    restitutionOrderId,
  ]);
  if (!rows[0]) throw problems.notFound('restitution order', restitutionOrderId);
  return rows[0];
}

async function victimsOf(db: Queryable, restitutionOrderId: string): Promise<VictimRow[]> {
  const { rows } = await db.query<VictimRow>(
    'SELECT victim_id, name, claim_order, loss, recovered FROM restitution_victims WHERE restitution_order_id = $1 ORDER BY claim_order',
    [restitutionOrderId],
  );
  return rows;
}

export async function distributeRestitution(
  tx: Queryable,
  input: Omit<treasury.DistributeRestitution, 'decision'> & { approvedBy: string },
  deps: { now: Date; logger: Logger },
): Promise<treasury.RestitutionDistribution> {
  const order = await orderOf(tx, input.restitutionOrderId);
  if (order.case_id !== input.caseId) {
    throw problems.refused(
      'restitution-order-of-another-case',
      'Restitution order belongs to another case',
      `restitution order ${input.restitutionOrderId} is for case ${order.case_id}, not ${input.caseId}`,
      { caseId: input.caseId, orderCaseId: order.case_id },
    );
  }
  let account = await lockAccount(tx, input.caseId);
  const done = await tx.query<{ distribution_id: string }>(
    'SELECT distribution_id FROM restitution_distributions WHERE restitution_order_id = $1',
    [input.restitutionOrderId],
  );
  if (done.rows[0]) {
    throw problems.conflict(
      'restitution-already-distributed',
      'Restitution order already distributed',
      `restitution order ${input.restitutionOrderId} was distributed (${done.rows[0].distribution_id})`,
      { restitutionOrderId: input.restitutionOrderId, distributionId: done.rows[0].distribution_id },
    );
  }

  const amount = new Decimal(input.amount);
  const balance = account?.balance ?? new Decimal(0);
  if (account) await assertMayPayOut(tx, input.caseId, 'RESTITUTION');
  if (!account || amount.gt(balance)) {
    throw problems.refused(
      'insufficient-case-balance',
      'Distribution exceeds the case balance',
      `case ${input.caseId} holds ${formatAmount(balance, 'CNY')} CNY; ${formatAmount(amount, 'CNY')} was to be distributed`,
      { caseId: input.caseId, balance: formatAmount(balance, 'CNY'), requested: formatAmount(amount, 'CNY') },
    );
  }
  const victims = await victimsOf(tx, input.restitutionOrderId);
  const allocation = allocateRestitution(
    formatAmount(amount, 'CNY'),
    order.method,
    victims.map((v) => ({ victimId: v.victim_id, claimOrder: v.claim_order, loss: v.loss, recovered: v.recovered })),
  );
  // The rounding is part of the record (kept in the row) and of the log, so anyone can redo it by hand.
  deps.logger.info(
    { caseId: input.caseId, restitutionOrderId: input.restitutionOrderId, allocation },
    'restitution allocated',
  );
  const distributionId = randomUUID();
  await tx.query(
    `INSERT INTO restitution_distributions (distribution_id, restitution_order_id, case_id, available, allocation,
       approved_by, distributed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      distributionId,
      input.restitutionOrderId,
      input.caseId,
      allocation.available,
      allocation,
      input.approvedBy,
      deps.now,
    ],
  );
  const payments: treasury.RestitutionPayment[] = [];
  for (const share of allocation.victims) {
    if (new Decimal(share.amount).isZero()) continue;
    const paymentId = randomUUID();
    const { paymentNo, receiptNo } = await issuePayment(tx, deps.now);
    await tx.query(
      `INSERT INTO restitution_payments (payment_id, distribution_id, restitution_order_id, case_id, victim_id, amount,
         payment_no, receipt_no, paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        paymentId,
        distributionId,
        input.restitutionOrderId,
        input.caseId,
        share.victimId,
        share.amount,
        paymentNo,
        receiptNo,
        deps.now,
      ],
    );
    account = await appendLine(tx, account, {
      kind: 'RESTITUTION',
      restitutionPaymentId: paymentId,
      reference: paymentNo,
      amount: new Decimal(share.amount).negated(),
      at: deps.now,
    });
    payments.push({
      paymentId,
      victimId: share.victimId,
      amount: share.amount,
      paymentNo,
      receiptNo,
      paidAt: deps.now.toISOString(),
    });
  }
  return {
    distributionId,
    restitutionOrderId: input.restitutionOrderId,
    caseId: input.caseId,
    method: order.method,
    available: allocation.available,
    allocations: allocation.victims,
    rounding: allocation.rounding,
    payments,
    totalToVictims: allocation.totalToVictims,
    toTreasury: allocation.toTreasury,
    approvedBy: input.approvedBy,
    distributedAt: deps.now.toISOString(),
  };
}

/** One victim's itemised statement: what the court found, what they had, what was paid (with receipts). */
export async function victimStatement(
  db: Queryable,
  restitutionOrderId: string,
  victimId: string,
): Promise<treasury.VictimStatement> {
  const order = await orderOf(db, restitutionOrderId);
  const victim = (await victimsOf(db, restitutionOrderId)).find((v) => v.victim_id === victimId);
  if (!victim) throw problems.notFound('victim', `${victimId} in restitution order ${restitutionOrderId}`);
  const { rows } = await db.query<{
    payment_id: string;
    amount: string;
    payment_no: string;
    receipt_no: string;
    paid_at: Date;
  }>(
    `SELECT payment_id, amount, payment_no, receipt_no, paid_at FROM restitution_payments
      WHERE restitution_order_id = $1 AND victim_id = $2 ORDER BY paid_at, payment_no`,
    [restitutionOrderId, victimId],
  );
  const netLoss = Decimal.max(new Decimal(victim.loss).minus(victim.recovered), 0);
  const paid = rows.reduce((s, r) => s.plus(r.amount), new Decimal(0));
  return {
    restitutionOrderId,
    courtOrderRef: order.court_order_ref,
    caseId: order.case_id,
    victimId,
    name: victim.name,
    claimOrder: victim.claim_order,
    loss: formatAmount(victim.loss, 'CNY'),
    recovered: formatAmount(victim.recovered, 'CNY'),
    netLoss: formatAmount(netLoss, 'CNY'),
    payments: rows.map((r) => ({
      paymentId: r.payment_id,
      victimId,
      amount: formatAmount(r.amount, 'CNY'),
      paymentNo: r.payment_no,
      receiptNo: r.receipt_no,
      paidAt: r.paid_at.toISOString(),
    })),
    totalPaid: formatAmount(paid, 'CNY'),
    outstanding: formatAmount(netLoss.minus(paid), 'CNY'),
  };
}
