/**
 * Settlement of an approved declaration into CNY, in one or more tranches. Each tranche takes the
 * bank's buying rate of the day from the rate source, converts toward zero to the fen and books the
 * cut-off part as its own figure. The tranche that brings the settled amount to the declared amount
 * moves the declaration to SETTLED in the same transaction. The bank may deduct its charges and the
 * correspondent banks' fees from a tranche: those come off in the foreign currency before conversion,
 * each kept as its own figure (the waterfall, waterfall.ts, shows them line by line).
 */
import { randomUUID } from 'node:crypto';
import { assertScales, Decimal, formatAmount, problems, type Queryable } from '@vcdc/shared';
import type { fx } from '@vcdc/shared/contracts';
import { convertToCny } from './conversion';
import { invalidTransition } from './declaration-status';
import { appendTransition, loadSettlement, lockDeclaration } from './declarations';
import type { RateSource } from './rate-source';

export async function settleDeclaration(
  tx: Queryable,
  declarationId: string,
  input: fx.SettleDeclaration,
  deps: {
    rateSource: RateSource;
    now: Date;
    /** The FX officer whose signed decision records the tranche, and that decision's act id. */
    recordedBy: string;
    decisionActId: string;
  },
): Promise<fx.Settlement> {
  const declaration = await lockDeclaration(tx, declarationId);
  if (declaration.status !== 'APPROVED') {
    throw invalidTransition(declarationId, declaration.status, 'SETTLED', 'be settled');
  }
  const { currency } = declaration;
  // The tranche is the signed decision's settlement: the fields are named where the request carries them.
  assertScales(
    (['amount', 'bankCharges', 'correspondentFees'] as const).flatMap((field) => {
      const value = input[field];
      return value === undefined ? [] : [{ field: `decision.settlement.${field}`, value, asset: currency }];
    }),
  );
  const bankCharges = new Decimal(input.bankCharges ?? 0);
  const correspondentFees = new Decimal(input.correspondentFees ?? 0);
  const net = new Decimal(input.amount).minus(bankCharges).minus(correspondentFees);
  if (net.lte(0)) {
    throw problems.refused(
      'charges-exceed-tranche',
      'Charges exceed the tranche',
      `bank charges ${bankCharges.toFixed()} and correspondent fees ${correspondentFees.toFixed()} leave nothing of ${input.amount} ${currency} to convert`,
      {
        errors: [
          {
            field: 'decision.settlement.bankCharges',
            message: 'charges and fees must be less than the tranche amount',
          },
        ],
      },
    );
  }

  const tranches = await tx.query<{ settled: string | null; tranches: number }>(
    'SELECT sum(foreign_amount)::text AS settled, count(*)::int AS tranches FROM settlements WHERE declaration_id = $1',
    [declarationId],
  );
  const settled = new Decimal(tranches.rows[0]!.settled ?? 0);
  const remaining = new Decimal(declaration.amount).minus(settled);
  const amount = new Decimal(input.amount);
  if (amount.gt(remaining)) {
    throw problems.refused(
      'over-settlement',
      'Settlement exceeds the declared amount',
      `declaration ${declarationId} has ${formatAmount(remaining, currency)} ${currency} left to settle; ${input.amount} was asked`,
      {
        declaredAmount: formatAmount(declaration.amount, currency),
        settledAmount: formatAmount(settled, currency),
        remainingAmount: formatAmount(remaining, currency),
      },
    );
  }
  const seen = await tx.query('SELECT 1 FROM settlements WHERE declaration_id = $1 AND bank_reference = $2', [
    declarationId,
    input.bankReference,
  ]);
  if (seen.rowCount) {
    throw problems.conflict(
      'settlement-already-recorded',
      'Settlement already recorded',
      `declaration ${declarationId} already has a settlement with bank reference ${input.bankReference}`,
      { declarationId, bankReference: input.bankReference },
    );
  }

  const rateDate = deps.now.toISOString().slice(0, 10);
  const rate = await deps.rateSource.bankBuyRate(currency, rateDate);
  const { cnyAmount, remainder } = convertToCny(net, rate.bankBuyRate);
  const settlementId = randomUUID();
  await tx.query(
    `INSERT INTO settlements (settlement_id, declaration_id, tranche, case_id, currency, foreign_amount, rate,
       central_parity, rate_date, rate_source, rate_as_of, cny_amount, rounding_remainder, bank_reference, settled_at,
       bank_charges, correspondent_fees, recorded_by, decision_act_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
    [
      settlementId,
      declarationId,
      tranches.rows[0]!.tranches + 1,
      declaration.caseId,
      currency,
      amount.toFixed(),
      rate.bankBuyRate,
      rate.centralParity,
      rate.date,
      rate.source,
      rate.publishedAt,
      cnyAmount.toFixed(2),
      remainder.toFixed(),
      input.bankReference,
      deps.now,
      bankCharges.toFixed(),
      correspondentFees.toFixed(),
      deps.recordedBy,
      deps.decisionActId,
    ],
  );
  if (amount.eq(remaining)) {
    const count = tranches.rows[0]!.tranches + 1;
    await appendTransition(tx, declaration, {
      to: 'SETTLED',
      actor: deps.recordedBy,
      at: deps.now,
      note: `settled ${formatAmount(declaration.amount, currency)} ${currency} in ${count} tranche${count === 1 ? '' : 's'}; last bank reference ${input.bankReference}`,
    });
  }
  return loadSettlement(tx, settlementId);
}
