/**
 * The approval policy: tiers by value in CNY, never fewer people for more value, the bound inclusive;
 * and the control API's re-judgement of the authorisation a case asks for.
 */
import fc from 'fast-check';
import { policyMismatch } from '../../control-api/src/app';
import { APPROVAL_POLICY, evaluateApprovalPolicy, missingApprovals } from '../src/workflow/approval-policy';

const money = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 99 }))
  .map(([units, cents]) => `${units}.${String(cents).padStart(2, '0')}`);

test('more value never asks for fewer approvers, units or seniority', () => {
  fc.assert(
    fc.property(money, money, (a, b) => {
      const [low, high] = Number(a) <= Number(b) ? [a, b] : [b, a];
      const l = evaluateApprovalPolicy(APPROVAL_POLICY, low);
      const h = evaluateApprovalPolicy(APPROVAL_POLICY, high);
      expect(h.approvals).toBeGreaterThanOrEqual(l.approvals);
      expect(h.units).toBeGreaterThanOrEqual(l.units);
      if (l.senior) expect(h.senior).toBe(true);
    }),
  );
});

test('a tier includes its bound; one fen above is the next tier; above the top a senior supervisor approves', () => {
  expect(evaluateApprovalPolicy(APPROVAL_POLICY, '2000000.00')).toMatchObject({ approvals: 1, units: 1 });
  expect(evaluateApprovalPolicy(APPROVAL_POLICY, '2000000.01')).toMatchObject({ approvals: 2, units: 2 });
  expect(evaluateApprovalPolicy(APPROVAL_POLICY, '200000000.01')).toMatchObject({ approvals: 3, senior: true });
  expect(evaluateApprovalPolicy(APPROVAL_POLICY, '1.005').valueCny).toBe('1.00');
});

test('missing approvals names what the policy still needs: people, units, a senior supervisor', () => {
  const verdict = { approvals: 2, units: 2, senior: true };
  const li = { decidedBy: 'supervisor.li', role: 'supervisor', unit: 'case-handling' };
  const zhou = { decidedBy: 'supervisor.zhou', role: 'supervisor', unit: 'case-handling' };
  const wu = { decidedBy: 'senior.supervisor.wu', role: 'senior-supervisor', unit: 'finance' };
  expect(missingApprovals(verdict, [li])).toEqual([
    '1 more approver(s)',
    'approvers from 1 more unit(s)',
    'a senior supervisor',
  ]);
  expect(missingApprovals(verdict, [li, zhou])).toEqual(['approvers from 1 more unit(s)', 'a senior supervisor']);
  expect(missingApprovals(verdict, [li, wu])).toEqual([]);
});

describe('the control API judges the authorisation a case asks for again', () => {
  // 200 ETH at 3011.17 USD and 7.1 CNY a dollar: CNY 4,275,861.40, the second tier (two people, two units).
  const valuation = {
    usdCny: '7.1',
    rateDate: '2026-12-03',
    lines: [{ asset: 'ETH', amount: '200', priceUsd: '3011.17', valueCny: '4275861.40' }],
    valueCny: '4275861.40',
  };
  const verdict = evaluateApprovalPolicy(APPROVAL_POLICY, valuation.valueCny);
  const asked = {
    caseId: 'CASE-1',
    venue: 'hashkey',
    assets: [{ asset: 'ETH' as const, maxAmount: '200' }],
    policy: verdict,
  };

  test('an authorisation that follows from the valuation passes', () => {
    expect(verdict).toMatchObject({ approvals: 2, units: 2, senior: false });
    expect(policyMismatch(asked, valuation)).toBeUndefined();
  });

  test('a verdict asking fewer people than the value calls for is refused', () => {
    expect(policyMismatch({ ...asked, policy: { ...verdict, approvals: 1 } }, valuation)).toContain(
      'asks for 2 approver(s) from 2 unit(s)',
    );
  });

  test('a maximum above the amount valued, a total that is not its lines, or no valuation: refused', () => {
    expect(policyMismatch({ ...asked, assets: [{ asset: 'ETH', maxAmount: '250' }] }, valuation)).toContain(
      'not the amount valued',
    );
    expect(policyMismatch(asked, { ...valuation, valueCny: '1000.00' })).toContain('add up to');
    expect(policyMismatch(asked, undefined)).toContain('without a valuation');
  });
});
