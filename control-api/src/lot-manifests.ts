/**
 * The lot manifest routes (issue 18): a case of more lots than one registration carries (5,000)
 * registers them in chunks, seals them, then registers the case naming the manifest (`manifestId` in
 * POST /v1/cases instead of `lots`). The lots are read back in pages, never as one list.
 *
 *   POST /v1/cases/:caseId/lots       { chunk, lots: Lot[] (1-2,000) } -> 201 ChunkStored (200 when the
 *                                      same chunk was stored before; 409 manifest-chunk-conflict when
 *                                      another was, 409 manifest-sealed after the seal)
 *   POST /v1/cases/:caseId/lots/seal  { chunks }  -> 201 SealedManifest (200 the same seal again;
 *                                      422 manifest-incomplete naming the chunks missing)
 *   GET  /v1/cases/:caseId/lots?page=&pageSize= (pageSize <= 500)
 *                                   -> one page of the lots, each with its intake state, and the counts
 *
 * A bad chunk is 400 problem+json naming the field and the lot's index (`lots[17].declaredAmount`) and
 * stores nothing. Each chunk stored, the seal, and every refusal are appended to the audit chain.
 */
import { type AuditChain, contracts, Problem, parseInput, problems } from '@vcdc/shared';
import { LotChunk, type LotManifestStore, LotsPageQuery, SealRequest } from '@vcdc/workflows/manifest/store';
import type { CaseProgress } from '@vcdc/workflows/workflow/case-state';
import { pageCount } from '@vcdc/workflows/workflow/lot-manifest';
import type { Express, Response } from 'express';
import { z } from 'zod';
import type { Identity } from './auth';
import { type Guard, guardedMount } from './mount';

const CaseParams = z.object({ caseId: contracts.common.CaseId });

export type LotIntakeState = 'REGISTERED' | 'PENDING' | 'RECORDED' | 'DISCREPANCY';

export interface LotManifestRoutes {
  guard: Guard;
  audit: Pick<AuditChain, 'append'>;
  store?: LotManifestStore;
  /** The case's status, or undefined before the case is started. */
  progress: (caseId: string) => Promise<CaseProgress | undefined>;
}

export function mountLotManifests(app: Express, { guard, audit, store, progress }: LotManifestRoutes): void {
  const mount = guardedMount(app, guard);
  const storeOf = (): LotManifestStore => {
    if (!store) throw problems.unavailable('Lot manifests unavailable', 'this control API has no lot manifest store');
    return store;
  };
  const actor = (res: Response) => (res.locals.identity as Identity).id;
  /** Refusals of a manifest act are in the audit chain, like the registration's. */
  const refusedAs = async <T>(kind: string, caseId: string, res: Response, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Problem) {
        await audit.append({
          kind: `${kind}.refused`,
          actor: actor(res),
          caseId,
          data: { status: error.status, type: error.type, detail: error.detail ?? '' },
        });
      }
      throw error;
    }
  };

  mount('addLotChunk', async (req, res) => {
    const { caseId } = parseInput(CaseParams, req.params, 'path');
    const stored = await refusedAs('manifest.chunk', caseId, res, async () => {
      const chunk = parseInput(LotChunk, req.body ?? {});
      return storeOf().appendChunk(caseId, chunk, actor(res));
    });
    if (!stored.replayed) {
      await audit.append({
        kind: 'manifest.chunk',
        actor: actor(res),
        caseId,
        data: { chunk: stored.chunk, lots: stored.lots, chunkSha256: stored.chunkSha256 },
      });
    }
    res.status(stored.replayed ? 200 : 201).json(stored);
  });

  mount('sealLots', async (req, res) => {
    const { caseId } = parseInput(CaseParams, req.params, 'path');
    const sealed = await refusedAs('manifest.seal', caseId, res, async () => {
      const { chunks } = parseInput(SealRequest, req.body ?? {});
      return storeOf().seal(caseId, chunks, actor(res));
    });
    const { replayed, ...manifest } = sealed;
    if (!replayed) {
      await audit.append({
        kind: 'manifest.sealed',
        actor: actor(res),
        caseId,
        data: {
          manifestId: manifest.manifestId,
          lots: manifest.lots,
          chunks: manifest.chunks,
          sha256: manifest.sha256,
          totals: manifest.totals,
        },
      });
    }
    res.status(replayed ? 200 : 201).json(manifest);
  });

  mount('getLots', async (req, res) => {
    const { caseId } = parseInput(CaseParams, req.params, 'path');
    const { page, pageSize } = parseInput(LotsPageQuery, req.query, 'query');
    const manifest = await storeOf().sealedFor(caseId);
    if (!manifest) throw problems.notFound('Sealed lot manifest of case', caseId);
    const [lots, p] = await Promise.all([storeOf().page(manifest.manifestId, page, pageSize), progress(caseId)]);
    const differing = new Map((p?.intakes ?? []).map((i) => [i.lotId, i]));
    const stateOf = (lotId: string): LotIntakeState => {
      if (!p) return 'REGISTERED';
      if (differing.has(lotId)) return 'DISCREPANCY';
      return p.manifest?.intake ? 'RECORDED' : 'PENDING';
    };
    res.json({
      caseId,
      manifestId: manifest.manifestId,
      lots: manifest.lots,
      page,
      pageSize,
      pages: pageCount(manifest.lots, pageSize),
      intake: p?.intakeProgress ?? null,
      items: lots.map((lot) => {
        const intake = differing.get(lot.lotId);
        return {
          ...lot,
          intakeState: stateOf(lot.lotId),
          ...(intake ? { receivedAmount: intake.receivedAmount, difference: intake.difference } : {}),
        };
      }),
    });
  });
}
