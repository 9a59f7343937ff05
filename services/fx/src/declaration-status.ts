/**
 * The life of a balance-of-payments declaration:
 *
 *   DRAFT → SUBMITTED → APPROVED → SETTLED      (SETTLED when the settled amount reaches the declared amount)
 *              ↑      ↘ REJECTED
 *              └────────┘  resubmitted after the rejection's grounds were dealt with
 *
 * Anything else (submitting twice, settling before approval, deciding twice) is refused with 409
 * `invalid-transition`, naming where the declaration is and where it was asked to go.
 */
import { Problem } from '@vcdc/shared';

export type DeclarationStatus = 'DRAFT' | 'SUBMITTED' | 'APPROVED' | 'REJECTED' | 'SETTLED';

const NEXT: Record<DeclarationStatus, readonly DeclarationStatus[]> = {
  DRAFT: ['SUBMITTED'],
  SUBMITTED: ['APPROVED', 'REJECTED'],
  APPROVED: ['SETTLED'],
  REJECTED: ['SUBMITTED'],
  SETTLED: [],
};

export function canTransition(from: DeclarationStatus, to: DeclarationStatus): boolean {
  return NEXT[from].includes(to);
}

export function invalidTransition(
  declarationId: string,
  currentStatus: DeclarationStatus,
  requestedStatus: DeclarationStatus,
  what = `go to ${requestedStatus}`,
): Problem {
  return new Problem(
    409,
    'invalid-transition',
    'Transition not allowed',
    `declaration ${declarationId} is ${currentStatus} and cannot ${what}`,
    { declarationId, currentStatus, requestedStatus },
  );
}

export function assertTransition(declarationId: string, from: DeclarationStatus, to: DeclarationStatus): void {
  if (!canTransition(from, to)) throw invalidTransition(declarationId, from, to);
}
