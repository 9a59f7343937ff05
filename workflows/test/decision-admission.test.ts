/**
 * The one admission of a decision (decision-admission.ts), pure: what the decide Update's validator and
 * handler and the decision signal all ask. The workflow tests prove it is asked there; here, its order
 * and the rules the verifyDecision activity no longer checks (the role).
 */
import { admitDecision, type CaseDecisionState } from '../src/workflow/decision-admission';

const approval = {
  stage: 'DISPOSAL_PLAN',
  outcome: 'APPROVE',
  decidedBy: 'supervisor.zhang',
  role: 'supervisor',
  decidedAt: '2026-01-05T09:00:00Z',
};
const waiting: CaseDecisionState = { awaiting: 'DISPOSAL_PLAN', requestedBy: 'officer.li' };
const codeOf = (raw: unknown, state: CaseDecisionState) => {
  const admitted = admitDecision(raw, state);
  return admitted.ok ? 'admitted' : admitted.refusal.code;
};

test('a decision the case waits for, by another person in a role of its stage, is admitted as parsed', () => {
  expect(admitDecision(approval, waiting)).toEqual({ ok: true, decision: approval });
});

test.each([
  ['malformed (no outcome)', { ...approval, outcome: undefined }, waiting, 'decision-invalid'],
  ['for a stage not awaited', { ...approval, stage: 'SALE_PRICE' }, waiting, 'decision-not-awaited'],
  ['by the requester', { ...approval, decidedBy: 'officer.li' }, waiting, 'four-eyes'],
  ['by one who approved already', approval, { ...waiting, approvedBy: ['supervisor.zhang'] }, 'quorum-same-person'],
  ['in a role its stage does not allow', { ...approval, role: 'fx-officer' }, waiting, 'decision-role'],
])('refused: %s', (_what, raw, state, code) => {
  expect(codeOf(raw, state)).toBe(code);
});

test('a used nonce is said first, then a missing act on a signed case, then the rules', () => {
  const used = { ...waiting, signaturesRequired: true, nonceUsed: (n: string) => n === 'n-1' };
  // Malformed and by the requester too: the replay is what is said.
  expect(codeOf({ nonce: 'n-1', decidedBy: 'officer.li' }, used)).toBe('decision-replayed');
  expect(codeOf({ ...approval, decidedBy: 'officer.li', nonce: 'n-2' }, used)).toBe('decision-unsigned');
  expect(codeOf({ ...approval, decidedBy: 'officer.li', nonce: 'n-2', act: {} }, used)).toBe('decision-invalid');
});

test('an unsigned case takes a decision without act or nonce; a signed one does not', () => {
  expect(codeOf(approval, waiting)).toBe('admitted');
  expect(codeOf(approval, { ...waiting, signaturesRequired: true })).toBe('decision-unsigned');
});
