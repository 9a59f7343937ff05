/**
 * Correcting a settlement tranche's rate or CNY amount without editing it (issue 13, part 2). The
 * tranche stays as the bank's settlement was first recorded; a correction books two entries against
 * it: a REVERSAL of the version then in force (negated) and a CORRECTION with the corrected figures.
 * The version in force is the tranche's last CORRECTION entry, or the tranche itself.
 *
 * Two people, two signed acts: an FX officer requests it (the author, `fx.settlement.correct`) and it
 * waits, PENDING_APPROVAL, for another person's approval (`fx.correction.approve`; the author approving
 * is refused 422 four-eyes). A request names the version it corrects: if another correction was booked
 * in between, the approval is refused 409 and nothing is booked, so no one approves figures they never saw.
 *
 * The corrected figures keep the conservation every tranche keeps: CNY + what rounding cut off =
 * net foreign amount × rate, the CNY toward zero to the fen.
 */
import { randomUUID } from 'node:crypto';
import { Decimal, formatAmount, Problem, problems, type Queryable, scaleRefusal, toWire } from '@vcdc/shared';
import type { fx } from '@vcdc/shared/contracts';
import { convertToCny } from './conversion';
import { lockDeclaration } from './declarations';

interface Figures {
  net: Decimal;
  rate: Decimal;
  cny: Decimal;
  remainder: Decimal;
}

interface RequestRow {
  correction_id: string;
  settlement_id: string;
  declaration_id: string;
  case_id: string;
  currency: string;
  corrected_rate: string | null;
  corrected_cny: string | null;
  corrects: string | null;
  reason: string;
  author: string;
  requested_at: Date;
  approver: string | null;
  corrected_at: Date | null;
}

interface EntryRow {
  correction_id: string;
  kind: 'REVERSAL' | 'CORRECTION';
  settlement_id: string;
  net_foreign_amount: string;
  rate: string;
  cny_amount: string;
  rounding_remainder: string;
}

const wire = (f: Figures, currency: string): fx.SettlementFigures => ({
  netForeignAmount: formatAmount(f.net, currency as 'USD'),
  rate: toWire(f.rate),
  cnyAmount: formatAmount(f.cny, 'CNY'),
  roundingRemainder: toWire(f.remainder),
});

/** The tranche as recorded, and the version in force (its last correction's figures), with that correction's id. */
async function versionInForce(db: Queryable, settlementId: string) {
  const { rows } = await db.query<{
    declaration_id: string;
    case_id: string;
    currency: string;
    net: string;
    rate: string;
    cny_amount: string;
    rounding_remainder: string;
  }>(
    `SELECT declaration_id, case_id, currency, (foreign_amount - bank_charges - correspondent_fees)::text AS net,
            rate::text, cny_amount::text, rounding_remainder::text
       FROM settlements WHERE settlement_id = $1`,
    [settlementId],
  );
  const s = rows[0];
  if (!s) throw problems.notFound('Settlement', settlementId);
  const last = await db.query<EntryRow>(
    `SELECT e.* FROM settlement_entries e JOIN settlement_corrections c USING (correction_id)
      WHERE e.settlement_id = $1 AND e.kind = 'CORRECTION' ORDER BY c.seq DESC LIMIT 1`,
    [settlementId],
  );
  const e = last.rows[0];
  const figures: Figures = e
    ? {
        net: new Decimal(e.net_foreign_amount),
        rate: new Decimal(e.rate),
        cny: new Decimal(e.cny_amount),
        remainder: new Decimal(e.rounding_remainder),
      }
    : {
        net: new Decimal(s.net),
        rate: new Decimal(s.rate),
        cny: new Decimal(s.cny_amount),
        remainder: new Decimal(s.rounding_remainder),
      };
  return {
    declarationId: s.declaration_id,
    caseId: s.case_id,
    currency: s.currency,
    figures,
    correctionId: e?.correction_id ?? null,
  };
}

function invalid(field: string, message: string): Problem {
  return new Problem(400, 'validation', 'Invalid request body', `${field}: ${message}`, {
    errors: [{ field, message }],
  });
}

/** The corrected figures the request asks for, from the version in force; a refusal names the field. */
function correctedFigures(current: Figures, input: fx.RequestSettlementCorrection): Figures {
  if (input.cnyAmount !== undefined && !/^\d+(\.\d+)?$/.test(input.cnyAmount)) {
    throw invalid('cnyAmount', 'must be a non-negative decimal amount');
  }
  const finer = input.cnyAmount === undefined ? undefined : scaleRefusal(input.cnyAmount, 'CNY');
  if (finer) throw invalid('cnyAmount', finer);
  // A rate is published with at most 6 decimal places; more is a typing slip, not a rate.
  if (input.rate !== undefined && (new Decimal(input.rate).decimalPlaces() > 6 || new Decimal(input.rate).lte(0))) {
    throw invalid('rate', 'must be a positive rate with at most 6 decimal places');
  }
  const rate = new Decimal(input.rate ?? current.rate);
  const exact = current.net.times(rate);
  let cny: Decimal;
  let remainder: Decimal;
  if (input.cnyAmount === undefined) {
    ({ cnyAmount: cny, remainder } = convertToCny(current.net, rate));
  } else {
    cny = new Decimal(input.cnyAmount);
    remainder = exact.minus(cny);
    if (remainder.lt(0) || remainder.gte('0.01')) {
      throw problems.refused(
        'correction-does-not-convert',
        'The corrected CNY does not follow from the rate',
        `${current.net.toFixed()} at ${rate.toFixed()} is ${exact.toFixed()} CNY; ${input.cnyAmount} is not that amount rounded toward zero to the fen (correct the rate too)`,
        {
          errors: [
            {
              field: 'cnyAmount',
              message: `must be ${convertToCny(current.net, rate).cnyAmount.toFixed(2)} at rate ${rate.toFixed()}`,
            },
          ],
        },
      );
    }
  }
  if (rate.eq(current.rate) && cny.eq(current.cny)) {
    throw problems.refused(
      'correction-changes-nothing',
      'The correction changes nothing',
      `the tranche in force is already ${cny.toFixed(2)} CNY at ${rate.toFixed()}`,
      { errors: [{ field: input.rate !== undefined ? 'rate' : 'cnyAmount', message: 'is the figure in force' }] },
    );
  }
  return { net: current.net, rate, cny, remainder };
}

async function requestRow(db: Queryable, correctionId: string): Promise<RequestRow> {
  const { rows } = await db.query<RequestRow>(
    `SELECT r.*, s.currency, c.approver, c.corrected_at
       FROM settlement_correction_requests r JOIN settlements s USING (settlement_id)
       LEFT JOIN settlement_corrections c USING (correction_id)
      WHERE r.correction_id = $1`,
    [correctionId],
  );
  if (!rows[0]) throw problems.notFound('Settlement correction', correctionId);
  return rows[0];
}

/**
 * A correction as the views show it: the version it corrects (`before`) and the corrected one (`after`).
 * Before approval, `before` is the version the request names, and `after` what it asks for.
 */
export async function loadSettlementCorrection(db: Queryable, correctionId: string): Promise<fx.SettlementCorrection> {
  const row = await requestRow(db, correctionId);
  const entries = await db.query<EntryRow>('SELECT * FROM settlement_entries WHERE correction_id = $1', [correctionId]);
  let before: Figures;
  let after: Figures;
  const reversal = entries.rows.find((e) => e.kind === 'REVERSAL');
  const correction = entries.rows.find((e) => e.kind === 'CORRECTION');
  if (reversal && correction) {
    const of = (e: EntryRow, sign: 1 | -1): Figures => ({
      net: new Decimal(e.net_foreign_amount).times(sign),
      rate: new Decimal(e.rate),
      cny: new Decimal(e.cny_amount).times(sign),
      remainder: new Decimal(e.rounding_remainder).times(sign),
    });
    before = of(reversal, -1);
    after = of(correction, 1);
  } else {
    before = await figuresOfVersion(db, row.settlement_id, row.corrects);
    after = correctedFigures(before, {
      reason: row.reason,
      ...(row.corrected_rate !== null ? { rate: row.corrected_rate } : {}),
      ...(row.corrected_cny !== null ? { cnyAmount: new Decimal(row.corrected_cny).toFixed(2) } : {}),
    });
  }
  return {
    correctionId: row.correction_id,
    settlementId: row.settlement_id,
    declarationId: row.declaration_id,
    caseId: row.case_id,
    currency: row.currency,
    reason: row.reason,
    author: row.author,
    status: row.approver ? 'APPLIED' : 'PENDING_APPROVAL',
    requestedAt: row.requested_at.toISOString(),
    corrects: row.corrects,
    before: wire(before, row.currency),
    after: wire(after, row.currency),
    cnyDifference: formatAmount(after.cny.minus(before.cny), 'CNY'),
    ...(row.approver ? { approver: row.approver, correctedAt: row.corrected_at!.toISOString() } : {}),
  };
}

/**
 * The corrections waiting for another person's approval (oldest first, at most `limit`), optionally of
 * one case: what an approver's inbox lists.
 */
export async function pendingSettlementCorrections(
  db: Queryable,
  filter: { caseId?: string; limit?: number } = {},
): Promise<fx.SettlementCorrection[]> {
  const { rows } = await db.query<{ correction_id: string }>(
    `SELECT r.correction_id FROM settlement_correction_requests r
      WHERE NOT EXISTS (SELECT 1 FROM settlement_corrections c WHERE c.correction_id = r.correction_id)
        AND ($1::text IS NULL OR r.case_id = $1)
      ORDER BY r.requested_at, r.correction_id LIMIT $2`,
    [filter.caseId ?? null, filter.limit ?? 200],
  );
  const out: fx.SettlementCorrection[] = [];
  for (const row of rows) out.push(await loadSettlementCorrection(db, row.correction_id));
  return out;
}

/** The figures of one version of a tranche: the original (null) or the one a correction booked. */
async function figuresOfVersion(db: Queryable, settlementId: string, correctionId: string | null): Promise<Figures> {
  if (correctionId) {
    const { rows } = await db.query<EntryRow>(
      "SELECT * FROM settlement_entries WHERE correction_id = $1 AND kind = 'CORRECTION'",
      [correctionId],
    );
    const e = rows[0]!;
    return {
      net: new Decimal(e.net_foreign_amount),
      rate: new Decimal(e.rate),
      cny: new Decimal(e.cny_amount),
      remainder: new Decimal(e.rounding_remainder),
    };
  }
  const { rows } = await db.query<{ net: string; rate: string; cny_amount: string; rounding_remainder: string }>(
    `SELECT (foreign_amount - bank_charges - correspondent_fees)::text AS net, rate::text, cny_amount::text,
            rounding_remainder::text FROM settlements WHERE settlement_id = $1`,
    [settlementId],
  );
  const s = rows[0]!;
  return {
    net: new Decimal(s.net),
    rate: new Decimal(s.rate),
    cny: new Decimal(s.cny_amount),
    remainder: new Decimal(s.rounding_remainder),
  };
}

/** An FX officer's request: checked now against the version in force, booked on another person's approval. */
export async function requestSettlementCorrection(
  tx: Queryable,
  settlementId: string,
  input: fx.RequestSettlementCorrection,
  by: { author: string; actId: string; now: Date },
): Promise<fx.SettlementCorrection> {
  const found = await versionInForce(tx, settlementId);
  await lockDeclaration(tx, found.declarationId);
  const current = await versionInForce(tx, settlementId);
  const after = correctedFigures(current.figures, input);
  const correctionId = randomUUID();
  await tx.query(
    `INSERT INTO settlement_correction_requests (correction_id, settlement_id, declaration_id, case_id, corrected_rate,
       corrected_cny, corrects, reason, author, author_act_id, requested_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      correctionId,
      settlementId,
      current.declarationId,
      current.caseId,
      input.rate ?? null,
      input.cnyAmount !== undefined ? after.cny.toFixed(2) : null,
      current.correctionId,
      input.reason,
      by.author,
      by.actId,
      by.now,
    ],
  );
  return loadSettlementCorrection(tx, correctionId);
}

/** Another person's approval: the REVERSAL of the version in force and the CORRECTION, booked together. */
export async function approveSettlementCorrection(
  tx: Queryable,
  correctionId: string,
  by: { approver: string; actId: string; now: Date },
): Promise<fx.SettlementCorrection> {
  const found = await requestRow(tx, correctionId);
  // The declaration's row is the lock (the request rows are append-only): approvals are decided in turn.
  await lockDeclaration(tx, found.declaration_id);
  const request = await requestRow(tx, correctionId);
  if (request.approver) {
    throw problems.conflict(
      'correction-already-applied',
      'Correction already applied',
      `settlement correction ${correctionId} was approved and booked already`,
      { correctionId },
    );
  }
  if (request.author === by.approver) {
    throw problems.refused(
      'four-eyes',
      'Author cannot approve their own correction',
      `${request.author} wrote settlement correction ${correctionId}; another person must approve it`,
      { correctionId, errors: [{ field: 'approver', message: 'must be someone other than the author' }] },
    );
  }
  const current = await versionInForce(tx, request.settlement_id);
  if (current.correctionId !== request.corrects) {
    throw problems.conflict(
      'settlement-corrected-since',
      'The tranche was corrected since the request',
      `settlement ${request.settlement_id} is now as correction ${current.correctionId} booked it, not the version correction ${correctionId} corrects; request it again`,
      { correctionId, inForce: current.correctionId },
    );
  }
  const after = correctedFigures(current.figures, {
    reason: request.reason,
    ...(request.corrected_rate !== null ? { rate: request.corrected_rate } : {}),
    ...(request.corrected_cny !== null ? { cnyAmount: new Decimal(request.corrected_cny).toFixed(2) } : {}),
  });
  const { rows } = await tx.query<{ seq: number }>(
    'SELECT count(*)::int + 1 AS seq FROM settlement_corrections WHERE settlement_id = $1',
    [request.settlement_id],
  );
  await tx.query(
    `INSERT INTO settlement_corrections (correction_id, settlement_id, case_id, seq, reason, author, approver,
       approver_act_id, corrected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      correctionId,
      request.settlement_id,
      request.case_id,
      rows[0]!.seq,
      request.reason,
      request.author,
      by.approver,
      by.actId,
      by.now,
    ],
  );
  const entry = (kind: 'REVERSAL' | 'CORRECTION', f: Figures, sign: 1 | -1) =>
    tx.query(
      `INSERT INTO settlement_entries (correction_id, kind, settlement_id, case_id, currency, net_foreign_amount, rate,
         cny_amount, rounding_remainder, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        correctionId,
        kind,
        request.settlement_id,
        request.case_id,
        request.currency,
        f.net.times(sign).toFixed(),
        f.rate.toFixed(),
        f.cny.times(sign).toFixed(2),
        f.remainder.times(sign).toFixed(),
        by.now,
      ],
    );
  await entry('REVERSAL', current.figures, -1);
  await entry('CORRECTION', after, 1);
  return loadSettlementCorrection(tx, correctionId);
}

/** Each tranche's booked corrections (oldest first) and the version in force, for the declaration views. */
export async function correctionsOfSettlements(
  db: Queryable,
  settlementIds: readonly string[],
): Promise<Map<string, { corrections: fx.SettlementCorrection[]; inForce: fx.SettlementFigures }>> {
  const out = new Map<string, { corrections: fx.SettlementCorrection[]; inForce: fx.SettlementFigures }>();
  if (settlementIds.length === 0) return out;
  const { rows } = await db.query<{ correction_id: string; settlement_id: string }>(
    'SELECT correction_id, settlement_id FROM settlement_corrections WHERE settlement_id = ANY($1) ORDER BY settlement_id, seq',
    [settlementIds],
  );
  for (const row of rows) {
    const correction = await loadSettlementCorrection(db, row.correction_id);
    const seen = out.get(row.settlement_id);
    if (seen) {
      seen.corrections.push(correction);
      seen.inForce = correction.after;
    } else {
      out.set(row.settlement_id, { corrections: [correction], inForce: correction.after });
    }
  }
  return out;
}
