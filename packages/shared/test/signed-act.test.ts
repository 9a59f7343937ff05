/**
 * Signed acts and decisions: what verifies, and each reason one is refused. A service relies on
 * these checks alone for who acts, so each refusal is proven here on its own.
 */

import { PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import {
  ACT_HEADER,
  actContentSha256,
  decodeActHeader,
  encodeActHeader,
  requestContent,
  signAct,
  verifyCarriedDecision,
  verifyDecisionAct,
  verifySignedAct,
} from '../src';
import { newActKeyPair } from '../src/acts/signed-act';

const keys = testActKeys();
const other = testActKeys();
const body = { chain: 'ethereum', address: '0xabc', venue: 'hashkey', label: 'deposit' };
const content = requestContent('POST', '/v1/whitelist', body);
const act = (over: Partial<Parameters<typeof signAct>[1]> = {}) =>
  signAct(keys.signingKey, {
    kind: 'custody.whitelist.request',
    actor: PEOPLE.custodian,
    object: { type: 'whitelist-entry', id: '0xabc' },
    content,
    ...over,
  });
const expectAct = { kind: 'custody.whitelist.request' as const, content };

test('an act signed for this request verifies, and travels intact in its header', () => {
  const signed = act();
  const checked = verifySignedAct(keys.verifyKeys, decodeActHeader(encodeActHeader(signed)), expectAct);
  expect(checked).toMatchObject({
    ok: true,
    act: { actor: PEOPLE.custodian, contentSha256: actContentSha256(content) },
  });
  expect(ACT_HEADER).toBe('VCDC-Act');
});

test.each([
  ['absent', () => undefined, expectAct, 'act-missing'],
  ['not an act', () => ({ malformed: true }), expectAct, 'act-malformed'],
  [
    'signed by another key',
    () =>
      signAct(other.signingKey, {
        kind: 'custody.whitelist.request',
        actor: PEOPLE.custodian,
        object: { type: 'whitelist-entry', id: '0xabc' },
        content,
      }),
    expectAct,
    'act-signature',
  ],
  [
    'altered after signing (another person)',
    () => ({ ...act(), act: { ...act().act, actor: PEOPLE.secondCustodian } }),
    expectAct,
    'act-signature',
  ],
  ['of another kind', () => act(), { kind: 'custody.whitelist.approve' as const, content }, 'act-kind'],
  ['by a role the kind does not allow', () => act({ actor: PEOPLE.supervisor }), expectAct, 'act-role'],
  ['expired', () => act({ issuedAt: new Date(Date.now() - 3_600_000), ttlSeconds: 60 }), expectAct, 'act-expired'],
  ['not valid yet', () => act({ issuedAt: new Date(Date.now() + 3_600_000) }), expectAct, 'act-expired'],
  [
    'for other content',
    () => act(),
    { ...expectAct, content: requestContent('POST', '/v1/whitelist', { ...body, address: '0xdef' }) },
    'act-content',
  ],
  ['on another object', () => act(), { ...expectAct, object: { id: '0xdef' } }, 'act-object'],
])('an act %s is refused', (_what, presented, expectation, code) => {
  const checked = verifySignedAct(keys.verifyKeys, presented(), expectation);
  expect(checked).toMatchObject({ ok: false, refusal: { code } });
});

test('a rotated key: acts signed by either listed key verify', () => {
  const signed = signAct(other.signingKey, {
    kind: 'custody.whitelist.request',
    actor: PEOPLE.custodian,
    object: { type: 'whitelist-entry', id: '0xabc' },
    content,
  });
  expect(verifySignedAct([...keys.verifyKeys, ...other.verifyKeys], signed, expectAct).ok).toBe(true);
  expect(newActKeyPair().verifyKey).not.toBe(newActKeyPair().verifyKey);
});

describe('a decision carried to a service', () => {
  const approval = signedDecision(keys.signingKey, 'CASE-1', PEOPLE.supervisor, {
    stage: 'DISPOSAL_PLAN',
    outcome: 'APPROVE',
    reason: 'within policy',
  });
  const expectPlan = { caseId: 'CASE-1', stage: 'DISPOSAL_PLAN' as const, outcome: 'APPROVE' as const };

  test('verifies for its case, stage and outcome, with the person, role and unit of its act', () => {
    expect(verifyCarriedDecision(keys.verifyKeys, approval, expectPlan)).toMatchObject({
      ok: true,
      decision: { decidedBy: 'supervisor.li', role: 'supervisor', unit: 'case-handling' },
    });
  });

  test.each([
    ['for another case', approval, { ...expectPlan, caseId: 'CASE-2' }, 'act-content'],
    ['with its reason altered', { ...approval, reason: 'something else' }, expectPlan, 'act-content'],
    ['naming another decider than its act', { ...approval, decidedBy: 'supervisor.zhou' }, expectPlan, 'act-content'],
    ['of another stage', approval, { ...expectPlan, stage: 'REMITTANCE' as const }, 'act-kind'],
    ['without its act', { ...approval, act: undefined }, expectPlan, 'act-missing'],
  ])('refused %s', (_what, presented, expectation, code) => {
    expect(verifyCarriedDecision(keys.verifyKeys, presented, expectation)).toMatchObject({
      ok: false,
      refusal: { code },
    });
  });

  test('a REJECT cannot authorise what needs an APPROVE; a decision by a role its stage does not allow is refused', () => {
    const rejected = signedDecision(keys.signingKey, 'CASE-1', PEOPLE.supervisor, {
      stage: 'DISPOSAL_PLAN',
      outcome: 'REJECT',
      reason: 'no',
    });
    expect(verifyCarriedDecision(keys.verifyKeys, rejected, expectPlan)).toMatchObject({
      ok: false,
      refusal: { code: 'act-kind' },
    });
    const byFx = signedDecision(keys.signingKey, 'CASE-1', PEOPLE.fxOfficer, {
      stage: 'DISPOSAL_PLAN',
      outcome: 'APPROVE',
    });
    expect(verifyCarriedDecision(keys.verifyKeys, byFx, expectPlan)).toMatchObject({
      ok: false,
      refusal: { code: 'act-role' },
    });
  });
});

describe("a decision's signature alone (the case workflow's verifyDecision activity)", () => {
  const plan = { stage: 'DISPOSAL_PLAN' as const, outcome: 'APPROVE' as const };

  test('verifies the act whatever the role: the role is the case’s admission to check, not the signature’s', () => {
    // A service refuses it (act-role); the signature of it is sound.
    const byFx = signedDecision(keys.signingKey, 'CASE-1', PEOPLE.fxOfficer, plan);
    expect(verifyCarriedDecision(keys.verifyKeys, byFx, { caseId: 'CASE-1', ...plan })).toMatchObject({
      ok: false,
      refusal: { code: 'act-role' },
    });
    expect(verifyDecisionAct(keys.verifyKeys, byFx, 'CASE-1')).toMatchObject({ ok: true, unit: PEOPLE.fxOfficer.unit });
  });

  test.each([
    ['for another case', (d: ReturnType<typeof signedDecision>) => d, 'CASE-2', 'act-content'],
    [
      'with its outcome altered',
      (d: ReturnType<typeof signedDecision>) => ({ ...d, outcome: 'REJECT' as const }),
      'CASE-1',
      'act-content',
    ],
    [
      'naming another role than its act',
      (d: ReturnType<typeof signedDecision>) => ({ ...d, role: 'senior-supervisor' as const }),
      'CASE-1',
      'act-content',
    ],
    [
      'signed by another key',
      () => signedDecision(other.signingKey, 'CASE-1', PEOPLE.supervisor, plan),
      'CASE-1',
      'act-signature',
    ],
    ['without its act', (d: ReturnType<typeof signedDecision>) => ({ ...d, act: undefined }), 'CASE-1', 'act-missing'],
  ])('refused %s', (_what, alter, caseId, code) => {
    const d = alter(signedDecision(keys.signingKey, 'CASE-1', PEOPLE.supervisor, plan));
    expect(verifyDecisionAct(keys.verifyKeys, d, caseId)).toMatchObject({ ok: false, refusal: { code } });
  });
});
