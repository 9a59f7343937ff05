/**
 * The shapes of signed acts (signed-act.ts signs and verifies them). Pure: the workflow bundle
 * imports these to carry acts as data.
 */
import { z } from 'zod';
import { ActorId, CaseId, IsoTimestamp, Sha256Hex } from '../contracts/common';
import { ActKind, PersonRole } from './act-kinds';

/** A person's organisational unit (case handling, custody, finance…): the token's `unit` claim. */
export const Unit = z.string().min(1).max(100);

export const Actor = z.object({ id: ActorId, role: PersonRole, unit: Unit });
export type Actor = z.infer<typeof Actor>;

export const ActObject = z.object({
  type: z.string().min(1).max(40),
  id: z.string().min(1).max(200),
  caseId: CaseId.optional(),
});
export type ActObject = z.infer<typeof ActObject>;

export const Act = z.object({
  v: z.literal(1),
  /** The nonce: unique per act; a once-only act used twice is a replay. */
  actId: z.uuid(),
  kind: ActKind,
  actor: Actor,
  object: ActObject,
  /** SHA-256 of the canonical JSON of the act's content (`actContent`). */
  contentSha256: Sha256Hex,
  issuedAt: IsoTimestamp,
  expiresAt: IsoTimestamp,
});
export type Act = z.infer<typeof Act>;

export const SignedAct = z.object({
  act: Act,
  /** Which verify key: the first 16 hex of the SHA-256 of its SPKI DER (keys rotate). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Ed25519 over the canonical JSON of `act`, base64. */
  signature: z.string().min(1).max(200),
});
export type SignedAct = z.infer<typeof SignedAct>;
