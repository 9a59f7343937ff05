/**
 * The acts waiting for a person (issue 15, the console's inbox): GET /v1/acts/pending[?caseId=].
 * Read from the services with the control API's own credential for each (the targets acts are
 * forwarded to, acts.ts), never the person's, and only the lists the person's roles act on:
 *
 *   countersignatures     custody   GET /v1/intakes?differenceStatus=CLASSIFIED: the classified
 *                                   differences the handover evidence names this person to
 *                                   countersign, in the role they have not signed yet
 *   fxCorrections         fx        GET /v1/settlement-corrections?status=PENDING_APPROVAL
 *   treasuryCorrections   treasury  GET /v1/corrections?status=PENDING_APPROVAL
 *
 * A correction is listed with its author, so the page can say before the click that its author cannot
 * approve it; the service refuses that approval all the same (four-eyes, where it takes effect).
 * A list whose service is not configured or does not answer is left out and named in `unavailable`
 * with the problem, so one service down does not hide the others' acts. Reads are not audited, as no
 * read of the control API is.
 */
import { ACT_KINDS, type ActKind, Problem, parseInput } from '@vcdc/shared';
import { common, type custody, type fx, type treasury } from '@vcdc/shared/contracts';
import type { Role } from '@vcdc/workflows/workflow/decision';
import type { Express, Response } from 'express';
import { z } from 'zod';
import type { Identity } from './auth';
import { type Guard, guardedMount } from './mount';
import type { ControlledService } from './service-clients';
import { readService, type ServiceRouteClient, type ServiceTargets } from './service-clients';

/** The act each list waits for: who may take it is that act's roles (ACT_KINDS), as the service checks. */
const PENDING_ACT_KINDS = {
  countersignatures: 'custody.intake.countersign',
  fxCorrections: 'fx.correction.approve',
  treasuryCorrections: 'treasury.correction.approve',
} as const satisfies Record<string, ActKind>;

/** Those who take any act listed here: the inbox route's access-matrix entry. */
export const PENDING_ACT_ROLES: readonly Role[] = [
  ...new Set(Object.values(PENDING_ACT_KINDS).flatMap((k) => ACT_KINDS[k].roles)),
];

export interface PendingList<T> {
  /** The act it waits for (ACT_KINDS). */
  act: ActKind;
  count: number;
  items: T[];
}

export interface PendingActs {
  countersignatures?: PendingList<
    custody.IntakeAwaitingCountersignature & { countersignAs: 'custodian' | 'handing-officer' }
  >;
  fxCorrections?: PendingList<fx.SettlementCorrection>;
  treasuryCorrections?: PendingList<treasury.CorrectionRequest>;
  /** The lists that could not be read now, with why. */
  unavailable: Array<{ list: string; service: ControlledService; problem: { type: string; detail?: string } }>;
}

export const PendingActsQuery = z.strictObject({ caseId: common.CaseId.optional() });

/**
 * The role in which the handover evidence in force names this person to countersign, if they have not
 * yet (custody's list names them: `countersigners`, which a correction of the evidence may have changed).
 */
export function countersignAs(
  intake: custody.IntakeAwaitingCountersignature,
  me: Identity,
): 'custodian' | 'handing-officer' | undefined {
  const signed = new Set((intake.countersignatures ?? []).map((s) => s.role));
  const named = intake.countersigners;
  if (me.roles.includes('custodian') && named.custodian === me.id && !signed.has('custodian')) return 'custodian';
  if (me.roles.includes('case-officer') && named['handing-officer'] === me.id && !signed.has('handing-officer')) {
    return 'handing-officer';
  }
  return undefined;
}

export interface PendingActsDeps {
  guard: Guard;
  services: ServiceTargets;
}

export function mountPendingActs(app: Express, { guard, services }: PendingActsDeps): void {
  const mount = guardedMount(app, guard);
  mount('listPendingActs', async (req, res: Response) => {
    const { caseId } = parseInput(PendingActsQuery, req.query, 'query');
    const me = res.locals.identity as Identity;
    const may = (list: keyof typeof PENDING_ACT_KINDS) =>
      (ACT_KINDS[PENDING_ACT_KINDS[list]].roles as readonly Role[]).some((r) => me.roles.includes(r));
    const out: PendingActs = { unavailable: [] };
    const read = async <S extends ControlledService, T>(
      list: keyof typeof PENDING_ACT_KINDS,
      service: S,
      call: (client: ServiceRouteClient<S>) => Promise<T>,
    ) => {
      try {
        return await readService(services, service, call);
      } catch (error) {
        const problem = error instanceof Problem ? { type: error.type, detail: error.detail } : { type: 'unknown' };
        out.unavailable.push({ list, service, problem });
        return undefined;
      }
    };
    await Promise.all([
      may('countersignatures') &&
        read('countersignatures', 'custody', (c) =>
          c.call('listIntakes', { query: { differenceStatus: 'CLASSIFIED', caseId } }),
        ).then((r) => {
          if (!r) return;
          const items = r.intakes.flatMap((i) => {
            const as = countersignAs(i, me);
            return as ? [{ ...i, countersignAs: as }] : [];
          });
          out.countersignatures = { act: PENDING_ACT_KINDS.countersignatures, count: items.length, items };
        }),
      may('fxCorrections') &&
        read('fxCorrections', 'fx', (c) =>
          c.call('listSettlementCorrections', { query: { status: 'PENDING_APPROVAL', caseId } }),
        ).then((r) => {
          if (!r) return;
          const { corrections } = r;
          out.fxCorrections = { act: PENDING_ACT_KINDS.fxCorrections, count: corrections.length, items: corrections };
        }),
      may('treasuryCorrections') &&
        read('treasuryCorrections', 'treasury', (c) =>
          c.call('listCorrections', { query: { status: 'PENDING_APPROVAL', caseId } }),
        ).then((r) => {
          if (!r) return;
          const { corrections } = r;
          out.treasuryCorrections = {
            act: PENDING_ACT_KINDS.treasuryCorrections,
            count: corrections.length,
            items: corrections,
          };
        }),
    ]);
    res.json(out);
  });
}
