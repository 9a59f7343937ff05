/**
 * The intake of one page of a lot manifest, as one activity: it reads the page from the manifest store
 * and records each CHAIN lot's intake with custody (the same call and Idempotency-Key as a lot recorded
 * by the case itself, so a retried page finds what it recorded), a few at a time. It answers a summary,
 * not the intakes: what each asset declared and received, and the discrepancies (at most a page's).
 * ATTESTED lots are not recorded by the case: they go back to the workflow, which waits for custody's
 * attestations (intake-manifest-workflow.ts).
 */
import { heartbeat } from '@temporalio/activity';
import type { custody } from '@vcdc/shared/contracts';
import type { LotManifestStore } from '../manifest/store';
import type { Lot } from '../workflow/case-input';
import { stepKey } from '../workflow/keys';
import { type AssetIntakeTotal, addIntake, type ManifestActivities } from '../workflow/lot-manifest';
import type { CaseActivities } from './case-activities';
import { foldIntakes } from './case-statements';

const INTAKES_AT_ONCE = 10;

export function createManifestActivities(
  store: Pick<LotManifestStore, 'page'>,
  { recordIntake, getCustodyLedger }: Pick<CaseActivities, 'recordIntake' | 'getCustodyLedger'>,
): ManifestActivities {
  return {
    async getFoldedCustodyLedger(caseId) {
      return foldIntakes(await getCustodyLedger(caseId));
    },
    async recordManifestPage(input) {
      const lots = await store.page(input.manifestId, input.page, input.pageSize);
      const chain = lots.filter((l) => l.verification !== 'ATTESTED');
      const intakes: custody.Intake[] = new Array(chain.length);
      let next = 0;
      const worker = async () => {
        while (next < chain.length) {
          const i = next++;
          const lot = chain[i] as Lot;
          intakes[i] = await recordIntake(
            {
              caseId: input.caseId,
              lotId: lot.lotId,
              asset: lot.asset,
              chain: lot.chain,
              declaredAmount: lot.declaredAmount,
              txHash: lot.sweepTxHash,
              evidence: lot.evidence,
            },
            stepKey(input.caseWorkflowId, 'intake', lot.lotId),
          );
          heartbeat(i);
        }
      };
      await Promise.all(Array.from({ length: Math.min(INTAKES_AT_ONCE, chain.length) }, worker));
      const totals: AssetIntakeTotal[] = [];
      for (const intake of intakes) addIntake(totals, intake);
      return {
        page: input.page,
        lots: lots.length,
        recorded: intakes.length,
        totals,
        discrepancies: intakes.filter((i) => i.status === 'DISCREPANCY'),
        attested: lots.filter((l) => l.verification === 'ATTESTED'),
      };
    },
  };
}
