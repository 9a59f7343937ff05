/**
 * The four-eyes and quorum state of the decision a case waits for, as the person about to decide
 * should see it before the click: how many approvals the case has and needs, who gave them, and why
 * this person may not approve (they registered the case, already approved, or hold no deciding role).
 * A hint only, from the case's status: the workflow judges the decision and its refusal is shown as sent.
 */
import type { Person } from './session';
import type { CaseProgress, Decision } from './types';

export interface ApprovalState {
  stage: string;
  /** The roles that decide this stage, and whether the person holds one. */
  decidingRoles: string[];
  holdsDecidingRole: boolean;
  given: number;
  required: number;
  approvedBy: string[];
  /** Why this person's approval would be refused; empty when nothing in the status stands in the way. */
  cannotApprove: string[];
  /** The approval policy's verdict for a disposal plan, in words. */
  policy?: string;
}

/** Approvals of this wait: the awaited stage's, given since the case began waiting for it. */
export function approvalsOfThisWait(p: CaseProgress): Decision[] {
  const a = p.awaiting;
  if (!a) return [];
  return p.decisions.accepted.filter((d) => d.stage === a.stage && d.outcome === 'APPROVE' && d.decidedAt >= a.since);
}

function requiredApprovals(p: CaseProgress): number {
  const stage = p.awaiting?.stage;
  if (stage === 'DISPOSAL_PLAN') return p.authorisationRequested?.policy.approvals ?? 1;
  return stage === 'HOLD_RESOLUTION' ? 2 : 1;
}

export function approvalState(
  p: CaseProgress,
  me: Person,
  decisionRoles: Record<string, string[]>,
): ApprovalState | undefined {
  const a = p.awaiting;
  if (!a) return undefined;
  const decidingRoles = decisionRoles[a.stage] ?? [a.role];
  const holdsDecidingRole = me.roles.some((r) => decidingRoles.includes(r));
  const given = approvalsOfThisWait(p);
  const approvedBy = given.map((d) => d.decidedBy);
  const cannotApprove: string[] = [];
  if (!holdsDecidingRole) {
    cannotApprove.push(
      `${a.stage} is decided by a ${decidingRoles.join(' or ')}; you are ${me.roles.join(', ') || 'without a role'}`,
    );
  }
  if (p.requestedBy === me.id)
    cannotApprove.push('You registered this case, so you cannot approve it (four-eyes rule).');
  if (approvedBy.includes(me.id)) cannotApprove.push('You already approved; the quorum needs another person.');
  const policy = a.stage === 'DISPOSAL_PLAN' ? p.authorisationRequested?.policy : undefined;
  return {
    stage: a.stage,
    decidingRoles,
    holdsDecidingRole,
    given: given.length,
    required: requiredApprovals(p),
    approvedBy,
    cannotApprove,
    ...(policy
      ? {
          policy: `${policy.tier} (CNY ${policy.valueCny}, policy ${policy.version}): ${policy.approvals} approver(s) from ${policy.units} unit(s)${policy.senior ? ', one a senior supervisor' : ''}`,
        }
      : {}),
  };
}
