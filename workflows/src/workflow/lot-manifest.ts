/**
 * A large case's lots travel as a manifest, not in the workflow's input: up to 100,000 lots would be
 * tens of megabytes, past Temporal's payload limit (about 2 MB). The control API stores the lots in
 * chunks and seals them (manifest/store.ts); the case carries only this reference — the manifest's
 * id, count, hash and what each asset totals — and its intake reads the lots in pages by an activity
 * (intake-manifest-workflow.ts). Pure (zod only): the workflow bundle imports it.
 */
import type { custody } from '@vcdc/shared/contracts';
import { CryptoAsset, Decimal, PositiveDecimalString } from '@vcdc/shared/money';
import { z } from 'zod';
import type { Lot } from './case-input';
import { Sha256Hex } from './frozen/contracts';

/**
 * Lots per chunk the control API accepts: 2,000 lots with their evidence stay under the service shell's
 * 1 MB body limit (a lot is about 220 bytes bare, more with documents), so a full chunk is never a 413.
 */
export const MAX_LOTS_PER_CHUNK = 2000;
/** The most lots a manifest holds. */
export const MAX_MANIFEST_LOTS = 200_000;
/** Lots per page the intake reads at once (one activity), and the largest page the paging route serves. */
export const MANIFEST_PAGE_SIZE = 500;

export const ManifestAssetTotal = z.object({
  asset: CryptoAsset,
  lots: z.number().int().min(1),
  /** The sum of the lots' declared amounts, exact (decimal). */
  declared: PositiveDecimalString,
});
export type ManifestAssetTotal = z.infer<typeof ManifestAssetTotal>;

export const LotManifestRef = z.object({
  manifestId: z.string().regex(/^lm-[0-9a-f]{32}$/, { message: 'must be a sealed manifest id (lm-…)' }),
  lots: z.number().int().min(1).max(MAX_MANIFEST_LOTS),
  chunks: z.number().int().min(1),
  /** SHA-256 over the chunks' own hashes in chunk order (manifest/store.ts `manifestSha256`). */
  sha256: Sha256Hex,
  totals: z.array(ManifestAssetTotal).min(1),
});
export type LotManifestRef = z.infer<typeof LotManifestRef>;

/** Pages of `pageSize` lots in a manifest of `lots`. */
export function pageCount(lots: number, pageSize: number = MANIFEST_PAGE_SIZE): number {
  return Math.ceil(lots / pageSize);
}

export interface ManifestPageInput {
  caseWorkflowId: string;
  caseId: string;
  manifestId: string;
  page: number;
  pageSize: number;
}

export interface AssetIntakeTotal {
  asset: string;
  lots: number;
  declared: string;
  received: string;
}

export interface ManifestPageIntake {
  page: number;
  /** Lots on the page, and of them recorded by the case (the rest are ATTESTED). */
  lots: number;
  recorded: number;
  totals: AssetIntakeTotal[];
  discrepancies: custody.Intake[];
  /** ATTESTED lots on the page: the workflow waits for their attestations. */
  attested: Lot[];
}

export interface ManifestActivities {
  recordManifestPage(input: ManifestPageInput): Promise<ManifestPageIntake>;
  /**
   * Custody's ledger of the case with its INTAKE lines folded into one per asset: a manifest case has a
   * line per lot (100,000 lines are megabytes, past the payload limit), and the reconciliation only sums them.
   */
  getFoldedCustodyLedger(caseId: string): Promise<custody.CustodyLedger>;
}

/** Add an intake (recorded or attested) to per-asset totals: exact decimals, as strings. */
export function addIntake(
  totals: AssetIntakeTotal[],
  intake: Pick<custody.Intake, 'asset' | 'declaredAmount' | 'receivedAmount'>,
) {
  let t = totals.find((x) => x.asset === intake.asset);
  if (!t) {
    t = { asset: intake.asset, lots: 0, declared: '0', received: '0' };
    totals.push(t);
  }
  t.lots += 1;
  t.declared = new Decimal(t.declared).plus(intake.declaredAmount).toFixed();
  t.received = new Decimal(t.received).plus(intake.receivedAmount).toFixed();
}

/** The assets of a case: its lots' in the order they come, or its manifest's. */
export function assetsOf(reg: { lots: readonly Pick<Lot, 'asset'>[]; manifest?: LotManifestRef }): Lot['asset'][] {
  return reg.manifest ? reg.manifest.totals.map((t) => t.asset) : [...new Set(reg.lots.map((l) => l.asset))];
}
