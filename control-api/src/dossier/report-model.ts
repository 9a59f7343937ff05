/**
 * What the readable report says, computed once from the case file's sources; report-html.ts and
 * report-pdf.ts only lay it out. The public summary carries what may be published (as Saxony's
 * disposal report does: amounts to the cent, the period, the venue, the method, the fees and the
 * case's three values); the confidential annex carries who and where (parties, addresses, txids,
 * bank references, decisions and refusals).
 */
import { Decimal } from '@vcdc/shared';
import { caseValues } from '@vcdc/workflows/workflow/case-values';
import { transferState } from '@vcdc/workflows/workflow/transfer-state';
import type { CaseFileSources } from './sources';

export type ReportBlock =
  | { kind: 'facts'; title: string; rows: Array<[string, string]> }
  | { kind: 'table'; title: string; header: string[]; rows: string[][]; empty?: string };

export interface CaseReport {
  title: string;
  caseId: string;
  generatedAt: string;
  publicSummary: ReportBlock[];
  confidentialAnnex: ReportBlock[];
}

interface RegistrationLike {
  legalBasis?: { reference?: string; documentSha256?: string };
  lots?: Array<{ lotId: string; asset: string; declaredAmount: string }>;
  disposal?: {
    venue?: string;
    stablecoin?: string;
    fiat?: string;
    execution?: { slices?: number; horizonSeconds?: number };
  };
}

const FIAT = new Set(['CNY', 'USD', 'HKD']);

/** A fiat amount to the cent ("25.00"); anything finer (an exact FX product) and any coin stays exact. */
function inCents(amount: Decimal, currency: string): string {
  return FIAT.has(currency) && amount.decimalPlaces() <= 2 ? amount.toFixed(2) : amount.toFixed();
}

/** Amounts added up per currency, each sum as a decimal string. */
function totals(items: Array<{ currency: string; amount: string }>): Map<string, string> {
  const sums = new Map<string, Decimal>();
  for (const i of items) sums.set(i.currency, (sums.get(i.currency) ?? new Decimal(0)).plus(i.amount));
  return new Map([...sums].map(([c, d]) => [c, inCents(d, c)]));
}

export function caseReport(s: CaseFileSources, generatedAt: string): CaseReport {
  const p = s.progress;
  const reg = (s.registration ?? {}) as RegistrationLike;
  const values = caseValues(p);
  const registeredAt = s.auditRecords.find((r) => r.kind === 'case.registered')?.at ?? s.auditRecords[0]?.at;
  const times = [...p.decisions.accepted.map((d) => d.decidedAt), ...s.treasuryStatement.lines.map((l) => l.at)].sort();
  const ended = ['COMPLETED', 'REJECTED', 'FAILED', 'CANCELLED', 'CLOSED'].includes(p.status);
  const period = `${registeredAt ?? '?'} to ${ended ? (times.at(-1) ?? '?') : 'ongoing'}`;
  const declared = totals((reg.lots ?? []).map((l) => ({ currency: l.asset, amount: l.declaredAmount })));
  const execution = reg.disposal?.execution;
  const method = [
    ...p.routes.map((r) =>
      r.route === 'DIRECT'
        ? `${r.asset} sold on ${r.directSymbol}`
        : `${r.asset} sold for ${reg.disposal?.stablecoin ?? 'the stablecoin'}, then for ${reg.disposal?.fiat ?? 'fiat'}`,
    ),
    execution ? `limit orders in ${execution.slices} slice(s) over ${execution.horizonSeconds} s per lot` : '',
  ].filter(Boolean);

  const fees: string[][] = [];
  const networkFees = totals(
    p.transfers
      .flatMap((t) => [t.testTransfer, t.transfer])
      .flatMap((x) => (x ? [{ currency: x.asset, amount: x.fee }] : [])),
  );
  for (const [c, a] of networkFees) fees.push(['network fees (custody to venue)', c, a]);
  const tradingFees = totals(
    s.exchangeStatement.orders.flatMap((o) => (o.feeCurrency ? [{ currency: o.feeCurrency, amount: o.fee }] : [])),
  );
  for (const [c, a] of tradingFees) fees.push(['venue trading fees', c, a]);
  const feeKinds: Record<string, string> = {
    VENUE_WITHDRAWAL_FEE: 'venue withdrawal fee',
    CORRESPONDENT_FEES: 'correspondent fees',
    BANK_CHARGES: 'bank charges',
    FX_SPREAD: 'FX spread',
    ROUNDING: 'rounding',
  };
  for (const [kind, label] of Object.entries(feeKinds)) {
    const lines = s.waterfalls.flatMap((w) => w.lines.filter((l) => l.kind === kind));
    for (const [c, a] of totals(lines)) fees.push([label, c, inCents(new Decimal(a).abs(), c)]);
  }

  const v = values;
  const valueRows: string[][] = [
    [
      'at seizure (valuation)',
      v.atSeizure ? `${v.atSeizure.valueCny} CNY` : '-',
      v.atSeizure ? `USD/CNY ${v.atSeizure.usdCny} of ${v.atSeizure.rateDate}` : '',
    ],
    ...(v.atDisposal?.proceeds ?? []).map((x) => [
      'at disposal (sale proceeds)',
      `${x.amount} ${x.currency}`,
      'net of the venue fees in that currency',
    ]),
    [
      'at disposal (credited)',
      v.atDisposal?.valueCny ? `${v.atDisposal.valueCny} CNY` : '-',
      'to the special case-property account',
    ],
    [
      'distributed',
      v.distributed ? `${v.distributed.valueCny} CNY` : '-',
      v.distributed
        ? `treasury ${v.distributed.toTreasury}, victims ${v.distributed.toVictims}, owner ${v.distributed.toOwner}`
        : '',
    ],
  ];

  const recon = s.books.reconciliation;
  const publicSummary: ReportBlock[] = [
    {
      kind: 'facts',
      title: 'The disposal',
      rows: [
        ['Case', `${p.caseId} (${p.agency})`],
        ['Legal basis', reg.legalBasis?.reference ?? '-'],
        ['Period', period],
        ['Venue', reg.disposal?.venue ?? p.authorisationRequested?.venue ?? '-'],
        ['Method', method.join('; ') || '-'],
        ['Seized (declared)', [...declared].map(([a, amt]) => `${amt} ${a}`).join(', ') || '-'],
        ['Outcome', `${p.stage}, ${p.status}${p.reason ? `: ${p.reason}` : ''}`],
        [
          'Reconciliation',
          `${recon.ok ? 'reconciles' : 'does NOT reconcile'} (${recon.phase}, ${recon.checks.filter((c) => c.pass).length} of ${recon.checks.length} checks pass)`,
        ],
      ],
    },
    { kind: 'table', title: 'The three values', header: ['VALUE', 'AMOUNT', 'NOTE'], rows: valueRows },
    {
      kind: 'table',
      title: 'Sales',
      header: ['LOT', 'SYMBOL', 'SOLD', 'PROCEEDS', 'AVERAGE PRICE', 'FILLS', 'LEGAL FLOOR'],
      rows: s.bestExecution.lots.map((l) => [
        l.lotId,
        l.symbol,
        l.sold,
        l.proceeds,
        l.averagePrice ?? '-',
        String(l.fillCount),
        l.floor.result,
      ]),
      empty: 'nothing sold',
    },
    { kind: 'table', title: 'Fees and charges', header: ['WHAT', 'CURRENCY', 'AMOUNT'], rows: fees, empty: 'none' },
  ];

  const deciders = [...new Set(p.decisions.accepted.map((d) => `${d.decidedBy} (${d.role}, ${d.unit})`))];
  const victims = s.victimStatements.map((vs) => [vs.victimId, vs.name, vs.loss, vs.totalPaid, vs.outstanding]);
  const transfers: string[][] = p.transfers.flatMap((t) =>
    (
      [
        ['test deposit', t.testTransfer, t.testDeposit],
        ['to venue', t.transfer, t.deposit],
      ] as const
    ).flatMap(([what, x, deposit]) => {
      if (!x) return [];
      const hold = t.hold?.txHash === x.txHash ? t.hold : undefined;
      return [[what, `${x.amount} ${x.asset}`, x.toAddress, x.txHash || '-', transferState(x, deposit, hold)]];
    }),
  );
  for (const r of p.returns ?? [])
    transfers.push([
      'return to custody',
      `${r.received ?? r.amount} ${r.asset}`,
      'case wallet',
      r.txHash ?? '-',
      r.status,
    ]);
  for (const h of p.holds ?? [])
    for (const t of h.handBack?.transfers ?? [])
      transfers.push(['hand-back to owner', `${t.netAmount} ${t.asset}`, t.toAddress, t.txHash || '-', t.status]);
  const bank = [
    ...s.declarations.flatMap((d) =>
      d.settlements.map((st) => [
        'FX settlement',
        `${st.foreignAmount} ${d.currency} -> ${st.cnyAmount} CNY at ${st.rate}`,
        st.bankReference,
      ]),
    ),
    ...(p.remittance
      ? [
          [
            'remittance',
            `${p.remittance.amount} CNY`,
            `voucher ${p.remittance.voucherNo}, receipt ${p.remittance.receiptNo}`,
          ],
        ]
      : []),
  ];
  const confidentialAnnex: ReportBlock[] = [
    {
      kind: 'facts',
      title: 'Parties',
      rows: [
        ['Requested by', p.requestedBy],
        ['Decided by', deciders.join('; ') || '-'],
        ['Legal basis document', reg.legalBasis?.documentSha256 ?? '-'],
        ...(p.restitutionOrder
          ? ([['Restitution order', `${p.restitutionOrder.courtOrderRef} (${p.restitutionOrder.method})`]] as Array<
              [string, string]
            >)
          : []),
      ],
    },
    {
      kind: 'table',
      title: 'Victims',
      header: ['ID', 'NAME', 'LOSS', 'PAID', 'OUTSTANDING'],
      rows: victims,
      empty: 'no restitution order',
    },
    {
      kind: 'table',
      title: 'Transfers and txids',
      header: ['WHAT', 'AMOUNT', 'TO', 'TXID', 'STATE'],
      rows: transfers,
      empty: 'no transfer',
    },
    {
      kind: 'table',
      title: 'Bank slips and vouchers',
      header: ['WHAT', 'AMOUNT', 'REFERENCE'],
      rows: bank,
      empty: 'none',
    },
    {
      kind: 'table',
      title: 'Decisions',
      header: ['AT', 'STAGE', 'OUTCOME', 'BY', 'REASON / REFERENCE'],
      rows: p.decisions.accepted.map((d) => [
        d.decidedAt,
        d.stage,
        d.outcome,
        `${d.decidedBy} (${d.role})`,
        [d.reason, d.reference].filter(Boolean).join(' / '),
      ]),
      empty: 'none',
    },
    {
      kind: 'table',
      title: 'Refused decisions',
      header: ['AT', 'REFUSAL', 'WHY'],
      rows: p.decisions.refused.map((r) => [r.at, r.code, r.reason]),
      empty: 'none',
    },
  ];
  return { title: `Case file ${p.caseId}`, caseId: p.caseId, generatedAt, publicSummary, confidentialAnnex };
}
