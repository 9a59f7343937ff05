/**
 * Signed decisions: every decision the control API forwards to a case is a signed act of kind
 * `case.decision` (packages/shared/src/acts): the control API's Ed25519 key signs who decides (id,
 * role, unit), on which case, the decision's content, when, until when, and a nonce. The case
 * workflow has an activity verify it before it acts; the services the decision authorises (custody
 * for a DISPOSAL_PLAN approval, fx for a settlement, the treasury for a pay-out or a judgment) verify
 * the same act again. A decision typed into the Temporal Web UI or sent with a bare client has no
 * valid act, so it changes nothing; it is recorded as refused. Node-only (crypto): imported by the
 * control API and the worker, never by workflow code.
 */
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ActSigningKey,
  ActVerifyKeys,
  DECISION_ACT,
  decisionContent,
  newActKeyPair,
  type SignedAct,
  signAct,
  verifyDecisionAct,
} from '@vcdc/shared';
import type { Decision, DecisionRefusal } from '../workflow/decision';

/** Base64 DER (PKCS#8) of an Ed25519 private key: the control API's DECISION_SIGNING_KEY (it signs every act). */
export const DecisionSigningKey = ActSigningKey;

/** Base64 DER (SPKI) Ed25519 public keys, comma-separated (old and new while rotating): DECISION_VERIFY_KEYS / ACT_VERIFY_KEYS. */
export const DecisionVerifyKeys = ActVerifyKeys;

/** A new key pair in the forms DECISION_SIGNING_KEY and DECISION_VERIFY_KEYS take. */
export const newDecisionKeyPair = newActKeyPair;

const caseIdOf = (workflowId: string) => workflowId.replace(/^case-/, '');

/** The act for a decision: the decider's, on the case of `workflowId`, over the decision's content; the nonce is its id. */
export function signDecision(
  key: KeyObject,
  workflowId: string,
  d: Omit<Decision, 'signature' | 'act'> & { unit: string; nonce: string },
): SignedAct {
  const caseId = caseIdOf(workflowId);
  return signAct(key, {
    kind: DECISION_ACT,
    actor: { id: d.decidedBy, role: d.role, unit: d.unit },
    object: { type: 'case', id: caseId, caseId },
    content: decisionContent(caseId, d),
    actId: d.nonce,
    issuedAt: new Date(d.decidedAt),
  });
}

/** The activities the case workflow uses to check a decision against the world before acting on it. */
export function createDecisionActivities(verifyKeys: readonly KeyObject[]) {
  return {
    /**
     * The control API's act for this case over exactly this decision: the signature, and only that. The
     * case admitted the decision before asking (decision-admission.ts: its shape, the stage's roles…).
     */
    async verifyDecision(
      workflowId: string,
      d: Decision,
    ): Promise<{ ok: true } | { ok: false; refusal: DecisionRefusal }> {
      const checked = verifyDecisionAct(verifyKeys, d, caseIdOf(workflowId));
      if (checked.ok) return { ok: true };
      const { code, message } = checked.refusal;
      if (code === 'act-missing') return { ok: false, refusal: { code: 'decision-unsigned', message } };
      return {
        ok: false,
        refusal: {
          code: 'decision-signature',
          message: `the decision is not signed by the control API for this case (forged, altered, expired or for another case): ${message}`,
        },
      };
    },
  };
}
export type DecisionActivities = ReturnType<typeof createDecisionActivities>;

/** The dev stack's decision key pair, made once and kept (readable by this user only) under `.data/`. */
export async function loadOrCreateDevDecisionKeys(file: string): Promise<{ signingKey: string; verifyKey: string }> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, JSON.stringify(newDecisionKeyPair()), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return JSON.parse(await readFile(file, 'utf8'));
}
