/**
 * N small BTC cases at once on a dev stack started by a benchmark, each driven to its end as the demo's
 * people would (scripts/demo/demo-case.ts: custodians attest, supervisors and the FX officer decide
 * through the control API, each the moment the case asks: a bounded auto-approver, one per case).
 */
import { Decimal } from '../../packages/shared/src/money';
import { type DemoLot, runDemoCase } from '../../scripts/demo/demo-case';
import type { StackProcess } from '../../test/support/stack-process';

/** The dev stack's sale compressed: two slices over four seconds. */
export const COMPRESSED_SALE = { VCDC_SALE_SLICES: '2', VCDC_SALE_HORIZON_SECONDS: '4' };

export const lotsOf = (i: number): DemoLot[] => [
  {
    lotId: 'LOT-1',
    asset: 'BTC',
    chain: 'bitcoin',
    amount: new Decimal('0.02').plus(new Decimal(i % 17).mul('0.0071')).toFixed(),
    verification: 'ATTESTED',
  },
];

export interface CaseEnd {
  caseId: string;
  /** The case's last status, or why it was not followed to its end. */
  status: string;
  /** From the first case's start to this one's end (the demo's sweep before registration included). */
  ms: number;
}

/** Runs `n` cases at once; each is given up after `deadlineMs` (it counts as not finished). */
export async function runCasesAtOnce(
  stack: StackProcess,
  n: number,
  prefix: string,
  deadlineMs: number,
  /** How often each case's approver reads its status (a Temporal query each): the demo's 500 ms by default. */
  pollMs?: number,
): Promise<{ ends: CaseEnd[]; wallMs: number }> {
  const t0 = Date.now();
  const ends = await Promise.all(
    Array.from({ length: n }, async (_, i): Promise<CaseEnd> => {
      const caseId = `${prefix}-${String(i + 1).padStart(3, '0')}`;
      try {
        const progress = await runDemoCase({
          urls: { ...stack.urls, evm: undefined, custodyCredential: stack.serviceTokens.custody },
          log: () => undefined,
          caseId,
          lots: lotsOf(i),
          timeoutMs: deadlineMs,
          ...(pollMs ? { pollMs } : {}),
          token: (person) => stack.issuer.mint(person),
        });
        return { caseId, status: progress.status, ms: Date.now() - t0 };
      } catch (error) {
        return { caseId, status: `not finished (${String(error).slice(0, 80)})`, ms: Date.now() - t0 };
      }
    }),
  );
  return { ends, wallMs: Math.max(...ends.map((e) => e.ms)) };
}
