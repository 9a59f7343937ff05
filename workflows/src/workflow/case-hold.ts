/**
 * A HELD case, its compensation run: it waits for two supervisors to resolve the hold (HOLD_RESOLUTION;
 * the paths each hold allows are hold-resolution.ts's). RESUME and AMEND run the case again from where it
 * stopped (a `Resume`); CLOSE ends it, the assets in the case wallet or handed back to the owner
 * (case-hand-back.ts), once the closing reconciliation accepts that end.
 */
import { Decimal } from '@vcdc/shared/money';
import { calls } from './case-calls';
import { handBackToOwner } from './case-hand-back';
import { reconcileCase } from './case-reconcile';
import type { CaseRun, Resume } from './case-run';
import {
  BEFORE_THE_SALE,
  describe,
  type HoldRecord,
  holdOptions,
  openPaths,
  partlyHandedBack,
} from './hold-resolution';

/**
 * Wait for the hold's resolution. Returns how the case goes on (RESUME, AMEND), or undefined when it was
 * closed with the assets in custody or handed back. The attempt held is `run.resume` (undefined: the first).
 */
export async function resolveHold(run: CaseRun): Promise<Resume | undefined> {
  const { p, reg, workflowId, show, setStatus } = run;
  const previous = run.resume;
  const attempt = previous?.attempt ?? 1;
  const inCustody: Record<string, string> = {};
  for (const account of p.accounts) {
    inCustody[account.asset] = (await calls.getCustodyAccount(p.caseId, account.asset)).balance;
  }
  const options = holdOptions(p, inCustody, reg.disposal);
  const { proposed: _p, proposedBy: _b, ...shown } = options;
  const hold: HoldRecord = {
    attempt,
    stage: p.stage,
    reason: p.reason ?? '',
    since: new Date().toISOString(),
    inCustody,
    options: shown,
    transfers: p.transfers,
  };
  p.holds ??= [];
  p.holds.push(hold);
  for (;;) {
    const paths = openPaths(options);
    run.holdNow = options;
    const d = await run.awaitDecision(
      'HOLD_RESOLUTION',
      `two supervisors to resolve the hold at ${hold.stage} (${paths.join('; ') || 'no path is open: see the hold'})`,
      true,
    );
    run.holdNow = undefined;
    const resolution = d?.resolution;
    if (!d || !resolution) continue; // a held case has no deadline that ends it
    const given = run.approvals.HOLD_RESOLUTION ?? [d];
    hold.resolution = {
      ...resolution,
      approvedBy: given.map((g) => ({ decidedBy: g.decidedBy, reason: g.reason ?? '', decidedAt: g.decidedAt })),
    };
    const by = given.map((g) => g.decidedBy).join(' and ');
    if (resolution.path === 'RESUME' || resolution.path === 'AMEND') {
      const reusePlan = resolution.path === 'RESUME' && (hold.stage === 'TRANSFER' || hold.stage === 'SALE');
      // Past the sale the case goes on with the money it has: its records stay, and so do its steps' keys.
      const pastTheSale = resolution.path === 'RESUME' && !BEFORE_THE_SALE.includes(hold.stage);
      hold.resolution.outcome =
        resolution.path === 'AMEND'
          ? `the amended plan goes to DISPOSAL_PLAN for approval (attempt ${attempt + 1})`
          : hold.stage === 'RECONCILIATION'
            ? `the closing reconciliation runs again on the corrected books (attempt ${attempt + 1})`
            : `resumed at ${hold.stage}${reusePlan ? ' under the disposal plan already approved' : ''} (attempt ${attempt + 1})`;
      show(`${describe(resolution)} approved by ${by}: ${hold.resolution.outcome}`);
      p.reason = undefined;
      if (!pastTheSale) {
        p.transfers = [];
        p.routes = [];
      }
      const keys = pastTheSale ? previous?.keys : attempt + 1;
      return {
        attempt: attempt + 1,
        ...(keys !== undefined ? { keys } : {}),
        from: hold.stage,
        reusePlan,
        ...(resolution.path === 'AMEND' ? { amend: resolution.dispose } : {}),
      };
    }
    // CLOSE to the OWNER: every unit goes to the owner's addresses first (custody checks the two approvals).
    if (resolution.handBackTo === 'OWNER') {
      const { owner } = resolution;
      hold.handBack ??= { courtOrder: owner.courtOrder, name: owner.name, transfers: [] };
      show(`${describe(resolution)} approved by ${by}: handing the assets back`);
      const refused = await handBackToOwner(
        { caseId: p.caseId, workflowId, hold: p.holds.length, owner, approvals: given },
        hold.handBack,
      );
      if (refused) {
        const sent = hold.handBack.transfers.filter((t) => t.status !== 'FAILED');
        const gone = sent.map((t) => `${t.netAmount} ${t.asset}`);
        if (gone.length > 0) for (const o of [options, hold.options]) partlyHandedBack(o, gone);
        hold.resolution.outcome = `not closed: ${refused}`;
        setStatus('HELD', `${describe(resolution)} by ${by}: ${hold.resolution.outcome}`);
        continue;
      }
    }
    // CLOSE: the assets stay in the case wallet, or went to the owner; the closing reconciliation must accept that end.
    run.enter(
      'RECONCILIATION',
      resolution.handBackTo === 'OWNER'
        ? 'closing the held case: checking that every unit went back to the owner'
        : 'closing the held case: checking that every unit is back in custody',
    );
    p.reconciliation = await reconcileCase(run, 'closing');
    if (!p.reconciliation.ok) {
      const failed = p.reconciliation.checks.filter((c) => !c.pass);
      hold.resolution.outcome = `not closed: the reconciliation does not accept it (${failed.map((c) => c.name).join('; ')})`;
      setStatus('HELD', `${describe(resolution)} by ${by}: ${hold.resolution.outcome}`);
      continue;
    }
    const kept = Object.entries(inCustody)
      .filter(([, a]) => new Decimal(a).gt(0))
      .map(([asset, a]) => `${a} ${asset}`);
    hold.resolution.outcome = hold.handBack
      ? `closed: ${hold.handBack.transfers.map((t) => `${t.netAmount} ${t.asset} to ${t.toAddress} (tx ${t.txHash}, fee ${t.fee})`).join(', ')} handed back to ${hold.handBack.name} on ${hold.handBack.courtOrder}; reconciled`
      : `closed with ${kept.join(', ') || 'nothing'} in the case wallet; reconciled`;
    await run.closingCheckpoints('CLOSED');
    setStatus('CLOSED', `${describe(resolution)} approved by ${by}: ${hold.resolution.outcome}`);
    return undefined;
  }
}
