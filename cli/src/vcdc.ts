/**
 * `vcdc`: the control API from a terminal, for people who follow cases and take decisions there.
 * Everything goes through the control API over HTTP with the person's bearer token (never to
 * Temporal directly), so the same access matrix, four-eyes rule and audit chain apply.
 *
 *   npx vcdc cases [--status S] [--stage S] [--agency A]       cases from Temporal visibility
 *   npx vcdc show <caseId>                                      one case: stage, status, pending decision, amounts
 *   npx vcdc statement <caseId>                                 its value at seizure, at disposal, distributed; base units
 *   npx vcdc pending                                            cases waiting for a decision, and what each waits for
 *   npx vcdc decide <caseId> <STAGE> approve|reject [--reason R] [--reference REF]
 *            [--amount A --bank-reference B …]  (FX_SETTLEMENT)  [--judgment-ref J --document-hash H --judgment-outcome O]
 *   npx vcdc notifications [--case C] [--role R] [--kind K] [--since T]
 *   npx vcdc whitelist list|show|request|approve|revoke …, attest, classify, countersign,
 *            evidence correct, correction request|approve|follow-up, recovery record,
 *            fx correction request|approve                                 people's acts on the services (acts.ts)
 *   npx vcdc books <caseId>                                     the books recomputed from the services' records
 *   npx vcdc dossier export <caseId> [-o file]                  the signed case file (auditors, supervisors)
 *   npx vcdc dossier verify <file> --key <keyfile>              checks a case file offline, naming each file that does not match
 *
 * Settings: VCDC_API_URL (default http://127.0.0.1:7100) or --api; VCDC_TOKEN (a bearer token; in
 * the dev stack `node --import tsx cli/src/dev-token.ts supervisor.li` mints one) or
 * --token. `--json` prints the control API's answers as they are. A refusal (problem+json) is
 * printed as `title: detail` on stderr with exit code 1.
 */

import type { CONTROL_API_ROUTES } from '@vcdc/control-api/api';
import { CONTROL_API_PATHS } from '@vcdc/control-api/paths';
import { BASE_UNIT_NAMES, groupDigits } from '@vcdc/shared/base-units';
import {
  type LooseRouteInput,
  type RouteArgs,
  type RouteInput,
  routePath,
  ServiceCallError,
  ServiceClient,
  withQuery,
} from '@vcdc/shared/http/client';
import { type DecisionStage, ROLE_FOR_STAGE } from '@vcdc/workflows/workflow/decision';
import type { HoldRecord } from '@vcdc/workflows/workflow/hold-resolution';
import { transferState } from '@vcdc/workflows/workflow/transfer-state';
import { Argument, Command, CommanderError } from 'commander';
import { ActOutcomeUnknown, addActCommands } from './acts';
import { addDossierCommands, CaseFileRejected } from './dossier';

const DEFAULT_API_URL = 'http://127.0.0.1:7100';

/** Where the CLI writes and how it reaches the API: injectable, so tests run it in-process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  fetch: typeof fetch;
  now: () => Date;
}

/** An answer of the control API that is not 2xx; `problem` when it is problem+json. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; title?: string; detail?: string } | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type ControlRoutes = typeof CONTROL_API_ROUTES;
/** A route of the control API's table (control-api/src/api.ts), by name. */
export type ControlRouteName = keyof ControlRoutes & string;
/** What a call of the route takes, typed by the table's schemas (its path's parameters, query, body). */
export type ControlCall<K extends ControlRouteName> = RouteArgs<ControlRoutes[K]>;
type ControlBody<K extends ControlRouteName> = RouteInput<ControlRoutes[K]> extends { body: infer B } ? B : never;

/**
 * The control API over HTTP with one person's token, through the services' client (shared
 * http/client.ts: the same transport, Idempotency-Key and problem+json reading). A call names a route
 * of the control API's table and is typed by it; the path is filled from its parameters (encoded).
 * The table has no response schemas: an answer is `unknown` until the command reads it through its
 * own loose view (below).
 */
export class ControlApiClient {
  private readonly http: ServiceClient;

  constructor(
    readonly baseUrl: string,
    token: string | undefined,
    fetchImpl: typeof fetch = fetch,
  ) {
    this.http = new ServiceClient({
      service: 'control API',
      baseUrl,
      timeoutMs: 30_000,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      fetch: fetchImpl,
    });
  }

  call<K extends ControlRouteName>(name: K, ...[input]: ControlCall<K>): Promise<unknown> {
    const { method, path, body, idempotencyKey } = this.resolve(name, input);
    return this.refusalsAsErrors(() => this.http.request(method, path, body, idempotencyKey));
  }

  /** A file the control API answers (the case file): its bytes, with refusals as for every call. */
  download<K extends ControlRouteName>(name: K, ...[input]: ControlCall<K>): Promise<Uint8Array> {
    const { path } = this.resolve(name, input);
    return this.refusalsAsErrors(() => this.http.download(path, 'application/zip'));
  }

  private resolve(name: ControlRouteName, input: unknown) {
    const route = CONTROL_API_PATHS[name];
    const { params, query, body, idempotencyKey } = (input ?? {}) as LooseRouteInput;
    // An empty option is no option.
    const given = query && Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
    return {
      method: route.method.toUpperCase(),
      path: withQuery(routePath(route, params), given),
      body,
      idempotencyKey,
    };
  }

  /** A refusal as a person reads it (ApiError, `title: detail`); no answer at all: which API could not be reached. */
  private async refusalsAsErrors<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ServiceCallError)) throw error;
      if (error.status === 0) {
        const failed = error.cause as { message?: string; cause?: { message?: string } } | undefined;
        throw new Error(
          `cannot reach the control API at ${this.baseUrl}: ${failed?.cause?.message ?? failed?.message ?? error.message}`,
        );
      }
      const problem = error.problem;
      const message = problem
        ? `${problem.title ?? `HTTP ${error.status}`}${problem.detail ? `: ${problem.detail}` : ''}`
        : `HTTP ${error.status} ${error.statusText ?? ''}`.trim();
      throw new ApiError(error.status, problem, message);
    }
  }
}

// The shapes the CLI reads, loosely: fields newer or older control APIs may not send are optional.

interface CaseSummary {
  caseId: string;
  agency: string | null;
  stage: string | null;
  status: string | null;
  execution: string;
  startTime: string;
}

interface PendingDecision {
  stage: string;
  since: string;
  deadline: string;
  what?: string;
  role?: string;
  escalateTo?: string;
  remindAt?: string;
  escalateAt?: string;
  reminded?: string;
  escalated?: string;
}

interface DecisionView {
  stage: string;
  outcome: string;
  decidedBy: string;
  role: string;
  reason?: string;
  reference?: string;
  decidedAt: string;
}

interface CaseView {
  /** Each hold of the case and its resolution (hold-resolution.ts). */
  holds?: HoldRecord[];
  caseId: string;
  agency?: string;
  requestedBy?: string;
  stage?: string;
  status?: string;
  details?: string;
  reason?: string;
  awaiting?: PendingDecision;
  decisions?: {
    accepted?: DecisionView[];
    refused?: { decision?: unknown; code: string; reason: string; at: string; via?: string }[];
  };
  intakes?: {
    lotId: string;
    asset: string;
    declaredAmount: string;
    receivedAmount: string;
    difference?: string;
    status: string;
  }[];
  transfers?: {
    asset: string;
    testTransfer?: SentTransfer;
    transfer?: SentTransfer;
    testDeposit?: { status: string };
    deposit?: { status: string };
    hold?: { txHash: string; reason: string; since: string; releasedAt?: string };
  }[];
  /** The reconciliation before the pay-out and the closing one (reconcile.ts). */
  reconciliationBeforePayout?: ReconciliationView;
  reconciliation?: ReconciliationView;
  /** Each coin's sale route and why (sale-route.ts). */
  routes?: { asset: string; route: 'DIRECT' | 'VIA_STABLECOIN'; directSymbol: string; reason: string }[];
  /** What the disposal plan's approval would let leave the case's wallets, and the policy's verdict. */
  authorisationRequested?: {
    venue: string;
    assets: { asset: string; maxAmount: string }[];
    policy: { version: string; valueCny: string; tier: string; approvals: number; units: number; senior: boolean };
  };
  /** While custodians are to whitelist the venue's deposit address. */
  awaitingWhitelist?: {
    asset: string;
    chain: string;
    address: string;
    venue: string;
    entryId?: string;
    status?: string;
  };
  /** The execution engine's slices, each a limit order as it ended. */
  sales?: {
    symbol: string;
    amount: string;
    limitPrice: string;
    reference: string;
    filled: string;
    cost: string;
    fee: string;
    feeCurrency: string | null;
  }[];
  withdrawal?: { currency: string; amount: string; fee: string; netAmount: string; status: string };
  declaration?: { declarationNo: string; currency: string; amount: string; status: string };
  settlements?: { currency: string; foreignAmount: string; rate: string; cnyAmount: string; bankReference: string }[];
  credits?: { amount: string }[];
  remittance?: { amount: string; receiptNo: string };
  leftovers?: {
    asset: string;
    amount: string;
    where: string;
    reason: string;
    settled?: { how: string; residualId?: string; received?: string; txHash?: string; why?: string };
  }[];
  /** Base units beside the decimal, per lot and totalled across lots (the status's case-amounts.ts). */
  amounts?: {
    lots: { lotId: string; unit: string; declared: UnitAmount; received: UnitAmount; difference: UnitAmount }[];
    totals: ({ asset: string; unit: string; lots: number; declared: UnitAmount } & Partial<
      Record<(typeof TOTAL_LINES)[number], UnitAmount>
    >)[];
  };
}

interface SentTransfer {
  amount: string;
  fee: string;
  netAmount: string;
  status: string;
  txHash?: string;
  confirmations?: number;
}

interface ReconciliationView {
  ok: boolean;
  phase: string;
  checks: {
    name: string;
    left: { label: string; amount: string };
    right: { label: string; amount: string };
    pass: boolean;
    difference?: string;
    explainedBy?: unknown;
  }[];
  differences?: { check: string; difference: string }[];
}

interface UnitAmount {
  amount: string;
  baseUnits?: string;
}

/** The totals across lots shown, in this order (declared first, always there). */
const TOTAL_LINES = ['received', 'difference', 'sentToVenue', 'networkFees', 'sold', 'leftOver'] as const;
const TOTAL_LABELS: Record<(typeof TOTAL_LINES)[number], string> = {
  received: 'received',
  difference: 'difference',
  sentToVenue: 'sent to venue',
  networkFees: 'network fees',
  sold: 'sold',
  leftOver: 'left over',
};

interface StoredNotification {
  notificationId: string;
  caseId: string;
  kind: string;
  toRole: string;
  stage?: string;
  message: string;
  deadline?: string;
  raisedAt: string;
  storedAt: string;
}

interface DecisionAccepted {
  decision: DecisionView;
  movesTo: { stage: string; status: string };
  approvals?: { given: number; required: number };
}

/** `2d 4h`, `3h 10m`, `45s`: a span a person reads at a glance. */
function humanSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

/** An ISO time with how far it is from now: `2026-03-04T00:00:00.000Z (in 2d 4h)` / `(3h ago)`. */
export function when(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const delta = t - now.getTime();
  return `${iso} (${delta >= 0 ? `in ${humanSpan(delta)}` : `${humanSpan(delta)} ago`})`;
}

/** Columns padded to the widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function decidingRoleOf(p: PendingDecision): string {
  return p.role ?? ROLE_FOR_STAGE[p.stage as DecisionStage] ?? '?';
}

/** The `show` text: what a person needs to know about one case, top to bottom. */
export function renderCase(c: CaseView, now: Date): string {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`${`${name}:`.padEnd(12)} ${value}`);
  out.push(`Case ${c.caseId}${c.agency ? ` (${c.agency})` : ''}`);
  if (c.requestedBy) field('Requested', `by ${c.requestedBy}`);
  field('Stage', c.stage ?? '-');
  field('Status', c.status ?? '-');
  if (c.details) field('Details', c.details);
  if (c.reason) field('Reason', c.reason);

  // On top: what the case waits for (who acts, until when), then whether its books reconcile.
  out.push('');
  out.push(...pendingAct(c, now));
  const reconciliations = [
    ['before the pay-out', c.reconciliationBeforePayout],
    ['at closing', c.reconciliation],
  ] as const;
  for (const [when, r] of reconciliations) if (r) out.push(...reconciliationLines(when, r));

  const intakes = c.intakes ?? [];
  out.push('');
  if (intakes.length) {
    // Each lot's declared / received / difference again in the asset's smallest unit (satoshi, wei, …).
    const inUnits = new Map(
      (c.amounts?.lots ?? []).map((l) => [
        l.lotId,
        `${[l.declared, l.received, l.difference].map(units).join(' / ')} ${l.unit}`,
      ]),
    );
    out.push('Lots:');
    out.push(
      indent(
        table(
          [
            'LOT',
            'ASSET',
            'DECLARED',
            'RECEIVED',
            'DIFFERENCE',
            'STATUS',
            'IN BASE UNITS (DECLARED / RECEIVED / DIFFERENCE)',
          ],
          intakes.map((i) => [
            i.lotId,
            i.asset,
            i.declaredAmount,
            i.receivedAmount,
            i.difference ?? '',
            i.status,
            inUnits.get(i.lotId) ?? '',
          ]),
        ),
      ),
    );
  } else {
    out.push('Lots:      no intake recorded yet');
  }
  out.push(...totalsAcrossLots(c.amounts));

  const amounts: string[][] = [];
  for (const t of c.transfers ?? []) {
    for (const [what, sent, deposit] of [
      ['test deposit', t.testTransfer, t.testDeposit],
      ['to venue', t.transfer, t.deposit],
    ] as const) {
      if (!sent) continue;
      const hold = t.hold && t.hold.txHash === sent.txHash ? t.hold : undefined;
      amounts.push([
        what,
        `${sent.netAmount} ${t.asset}`,
        `sent ${sent.amount}, network fee ${sent.fee}; tx ${sent.txHash || '-'}; ${transferState(sent, deposit, hold, (iso) => when(iso, now))}`,
      ]);
    }
  }
  for (const r of c.routes ?? []) {
    amounts.push([
      'sale route',
      r.route === 'DIRECT' ? `${r.asset} on ${r.directSymbol}` : `${r.asset} via the stablecoin`,
      r.reason,
    ]);
  }
  // An order that filled nothing (cancelled at its horizon, expired) tells nothing by itself: counted, not listed.
  const unfilled = (c.sales ?? []).filter((s) => !/[1-9]/.test(s.filled));
  for (const s of (c.sales ?? []).filter((x) => !unfilled.includes(x))) {
    const [base = '', quote = ''] = s.symbol.split('/');
    const fee = s.fee !== '0' ? `, fee ${s.fee} ${s.feeCurrency ?? ''}`.trimEnd() : '';
    amounts.push([
      `sold ${s.symbol}`,
      `${s.filled} ${base} -> ${s.cost} ${quote}`,
      `of ${s.amount} offered at ${s.limitPrice} (reference ${s.reference})${fee}`,
    ]);
  }
  if (unfilled.length) {
    amounts.push([
      'unfilled',
      `${unfilled.length} order(s)`,
      'filled nothing (cancelled or expired); vcdc --json show lists them',
    ]);
  }
  if (c.withdrawal) {
    const w = c.withdrawal;
    amounts.push(['withdrawn', `${w.netAmount} ${w.currency}`, `of ${w.amount}, fee ${w.fee}; ${w.status}`]);
  }
  if (c.declaration) {
    const d = c.declaration;
    amounts.push(['declared', `${d.amount} ${d.currency}`, `${d.declarationNo}; ${d.status}`]);
  }
  for (const s of c.settlements ?? []) {
    amounts.push([
      'settled',
      `${s.cnyAmount} CNY`,
      `${s.foreignAmount} ${s.currency} at ${s.rate}, bank ref ${s.bankReference}`,
    ]);
  }
  for (const credit of c.credits ?? [])
    amounts.push(['credited', `${credit.amount} CNY`, 'special case-property account']);
  if (c.remittance) amounts.push(['remitted', `${c.remittance.amount} CNY`, `receipt ${c.remittance.receiptNo}`]);
  for (const l of c.leftovers ?? [])
    amounts.push(['left over', `${l.amount} ${l.asset}`, `at ${l.where}: ${l.reason}${leftoverSettled(l.settled)}`]);
  out.push('');
  if (amounts.length) {
    out.push('Amounts so far:');
    out.push(indent(table(['STEP', 'AMOUNT', 'NOTE'], amounts)));
  } else {
    out.push('Amounts so far: nothing moved yet');
  }

  for (const h of c.holds ?? []) out.push('', ...holdLines(h));

  const accepted = c.decisions?.accepted ?? [];
  if (accepted.length) {
    out.push('');
    out.push('Decisions:');
    out.push(
      indent(
        table(
          ['AT', 'STAGE', 'OUTCOME', 'BY', 'REASON / REFERENCE'],
          accepted.map((d) => [
            d.decidedAt,
            d.stage,
            d.outcome,
            `${d.decidedBy} (${d.role})`,
            [d.reason, d.reference].filter(Boolean).join(' / '),
          ]),
        ),
      ),
    );
  }
  const refused = c.decisions?.refused ?? [];
  out.push('');
  if (refused.length) {
    out.push(`Refused attempts (${refused.length}):`);
    out.push(
      indent(
        table(
          ['AT', 'BY', 'STAGE', 'REFUSAL', 'WHY'],
          refused.map((r) => {
            const d = (r.decision && typeof r.decision === 'object' ? r.decision : {}) as Record<string, unknown>;
            const by = typeof d.decidedBy === 'string' ? d.decidedBy : '?';
            const stage = typeof d.stage === 'string' ? d.stage : '?';
            return [r.at, `${by}${r.via ? ` via ${r.via}` : ''}`, stage, r.code, r.reason];
          }),
        ),
      ),
    );
  } else {
    out.push('Refused attempts: none');
  }
  return out.join('\n');
}

/**
 * What the case waits for and from whom: the decision (its role, what it decides, its deadline and
 * reminders, the approvals so far and, for the disposal plan, what an approver signs), or the
 * custodians' whitelisting of the venue's address.
 */
function pendingAct(c: CaseView, now: Date): string[] {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`${`${name}:`.padEnd(12)} ${value}`);
  const p = c.awaiting;
  if (p) {
    field(
      'Waiting for',
      `${p.stage} decision by a ${decidingRoleOf(p)}${p.what ? ` - ${p.what}` : ''}, until ${when(p.deadline, now)}`,
    );
    field('  Since', when(p.since, now));
    if (p.remindAt) field('  Reminder', `${when(p.remindAt, now)}${p.reminded ? ' - sent' : ''}`);
    if (p.escalateAt) {
      const to = p.escalateTo ? ` to ${p.escalateTo}` : '';
      field('  Escalates', `${when(p.escalateAt, now)}${to}${p.escalated ? ' - escalated' : ''}`);
    }
    const approvals = (c.decisions?.accepted ?? []).filter((d) => d.stage === p.stage && d.outcome === 'APPROVE');
    if (approvals.length) field('  Approved', `so far by ${approvals.map((d) => d.decidedBy).join(', ')}`);
  }
  // What an approver of the disposal plan signs: the most that may leave, where to, and who must approve.
  const a = c.authorisationRequested;
  if (a && (p?.stage === 'DISPOSAL_PLAN' || c.stage === 'AUTHORISATION')) {
    field('  Approves', `${a.assets.map((x) => `at most ${x.maxAmount} ${x.asset}`).join(', ')} to ${a.venue}`);
    const who = `${a.policy.approvals} approver(s) from ${a.policy.units} unit(s)${a.policy.senior ? ', one a senior supervisor' : ''}`;
    field('  Policy', `${a.policy.tier} (CNY ${a.policy.valueCny}, policy ${a.policy.version}): ${who}`);
  }
  const w = c.awaitingWhitelist;
  if (w) {
    field(
      p ? 'And for' : 'Waiting for',
      `custodians to whitelist ${w.venue}'s ${w.asset} address ${w.address} (${w.chain}) - ${
        w.entryId
          ? `entry ${w.entryId} ${w.status ?? ''}`.trimEnd()
          : 'not requested yet: a custodian requests it (vcdc whitelist request), two others approve'
      }`,
    );
  }
  if (!out.length) {
    field(
      'Waiting for',
      ['RUNNING'].includes(c.status ?? '') ? 'nothing from a person (the case is working)' : 'nothing',
    );
  }
  return out;
}

/** A reconciliation in one line when it reconciles; otherwise with each check that fails and by how much. */
function reconciliationLines(phase: string, r: ReconciliationView): string[] {
  const passing = r.checks.filter((x) => x.pass).length;
  const verdict = r.ok ? 'reconciles' : 'DOES NOT RECONCILE';
  const lines = [`Reconciliation ${phase}: ${verdict} (${passing} of ${r.checks.length} checks pass)`];
  const failing = r.checks.filter((x) => !x.pass);
  if (failing.length) {
    lines.push(
      indent(
        table(
          ['CHECK', 'LEFT', 'RIGHT', 'DIFFERENCE'],
          failing.map((x) => [
            x.name,
            `${x.left.label} ${x.left.amount}`,
            `${x.right.label} ${x.right.amount}`,
            x.difference ?? '',
          ]),
        ),
      ),
    );
  }
  const explained = r.checks.filter((x) => x.pass && x.explainedBy).map((x) => x.name);
  if (explained.length) lines.push(`  explained by a supervisor: ${explained.join(', ')}`);
  return lines;
}

/** One hold: where and why, what custody held, the paths it allowed, and the resolution (who, why, what was done). */
function holdLines(h: HoldRecord): string[] {
  const lines = [`Held at ${h.stage} (attempt ${h.attempt}) since ${h.since}: ${h.reason}`];
  const held = Object.entries(h.inCustody).map(([asset, amount]) => `${amount} ${asset}`);
  lines.push(`  In custody:  ${held.join(', ') || 'nothing'}`);
  const not = [
    h.options.notResumable ? `no RESUME or AMEND (${h.options.notResumable})` : '',
    !h.options.notResumable && h.options.notAmendable ? `no AMEND (${h.options.notAmendable})` : '',
    h.options.notClosable ? `no CLOSE (${h.options.notClosable})` : '',
    !h.options.notClosable && h.options.notToOwner ? `no CLOSE to OWNER (${h.options.notToOwner})` : '',
    !h.options.notClosable && h.options.notToCustody ? `no CLOSE to CUSTODY (${h.options.notToCustody})` : '',
  ].filter(Boolean);
  if (not.length) lines.push(`  Not open:    ${not.join('; ')}`);
  const r = h.resolution;
  if (!r) {
    lines.push('  Resolution:  awaited (HOLD_RESOLUTION: two supervisors, each with a reason)');
    return lines;
  }
  const path =
    r.path === 'AMEND'
      ? `AMEND: dispose of ${r.dispose.map((l) => `${l.amount} ${l.asset}`).join(', ')}`
      : r.path === 'CLOSE'
        ? r.handBackTo === 'OWNER'
          ? `CLOSE: hand back to the OWNER ${r.owner.name} on ${r.owner.courtOrder} (${r.owner.addresses.map((a) => `${a.asset} to ${a.address}`).join(', ')})`
          : `CLOSE: hand back to ${r.handBackTo}`
        : 'RESUME';
  lines.push(`  Resolution:  ${path}`);
  for (const a of r.approvedBy) lines.push(`    approved by ${a.decidedBy} at ${a.decidedAt}: ${a.reason}`);
  for (const t of h.handBack?.transfers ?? []) {
    lines.push(
      `    handed back ${t.netAmount} ${t.asset} to ${t.toAddress} (fee ${t.fee}, tx ${t.txHash || '-'}, ${t.status})`,
    );
  }
  if (r.outcome) lines.push(`  Taken:       ${r.outcome}`);
  return lines;
}

/** The HOLD_RESOLUTION options of `vcdc decide`. */
export interface HoldResolutionOptions {
  dispose?: string;
  handBackTo?: string;
  courtOrder?: string;
  ownerName?: string;
  ownerAddress?: string;
}

/** "BTC=1,eth=2.5" as [{asset: 'BTC', value: '1'}, ...] (the value as given, trimmed). */
function assetPairs(text: string | undefined): Array<{ asset: string; value: string }> {
  return (text ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const [asset, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      return { asset: asset.trim().toUpperCase(), value: value.trim() };
    });
}

/** `--resolve` and its options as the HOLD_RESOLUTION's resolution (the control API and the workflow check it). */
export function holdResolution(resolve: string, o: HoldResolutionOptions = {}): Record<string, unknown> {
  const path = resolve.toUpperCase();
  if (path === 'AMEND') {
    return { path, dispose: assetPairs(o.dispose).map(({ asset, value }) => ({ asset, amount: value })) };
  }
  if (path === 'CLOSE') {
    const handBackTo = (o.handBackTo ?? '').toUpperCase();
    if (handBackTo !== 'OWNER') return { path, handBackTo };
    const owner = {
      courtOrder: o.courtOrder ?? '',
      name: o.ownerName ?? '',
      addresses: assetPairs(o.ownerAddress).map(({ asset, value }) => ({ asset, address: value })),
    };
    return { path, handBackTo, owner };
  }
  return { path };
}

/** The totals across lots per asset, each with its base units ("short  0.00013  13,000 satoshi"); none: no lines. */
function totalsAcrossLots(amounts: CaseView['amounts']): string[] {
  const totals = amounts?.totals ?? [];
  if (!totals.length) return [];
  const rows: string[][] = [];
  for (const t of totals) {
    const row = (what: string, a: UnitAmount) =>
      rows.push([t.asset, String(t.lots), what, a.amount, `${units(a)} ${t.unit}`]);
    row('declared', t.declared);
    for (const line of TOTAL_LINES) {
      const a = t[line];
      if (!a) continue;
      // A negative difference is what the auditor calls short: say so, with the amount as a positive.
      if (line === 'difference' && a.amount.startsWith('-')) row('short', negate(a));
      else if (line === 'difference' && a.amount !== '0') row('excess', a);
      else row(TOTAL_LABELS[line], a);
    }
  }
  return ['', 'Totals across lots:', indent(table(['ASSET', 'LOTS', 'WHAT', 'AMOUNT', 'BASE UNITS'], rows))];
}

/** What became of a leftover (cases since dust-residuals), after its reason. */
function leftoverSettled(s: NonNullable<CaseView['leftovers']>[number]['settled']): string {
  if (!s) return '';
  if (s.how === 'RETURNED_TO_CUSTODY') return `; returned to custody (${s.received} booked, tx ${s.txHash})`;
  if (s.how === 'RESIDUAL_AT_VENUE') return `; booked at the venue in the case's name (${s.residualId})`;
  return `; not settled: ${s.why ?? ''}`;
}

/** The case statement (GET /v1/cases/:caseId/statement) as `vcdc statement` prints it. */
export interface StatementView {
  caseId: string;
  agency?: string;
  stage?: string;
  status?: string;
  values?: {
    currency: string;
    atSeizure?: {
      valueCny: string;
      usdCny: string;
      rateDate: string;
      lines: { asset: string; amount: UnitAmount; priceUsd: string; valueCny: string }[];
    };
    atDisposal?: {
      proceeds: { currency: string; amount: string }[];
      valueCny?: string;
      baseUnits?: { unit: string; valueCny: string };
    };
    distributed?: {
      toTreasury: string;
      toVictims: string;
      toOwner: string;
      valueCny: string;
      baseUnits: { unit: string; valueCny: string };
    };
  };
  amounts?: CaseView['amounts'];
  leftovers?: { asset: string; amount: string; reason: string; outcome: string }[];
  /** When the case's money was corrected: the books as they stand now, each correction with both versions. */
  corrected?: {
    reconciles: boolean;
    creditedCny: string;
    remittedCny: string;
    recoverableCny: string;
    followUpsDueCny: string;
    corrections: Array<{
      settlementId: string;
      correctionId: string;
      before: { rate: string; cnyAmount: string };
      after: { rate: string; cnyAmount: string };
      author: string;
      approver?: string;
      reason: string;
    }>;
  };
}

/** The `statement` text: the case's three values (at seizure, at disposal, distributed) and its totals across lots. */
export function renderStatement(s: StatementView): string {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`${`${name}:`.padEnd(14)} ${value}`);
  out.push(`Statement of case ${s.caseId}${s.agency ? ` (${s.agency})` : ''}`);
  field('Stage', s.stage ?? '-');
  field('Status', s.status ?? '-');
  out.push('');
  const v = s.values;
  const fen = (b: { unit: string; valueCny: string } | undefined) =>
    b ? ` (${groupDigits(BigInt(b.valueCny))} ${b.unit})` : '';
  if (v?.atSeizure) {
    const a = v.atSeizure;
    field(
      'At seizure',
      `CNY ${a.valueCny}  (the verified intake at the reference price, USD/CNY ${a.usdCny} of ${a.rateDate})`,
    );
    out.push(
      indent(
        table(
          ['ASSET', 'AMOUNT', 'BASE UNITS', 'PRICE', 'VALUE'],
          a.lines.map((l) => [
            l.asset,
            l.amount.amount,
            `${units(l.amount)} ${unitName(l.asset)}`,
            `at USD ${l.priceUsd}`,
            `CNY ${l.valueCny}`,
          ]),
        ),
        '    ',
      ),
    );
  } else {
    field('At seizure', 'not yet valued (the intake is valued when the disposal plan is asked for)');
  }
  const d = v?.atDisposal;
  if (d) {
    const proceeds = d.proceeds.map((p) => `${p.currency} ${p.amount}`).join(', ');
    field(
      'At disposal',
      d.valueCny
        ? `CNY ${d.valueCny}${fen(d.baseUnits)} credited; proceeds ${proceeds || 'none in fiat'}`
        : `proceeds ${proceeds} (not yet settled into CNY)`,
    );
  } else {
    field('At disposal', 'not yet');
  }
  const t = v?.distributed;
  if (t) {
    field(
      'Distributed',
      `CNY ${t.valueCny}${fen(t.baseUnits)}: treasury ${t.toTreasury}, victims ${t.toVictims}, owner ${t.toOwner}`,
    );
  } else {
    field('Distributed', 'not yet');
  }
  if (s.leftovers?.length) {
    out.push('', 'Left over from the sale:');
    out.push(
      indent(
        table(
          ['ASSET', 'AMOUNT', 'WHY', 'WHERE IT IS'],
          s.leftovers.map((l) => [l.asset, l.amount, l.reason, l.outcome]),
        ),
      ),
    );
  }
  const c = s.corrected;
  if (c) {
    // The values above are as the case recorded them; the books, corrected since, say this now.
    field(
      'Corrected',
      `credited CNY ${c.creditedCny}, remitted ${c.remittedCny}, owed back ${c.recoverableCny}, follow-ups due ${c.followUpsDueCny}; ${c.reconciles ? 'the books reconcile' : 'the books DO NOT reconcile'}`,
    );
    for (const k of c.corrections) {
      out.push(
        `    settlement ${k.settlementId}: rate ${k.before.rate} -> ${k.after.rate}, CNY ${k.before.cnyAmount} -> ${k.after.cnyAmount} (${k.correctionId}, ${k.author}, approved by ${k.approver ?? '-'}: ${k.reason})`,
      );
    }
  }
  out.push(...totalsAcrossLots(s.amounts));
  return out.join('\n');
}

function unitName(asset: string): string {
  return (BASE_UNIT_NAMES as Record<string, string>)[asset] ?? asset;
}

/** Base units grouped for reading ("13,000"); "?" where the status could not give them. */
function units(a: UnitAmount): string {
  return a.baseUnits === undefined ? '?' : groupDigits(BigInt(a.baseUnits));
}

function negate(a: UnitAmount): UnitAmount {
  const drop = (s: string) => s.replace(/^-/, '');
  return { amount: drop(a.amount), ...(a.baseUnits === undefined ? {} : { baseUnits: drop(a.baseUnits) }) };
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}

interface GlobalOptions {
  json?: boolean;
  api?: string;
  token?: string;
}

/** Run `vcdc` with these arguments (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], partialIo: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    fetch: (...args) => fetch(...args),
    now: () => new Date(),
    ...partialIo,
  };
  const println = (t: string) => io.out(`${t}\n`);
  const printJson = (v: unknown) => println(JSON.stringify(v, null, 2));

  const clientFor = (cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const json = Boolean(g.json);
    const token = g.token ?? io.env.VCDC_TOKEN;
    return { api: new ControlApiClient(g.api ?? io.env.VCDC_API_URL ?? DEFAULT_API_URL, token, io.fetch), json };
  };

  const program = new Command('vcdc')
    .description('Follow VCDC cases and take decisions through the control API')
    .option('--json', 'print the control API answers as JSON')
    .option('--api <url>', `the control API (default: VCDC_API_URL or ${DEFAULT_API_URL})`)
    .option('--token <jwt>', 'bearer token (default: VCDC_TOKEN)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('cases')
    .description('list cases (Temporal visibility, through the control API)')
    .option('--status <status>', 'RUNNING, AWAITING_DECISION, COMPLETED, REJECTED, HELD, FAILED, ...')
    .option('--stage <stage>', 'INTAKE, AUTHORISATION, TRANSFER, SALE, WITHDRAWAL, FX, TREASURY, RECONCILIATION')
    .option('--agency <agency>', 'the seizing agency')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (opts: { status?: string; stage?: string; agency?: string; limit: string }, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const body = (await api.call('listCases', {
        query: {
          status: opts.status?.toUpperCase(),
          stage: opts.stage?.toUpperCase(),
          agency: opts.agency,
          limit: opts.limit,
        },
      })) as { cases: CaseSummary[] };
      if (json) return printJson(body);
      if (!body.cases.length) return println('no cases');
      println(
        table(
          ['CASE', 'AGENCY', 'STAGE', 'STATUS', 'STARTED'],
          body.cases.map((c) => [
            c.caseId,
            c.agency ?? '-',
            c.stage ?? '-',
            `${c.status ?? '-'}${c.execution !== 'RUNNING' ? ` (${c.execution.toLowerCase()})` : ''}`,
            c.startTime,
          ]),
        ),
      );
    });

  program
    .command('show')
    .description('one case: stage, status, the pending decision and its deadline, lots, amounts so far, refusals')
    .argument('<caseId>')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const body = (await api.call('getCase', { params: { caseId } })) as CaseView;
      if (json) return printJson(body);
      println(renderCase(body, io.now()));
    });

  program
    .command('statement')
    .description('the case statement: its value at seizure, at disposal and distributed; amounts in base units')
    .argument('<caseId>')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const body = (await api.call('getCaseStatement', { params: { caseId } })) as StatementView;
      if (json) return printJson(body);
      println(renderStatement(body));
    });

  program
    .command('pending')
    .description('cases waiting for a decision, and what each waits for')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (opts: { limit: string }, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const { cases } = (await api.call('listCases', {
        query: { status: 'AWAITING_DECISION', limit: opts.limit },
      })) as { cases: CaseSummary[] };
      // Visibility lags the workflow a little: each case's own status says what it waits for now.
      const views = await Promise.all(
        cases.map((c) =>
          api
            .call('getCase', { params: { caseId: c.caseId } })
            .then((answer) => answer as CaseView)
            .then(
              (v) => ({ summary: c, awaiting: v.awaiting, status: v.status }),
              (error: unknown) => ({ summary: c, awaiting: undefined, status: undefined, error: String(error) }),
            ),
        ),
      );
      const pending = views.filter((v) => v.awaiting || v.status === undefined);
      if (json) return printJson({ pending });
      if (!pending.length) return println('no case is waiting for a decision');
      const now = io.now();
      println(
        table(
          ['CASE', 'AGENCY', 'AWAITS', 'DECIDED BY', 'SINCE', 'DEADLINE'],
          pending.map(({ summary, awaiting }) =>
            awaiting
              ? [
                  summary.caseId,
                  summary.agency ?? '-',
                  awaiting.stage,
                  decidingRoleOf(awaiting),
                  awaiting.since,
                  when(awaiting.deadline, now),
                ]
              : [summary.caseId, summary.agency ?? '-', '?', '?', '-', 'status unavailable'],
          ),
        ),
      );
    });

  program
    .command('decide')
    .description('approve or reject the decision a case waits for, as the person of the token')
    .argument('<caseId>')
    .argument('<stage>', 'the decision stage, e.g. DISPOSAL_PLAN, FX_DECLARATION, REMITTANCE')
    .addArgument(new Argument('<outcome>', 'approve or reject').choices(['approve', 'reject', 'APPROVE', 'REJECT']))
    .option('--reason <text>', 'why (required to reject)')
    .option('--reference <ref>', "an outside reference (FX_DECLARATION: the regulator's reference, required)")
    .option('--amount <amount>', "FX_SETTLEMENT: the tranche's foreign amount, as the bank settled it")
    .option('--bank-reference <ref>', "FX_SETTLEMENT: the bank's reference")
    .option('--bank-charges <amount>', "FX_SETTLEMENT: the settling bank's charges (foreign currency)")
    .option('--correspondent-fees <amount>', 'FX_SETTLEMENT: intermediary fees deducted on the way')
    .option('--judgment-ref <ref>', "JUDGMENT: the court's judgment reference")
    .option('--document-hash <sha256>', "JUDGMENT: SHA-256 of the judgment's document")
    .option('--judgment-outcome <outcome>', 'JUDGMENT: CONFISCATION, RESTITUTION or ACQUITTAL')
    .option('--resolve <path>', 'HOLD_RESOLUTION: RESUME, AMEND or CLOSE (two supervisors approve the same)')
    .option(
      '--dispose <asset=amount,...>',
      'HOLD_RESOLUTION AMEND: what of each asset to dispose of, e.g. BTC=1,ETH=2.5',
    )
    .option('--hand-back-to <whom>', 'HOLD_RESOLUTION CLOSE: CUSTODY or OWNER')
    .option('--court-order <ref>', "HOLD_RESOLUTION CLOSE to OWNER: the court's order to hand the property back")
    .option('--owner-name <name>', 'HOLD_RESOLUTION CLOSE to OWNER: who receives it, as the order names them')
    .option(
      '--owner-address <asset=address,...>',
      "HOLD_RESOLUTION CLOSE to OWNER: the owner's address for each asset custody holds, e.g. BTC=bc1q...,ETH=0x...",
    )
    .action(
      async (
        caseId: string,
        stage: string,
        outcome: string,
        opts: {
          reason?: string;
          reference?: string;
          amount?: string;
          bankReference?: string;
          bankCharges?: string;
          correspondentFees?: string;
          judgmentRef?: string;
          documentHash?: string;
          judgmentOutcome?: string;
          resolve?: string;
          dispose?: string;
          handBackTo?: string;
          courtOrder?: string;
          ownerName?: string;
          ownerAddress?: string;
        },
        cmd: Command,
      ) => {
        const { api, json } = clientFor(cmd);
        const settlement = {
          ...(opts.amount !== undefined ? { amount: opts.amount } : {}),
          ...(opts.bankReference !== undefined ? { bankReference: opts.bankReference } : {}),
          ...(opts.bankCharges !== undefined ? { bankCharges: opts.bankCharges } : {}),
          ...(opts.correspondentFees !== undefined ? { correspondentFees: opts.correspondentFees } : {}),
        };
        const judgment = {
          ...(opts.judgmentRef !== undefined ? { judgmentRef: opts.judgmentRef } : {}),
          ...(opts.documentHash !== undefined ? { documentHash: opts.documentHash } : {}),
          ...(opts.judgmentOutcome !== undefined ? { outcome: opts.judgmentOutcome.toUpperCase() } : {}),
        };
        const body = {
          stage: stage.toUpperCase(),
          outcome: outcome.toUpperCase(),
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
          ...(opts.reference !== undefined ? { reference: opts.reference } : {}),
          ...(Object.keys(settlement).length ? { settlement } : {}),
          ...(Object.keys(judgment).length ? { judgment } : {}),
          ...(opts.resolve !== undefined ? { resolution: holdResolution(opts.resolve, opts) } : {}),
        };
        // What the person typed, sent as it is: the control API checks it, and a refusal names the field.
        const accepted = (await api.call('decide', {
          params: { caseId },
          body: body as ControlBody<'decide'>,
        })) as DecisionAccepted;
        if (json) return printJson(accepted);
        const d = accepted.decision;
        const quorum = accepted.approvals
          ? ` (approvals ${accepted.approvals.given} of ${accepted.approvals.required})`
          : '';
        println(`${caseId}: ${d.stage} ${d.outcome} by ${d.decidedBy} (${d.role}) accepted${quorum}`);
        println(`case is now ${accepted.movesTo.stage} / ${accepted.movesTo.status}`);
      },
    );

  program
    .command('notifications')
    .description('reminders, escalations, deadlines and holds addressed to your roles (auditors, operators: all)')
    .option('--case <caseId>', 'of one case')
    .option('--role <role>', 'addressed to this role')
    .option('--kind <kind>', 'REMINDER, ESCALATION, DEADLINE_PASSED, CASE_HELD, CASE_CANCELLED, DEPOSIT_HELD')
    .option('--since <iso>', 'stored at or after this time')
    .option('--limit <n>', 'at most this many', '100')
    .action(
      async (opts: { case?: string; role?: string; kind?: string; since?: string; limit: string }, cmd: Command) => {
        const { api, json } = clientFor(cmd);
        const query = { role: opts.role, kind: opts.kind?.toUpperCase(), since: opts.since, limit: opts.limit };
        const body = (await (opts.case
          ? api.call('listCaseNotifications', { params: { caseId: opts.case }, query })
          : api.call('listNotifications', { query }))) as { notifications: StoredNotification[] };
        if (json) return printJson(body);
        if (!body.notifications.length) return println('no notifications');
        println(
          table(
            ['STORED', 'CASE', 'KIND', 'TO', 'STAGE', 'MESSAGE'],
            body.notifications.map((n) => [n.storedAt, n.caseId, n.kind, n.toRole, n.stage ?? '-', n.message]),
          ),
        );
      },
    );

  addActCommands(program, { clientFor, println, printJson, table });
  addDossierCommands(program, { clientFor, println, printJson, table });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // help (0) or a usage error, already printed
    if (error instanceof ApiError) {
      io.err(`${error.message}\n`);
      if (error.status === 401 && !(program.opts<GlobalOptions>().token ?? io.env.VCDC_TOKEN)) {
        io.err(
          'set VCDC_TOKEN to your bearer token (dev stack: export VCDC_TOKEN=$(node --import tsx cli/src/dev-token.ts supervisor.li))\n',
        );
      }
      return 1;
    }
    if (error instanceof CaseFileRejected) {
      io.err(`vcdc: case file rejected: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ActOutcomeUnknown) {
      io.err(`${error.message}\n`);
      return 1;
    }
    io.err(`vcdc: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
