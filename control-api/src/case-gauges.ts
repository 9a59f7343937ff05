/**
 * The cases as an operator counts them, on the control API's /metrics: open cases by stage and
 * status, closed cases by the status they ended in, and the decisions cases wait for, by how long
 * they have waited. Read from Temporal visibility (the search attributes the case workflow keeps:
 * CaseStage, CaseStatus, PendingDecision, PendingSince; shared.ts), never from a case's history, and
 * kept `cacheMs` so a scrape every few seconds costs Temporal one listing per period, not one per scrape.
 */
import type { Client } from '@temporalio/client';
import { Gauge, type Logger, Registry } from '@vcdc/shared';
import { CASE_STATUSES } from '@vcdc/workflows/workflow/case-state';
import { CaseStageKey, CaseStatusKey, PendingDecisionKey, PendingSinceKey } from '@vcdc/workflows/workflow/shared';

/** How long a decision has waited, as the pending-decisions gauge buckets it (an upper bound in seconds). */
const PENDING_AGE_BUCKETS = [
  { age: 'under_1h', below: 3_600 },
  { age: '1h_to_1d', below: 86_400 },
  { age: '1d_to_3d', below: 3 * 86_400 },
  { age: 'over_3d', below: Number.POSITIVE_INFINITY },
] as const;

/** The statuses a case can end in; a closed case's CaseStatus is one of these. */
const CLOSED_STATUSES = CASE_STATUSES.filter((s) => s !== 'RUNNING' && s !== 'AWAITING_DECISION' && s !== 'HELD');

export interface CaseFigures {
  open: Map<string, number>;
  closed: Map<string, number>;
  pending: Map<string, number>;
  oldestPendingSeconds: Map<string, number>;
}

const CASES = `WorkflowType = 'caseWorkflow'`;

/** One reading of visibility: every open case, and a count of the closed ones per status. */
async function readCaseFigures(client: Client, now: Date): Promise<CaseFigures> {
  const figures: CaseFigures = {
    open: new Map(),
    closed: new Map(),
    pending: new Map(),
    oldestPendingSeconds: new Map(),
  };
  const add = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
  for await (const wf of client.workflow.list({ query: `${CASES} AND ExecutionStatus = 'Running'`, pageSize: 1000 })) {
    const sa = wf.typedSearchAttributes;
    const stage = sa.get(CaseStageKey) ?? 'UNKNOWN';
    const status = sa.get(CaseStatusKey) ?? 'UNKNOWN';
    add(figures.open, `${stage}\u0000${status}`);
    const decision = sa.get(PendingDecisionKey);
    if (!decision) continue;
    const since = sa.get(PendingSinceKey);
    const waited = since ? Math.max(0, (now.getTime() - since.getTime()) / 1000) : 0;
    // The last bucket's bound is infinite: every wait finds its bucket.
    const { age } = PENDING_AGE_BUCKETS.find((b) => waited < b.below) ?? PENDING_AGE_BUCKETS[3];
    add(figures.pending, `${decision}\u0000${age}`);
    figures.oldestPendingSeconds.set(decision, Math.max(figures.oldestPendingSeconds.get(decision) ?? 0, waited));
  }
  for (const status of CLOSED_STATUSES) {
    const { count } = await client.workflow.count(
      `${CASES} AND ExecutionStatus != 'Running' AND CaseStatus = '${status}'`,
    );
    figures.closed.set(status, count);
  }
  return figures;
}

/**
 * The gauges, in a registry of their own for the control API's /metrics (createServiceApp merges it
 * with the process's). A reading that fails leaves the gauges empty and `vcdc_case_gauges_up` 0.
 */
export function caseGaugesRegistry(
  client: Client,
  options: { logger: Logger; cacheMs?: number; now?: () => Date },
): Registry {
  const { logger, cacheMs = 15_000, now = () => new Date() } = options;
  const registry = new Registry();
  let cached: { at: number; figures: Promise<CaseFigures | undefined> } | undefined;
  const figures = (): Promise<CaseFigures | undefined> => {
    const t = Date.now();
    if (!cached || t - cached.at >= cacheMs) {
      cached = {
        at: t,
        figures: readCaseFigures(client, now()).catch((error: unknown) => {
          logger.warn({ err: error }, 'case gauges: Temporal visibility did not answer');
          cached = undefined; // the next scrape asks again
          return undefined;
        }),
      };
    }
    return cached.figures;
  };

  new Gauge({
    name: 'vcdc_case_gauges_up',
    help: 'Whether the last reading of Temporal visibility for the case gauges succeeded',
    registers: [registry],
    async collect() {
      this.set((await figures()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vcdc_cases_open',
    help: 'Open cases by stage and status (CaseStage, CaseStatus search attributes)',
    labelNames: ['stage', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const f = await figures();
      for (const [key, n] of f?.open ?? []) {
        const [stage, status] = key.split('\u0000') as [string, string];
        this.set({ stage, status }, n);
      }
    },
  });
  new Gauge({
    name: 'vcdc_cases_closed',
    help: 'Closed cases by the status they ended in',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [status, n] of (await figures())?.closed ?? []) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'vcdc_decisions_pending',
    help: 'Decisions open cases wait for, by decision and how long they have waited (PendingDecision, PendingSince)',
    labelNames: ['decision', 'age'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [key, n] of (await figures())?.pending ?? []) {
        const [decision, age] = key.split('\u0000') as [string, string];
        this.set({ decision, age }, n);
      }
    },
  });
  new Gauge({
    name: 'vcdc_decisions_pending_oldest_seconds',
    help: 'How long the longest-waiting case has waited for each decision',
    labelNames: ['decision'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [decision, s] of (await figures())?.oldestPendingSeconds ?? []) this.set({ decision }, Math.round(s));
    },
  });
  return registry;
}
