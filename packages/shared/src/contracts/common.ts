/** Identifiers and shapes shared by more than one service contract. */
import { z } from 'zod';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const CaseId = z
  .string()
  .regex(ID, { message: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' });
export const LotId = z
  .string()
  .regex(ID, { message: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' });
/** Who did something: a user id from the identity provider (later issues verify it). */
export const ActorId = z.string().min(1).max(128);
export const Sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'must be a lowercase hex SHA-256 digest (64 characters)' });
export const IsoTimestamp = z.iso.datetime({ offset: true });

export const Chain = z.enum(['bitcoin', 'ethereum']);
export type Chain = z.infer<typeof Chain>;

/** Which chain carries each crypto asset in this deployment. */
export const CHAIN_OF_ASSET = { BTC: 'bitcoin', ETH: 'ethereum', USDT: 'ethereum' } as const satisfies Record<
  string,
  Chain
>;

export const DocumentRef = z.object({
  name: z.string().min(1).max(200),
  sha256: Sha256Hex,
});
export type DocumentRef = z.infer<typeof DocumentRef>;
