/**
 * The case file's data files: one JSON file per record an audit or a court asks for, named by what it
 * holds (the archive layout below). Every file is the record as its keeper answered it (the case's
 * status, a service's statement), so an auditor can compare it with the source; a few are extracts
 * of another (fills out of the venue's orders, decisions out of the status) to be found by name.
 *
 *   case/registration.json          the registration: legal basis, lots, disposal plan, restitution order
 *   case/status.json                the case's status as the workflow answers it
 *   case/decisions.json             every decision accepted and every refusal, with its signed act
 *   custody/evidence.json           each intake with its custody evidence and handover hashes, the accounts
 *   custody/transfers.json          transfers (test deposit, to the venue, returns, hand-back) and txids
 *   custody/ledger.json             custody's ledger of the case
 *   exchange/statement.json         the venue's statement: deposits, orders, withdrawals, returns, residuals
 *   exchange/orders.json            each order as it ended (without its fills)
 *   exchange/fills.json             every fill of every order
 *   exchange/best-execution.json    the best-execution report: fills against the reference, quotes, floors
 *   exchange/route-choices.json     each coin's route choice and the route recomputed from what was seen
 *   fx/declarations.json            the FX declarations with their settlements and corrections
 *   fx/waterfalls.json              each declaration's waterfall, venue gross to CNY in force
 *   treasury/statement.json         the treasury ledger of the case (credits, remittances, corrections)
 *   treasury/remittances.json       remittances, restitution payments and owner returns as the case recorded them
 *   treasury/victim-statements.json each victim's statement
 *   reconciliation.json             the books recomputed now, and the case's reconciliations before pay-out and closing
 *   audit/records.json              the control API's audit records of the case
 *   audit/verification.json         every chain verified, with the latest signed checkpoint each was held against
 *   audit/checkpoints.json          each chain's latest signed checkpoint as written (verify: AUDIT_CHECKPOINT_VERIFY_KEYS)
 */
import { strToU8 } from 'fflate';
import type { CaseFileSources } from './sources';

const json = (value: unknown): Uint8Array => strToU8(`${JSON.stringify(value ?? null, null, 2)}\n`);

export function caseFileData(s: CaseFileSources): Record<string, Uint8Array> {
  const p = s.progress;
  const orders = s.exchangeStatement.orders;
  return {
    'case/registration.json': json(s.registration),
    'case/status.json': json(p),
    'case/decisions.json': json({ accepted: p.decisions.accepted, refused: p.decisions.refused, holds: p.holds ?? [] }),
    'custody/evidence.json': json({ intakes: p.intakes, accounts: p.accounts }),
    'custody/transfers.json': json({
      transfers: p.transfers,
      returns: p.returns ?? [],
      handBack: (p.holds ?? []).flatMap((h) => h.handBack?.transfers ?? []),
    }),
    'custody/ledger.json': json(s.custodyLedger),
    'exchange/statement.json': json(s.exchangeStatement),
    'exchange/orders.json': json(orders.map(({ fills: _fills, ...order }) => order)),
    'exchange/fills.json': json(
      orders.flatMap((o) => o.fills.map((f) => ({ clientOrderId: o.clientOrderId, symbol: o.symbol, ...f }))),
    ),
    'exchange/best-execution.json': json(s.bestExecution),
    'exchange/route-choices.json': json(s.bestExecution.routes),
    'fx/declarations.json': json(s.declarations),
    'fx/waterfalls.json': json(s.waterfalls),
    'treasury/statement.json': json(s.treasuryStatement),
    'treasury/remittances.json': json({
      credits: p.credits,
      remittance: p.remittance ?? null,
      restitutionOrder: p.restitutionOrder ?? null,
      restitution: p.restitution ?? null,
      ownerReturn: p.ownerReturn ?? null,
    }),
    'treasury/victim-statements.json': json(s.victimStatements),
    'reconciliation.json': json({
      recomputed: s.books,
      beforePayout: p.reconciliationBeforePayout ?? null,
      closing: p.reconciliation ?? null,
      explainedDifferences: p.explainedDifferences ?? [],
    }),
    'audit/records.json': json(s.auditRecords),
    'audit/verification.json': json(s.auditVerification),
    'audit/checkpoints.json': json({
      verifyWith:
        'AUDIT_CHECKPOINT_VERIFY_KEYS (Ed25519, base64 SPKI); the signed bytes are "vcdc-audit-checkpoint/1\\n" and the checkpoint\'s canonical JSON',
      checkpoints: s.latestCheckpoints,
    }),
  };
}
