/**
 * Balance-of-payments declarations: filing, the status transitions (each an appended row), reading.
 * A declaration's status is its latest transition; a change locks the declaration row first, so two
 * requests racing on one declaration are decided one after the other.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@vcdc/shared';
import { Decimal, formatAmount, problems, toWire, workflowActor } from '@vcdc/shared';
import type { fx } from '@vcdc/shared/contracts';
import { assertTransition, type DeclarationStatus } from './declaration-status';
import { correctionsOfSettlements } from './settlement-corrections';

type FxCurrency = 'USD' | 'HKD';

interface DeclarationRow {
  declaration_id: string;
  declaration_no: string;
  case_id: string;
  currency: FxCurrency;
  amount: string;
  transaction_code: string;
  purpose: string;
  remitter: fx.Declaration['remitter'];
  beneficiary: fx.Declaration['beneficiary'];
  documents: fx.Declaration['documents'];
  venue_withdrawal: fx.Declaration['venueWithdrawal'] | null;
  created_at: Date;
}

interface TransitionRow {
  seq: number;
  from_status: DeclarationStatus | null;
  to_status: DeclarationStatus;
  actor: string;
  at: Date;
  note: string | null;
}

interface SettlementRow {
  settlement_id: string;
  declaration_id: string;
  case_id: string;
  currency: FxCurrency;
  foreign_amount: string;
  rate: string;
  rate_source: string;
  rate_as_of: Date;
  cny_amount: string;
  rounding_remainder: string;
  bank_reference: string;
  settled_at: Date;
  bank_charges: string;
  correspondent_fees: string;
  central_parity: string;
  recorded_by: string | null;
}

/** The declaration as locked for a change: its row and its current status. */
export interface LockedDeclaration {
  declarationId: string;
  caseId: string;
  currency: FxCurrency;
  amount: string;
  status: DeclarationStatus;
  seq: number;
}

/** `BOP-<yyyymmdd>-<nnnnnn>`: per UTC day, from 000001, unique and without gaps (the counter commits with the declaration). */
async function nextDeclarationNo(tx: Queryable, now: Date): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const { rows } = await tx.query<{ last: number }>(
    `INSERT INTO declaration_number_counters (day, last) VALUES ($1, 1)
     ON CONFLICT (day) DO UPDATE SET last = declaration_number_counters.last + 1
     RETURNING last`,
    [day],
  );
  return `BOP-${day.replaceAll('-', '')}-${String(rows[0]!.last).padStart(6, '0')}`;
}

export async function createDeclaration(tx: Queryable, input: fx.CreateDeclaration, now: Date): Promise<string> {
  const declarationId = randomUUID();
  const declarationNo = await nextDeclarationNo(tx, now);
  await tx.query(
    `INSERT INTO declarations (declaration_id, declaration_no, case_id, currency, amount, transaction_code, purpose,
       remitter, beneficiary, documents, prepared_by, created_at, venue_withdrawal)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      declarationId,
      declarationNo,
      input.caseId,
      input.currency,
      input.amount,
      input.transactionCode,
      input.purpose,
      JSON.stringify(input.remitter),
      JSON.stringify(input.beneficiary),
      JSON.stringify(input.documents),
      workflowActor(input.workflowId),
      now,
      input.venueWithdrawal ? JSON.stringify(input.venueWithdrawal) : null,
    ],
  );
  await tx.query(
    `INSERT INTO declaration_transitions (declaration_id, seq, from_status, to_status, actor, at, note)
     VALUES ($1, 1, NULL, 'DRAFT', $2, $3, 'prepared')`,
    [declarationId, workflowActor(input.workflowId), now],
  );
  return declarationId;
}

/** Lock the declaration for a change and read its current status; 404 when there is none. */
export async function lockDeclaration(tx: Queryable, declarationId: string): Promise<LockedDeclaration> {
  const { rows } = await tx.query<{ case_id: string; currency: FxCurrency; amount: string }>(
    'SELECT case_id, currency, amount FROM declarations WHERE declaration_id = $1 FOR UPDATE',
    [declarationId],
  );
  const row = rows[0];
  if (!row) throw problems.notFound('Declaration', declarationId);
  const latest = await tx.query<{ seq: number; to_status: DeclarationStatus }>(
    'SELECT seq, to_status FROM declaration_transitions WHERE declaration_id = $1 ORDER BY seq DESC LIMIT 1',
    [declarationId],
  );
  const last = latest.rows[0]!;
  return {
    declarationId,
    caseId: row.case_id,
    currency: row.currency,
    amount: row.amount,
    status: last.to_status,
    seq: last.seq,
  };
}

export interface TransitionRequest {
  to: DeclarationStatus;
  actor: string;
  at: Date;
  note?: string | null;
  regulatorReference?: string | null;
}

/** Append the transition to `locked` (which must come from `lockDeclaration` on the same transaction). */
export async function appendTransition(tx: Queryable, locked: LockedDeclaration, change: TransitionRequest) {
  assertTransition(locked.declarationId, locked.status, change.to);
  await tx.query(
    `INSERT INTO declaration_transitions (declaration_id, seq, from_status, to_status, actor, at, note, regulator_reference)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      locked.declarationId,
      locked.seq + 1,
      locked.status,
      change.to,
      change.actor,
      change.at,
      change.note ?? null,
      change.regulatorReference ?? null,
    ],
  );
}

export async function transitionDeclaration(
  tx: Queryable,
  declarationId: string,
  change: TransitionRequest,
): Promise<void> {
  const locked = await lockDeclaration(tx, declarationId);
  await appendTransition(tx, locked, change);
}

export function settlementFromRow(row: SettlementRow): fx.Settlement {
  const net = new Decimal(row.foreign_amount).minus(row.bank_charges).minus(row.correspondent_fees);
  return {
    settlementId: row.settlement_id,
    declarationId: row.declaration_id,
    caseId: row.case_id,
    currency: row.currency,
    foreignAmount: formatAmount(row.foreign_amount, row.currency),
    rate: row.rate,
    rateSource: row.rate_source,
    rateAsOf: row.rate_as_of.toISOString(),
    cnyAmount: formatAmount(row.cny_amount, 'CNY'),
    roundingRemainder: toWire(new Decimal(row.rounding_remainder)),
    bankReference: row.bank_reference,
    settledAt: row.settled_at.toISOString(),
    bankCharges: formatAmount(row.bank_charges, row.currency),
    correspondentFees: formatAmount(row.correspondent_fees, row.currency),
    netForeignAmount: formatAmount(net, row.currency),
    centralParity: toWire(new Decimal(row.central_parity)),
    // Exact (not rounded): the spread line and the rounding line must add up to the parity value.
    fxSpread: toWire(net.times(new Decimal(row.central_parity).minus(row.rate))),
    ...(row.recorded_by ? { recordedBy: row.recorded_by } : {}),
  };
}

const SETTLEMENT_COLUMNS = `settlement_id, declaration_id, case_id, currency, foreign_amount, rate, rate_source, rate_as_of,
  cny_amount, rounding_remainder, bank_reference, settled_at, bank_charges, correspondent_fees, central_parity, recorded_by`;

export async function loadSettlement(db: Queryable, settlementId: string): Promise<fx.Settlement> {
  const { rows } = await db.query<SettlementRow>(
    `SELECT ${SETTLEMENT_COLUMNS} FROM settlements WHERE settlement_id = $1`,
    [settlementId],
  );
  if (!rows[0]) throw problems.notFound('Settlement', settlementId);
  return settlementFromRow(rows[0]);
}

async function assemble(db: Queryable, declarations: DeclarationRow[]): Promise<fx.Declaration[]> {
  if (declarations.length === 0) return [];
  const ids = declarations.map((d) => d.declaration_id);
  const transitions = await db.query<TransitionRow & { declaration_id: string }>(
    `SELECT declaration_id, seq, from_status, to_status, actor, at, note FROM declaration_transitions
     WHERE declaration_id = ANY($1) ORDER BY declaration_id, seq`,
    [ids],
  );
  const settlements = await db.query<SettlementRow & { tranche: number }>(
    `SELECT ${SETTLEMENT_COLUMNS}, tranche FROM settlements WHERE declaration_id = ANY($1) ORDER BY declaration_id, tranche`,
    [ids],
  );
  // Both versions of a corrected tranche: its figures as first recorded, and its corrections with the one in force.
  const corrected = await correctionsOfSettlements(
    db,
    settlements.rows.map((s) => s.settlement_id),
  );
  const withCorrections = (row: SettlementRow): fx.Settlement => {
    const c = corrected.get(row.settlement_id);
    return c ? { ...settlementFromRow(row), corrections: c.corrections, inForce: c.inForce } : settlementFromRow(row);
  };
  return declarations.map((d) => {
    const own = transitions.rows.filter((t) => t.declaration_id === d.declaration_id);
    const settled = settlements.rows.filter((s) => s.declaration_id === d.declaration_id);
    const settledAmount = settled.reduce((total, s) => total.plus(s.foreign_amount), new Decimal(0));
    return {
      declarationId: d.declaration_id,
      declarationNo: d.declaration_no,
      caseId: d.case_id,
      currency: d.currency,
      amount: formatAmount(d.amount, d.currency),
      settledAmount: formatAmount(settledAmount, d.currency),
      transactionCode: d.transaction_code,
      purpose: d.purpose,
      remitter: d.remitter,
      beneficiary: d.beneficiary,
      documents: d.documents,
      ...(d.venue_withdrawal ? { venueWithdrawal: d.venue_withdrawal } : {}),
      status: own[own.length - 1]!.to_status,
      transitions: own.map((t) => ({
        from: t.from_status,
        to: t.to_status,
        by: t.actor,
        at: t.at.toISOString(),
        note: t.note,
      })),
      settlements: settled.map(withCorrections),
      createdAt: d.created_at.toISOString(),
    };
  });
}

const DECLARATION_COLUMNS = `declaration_id, declaration_no, case_id, currency, amount, transaction_code, purpose,
  remitter, beneficiary, documents, venue_withdrawal, created_at`;

export async function loadDeclaration(db: Queryable, declarationId: string): Promise<fx.Declaration> {
  const { rows } = await db.query<DeclarationRow>(
    `SELECT ${DECLARATION_COLUMNS} FROM declarations WHERE declaration_id = $1`,
    [declarationId],
  );
  if (!rows[0]) throw problems.notFound('Declaration', declarationId);
  return (await assemble(db, rows))[0]!;
}

/** A case's declarations, oldest first; none is an empty list. */
export async function listCaseDeclarations(db: Queryable, caseId: string): Promise<fx.Declaration[]> {
  const { rows } = await db.query<DeclarationRow>(
    `SELECT ${DECLARATION_COLUMNS} FROM declarations WHERE case_id = $1 ORDER BY created_at, declaration_no`,
    [caseId],
  );
  return assemble(db, rows);
}
