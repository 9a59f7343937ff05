/**
 * End to end: one case with a BTC lot, a USDT lot and an ETH lot goes from custody to the treasury on
 * the real Temporal dev server, real PostgreSQL, the chain and venue simulators (the venue through real
 * ccxt over HTTP) and the FX-rate source — the same story the dev stack's demo plays. ETH and USDT are
 * swept, verified and moved on the local EVM node; the BTC lot (a chain custody does not watch) enters
 * custody through two custodians' attestations. Then value is
 * checked for conservation against each service's OWN records (and the chain), not the workflow's memory.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type contracts, Decimal, dec, type ServiceCallError, ServiceClient, sum, toBaseUnits } from '@vcdc/shared';
import { unzipSync, zipSync } from 'fflate';
import { chromium } from 'playwright-core';
import { runCli } from '../../cli/src/vcdc';
import { checkCaseFile } from '../../control-api/src/dossier/archive';
import { readVerifyKeys } from '../../control-api/src/dossier/verify-keys';
import {
  DEMO_BANK_CHARGES,
  DEMO_CORRESPONDENT_FEES,
  DEMO_LOTS,
  type DemoCaseProgress,
  runDemoCase,
} from '../../scripts/demo/demo-case';
import { evmTransfer, sweepOnEvm } from '../../simulators/src/evm';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import type { CaseStatement } from '../../workflows/src/workflow/case-values';
import { readCaseAsAuditor, startTestStack, type TestStack } from './stack';

jest.setTimeout(240_000);

let stack: TestStack;
let outcome: DemoCaseProgress;
let progress: CaseProgress;
const caseId = 'E2E-CASE-1';

const client = (service: string, baseUrl: string) => new ServiceClient({ service, baseUrl });

beforeAll(async () => {
  stack = await startTestStack();
  outcome = await runDemoCase({
    urls: stack.urls,
    log: () => undefined,
    caseId,
    timeoutMs: 180_000,
    token: (person) => stack.issuer.mint(person),
  });
  progress = await readCaseAsAuditor(stack, caseId);
});

afterAll(async () => {
  await stack?.close();
});

test('the case passes every stage and completes, approved by the supervisor and the FX officer', () => {
  expect(outcome.reason).toBeUndefined();
  expect(outcome.status).toBe('COMPLETED');
  expect(progress.stage).toBe('RECONCILIATION');
  expect(progress.decisions.accepted.map((d) => [d.stage, d.decidedBy])).toEqual([
    ['DISPOSAL_PLAN', 'supervisor.li'],
    ['FX_DECLARATION', 'fx.officer.wang'],
    ['FX_SETTLEMENT', 'fx.officer.wang'],
    ['REMITTANCE', 'supervisor.li'],
  ]);
  expect(progress.reconciliation?.ok).toBe(true);
  expect(progress.remittance?.receiptNo).toMatch(/\S/);
});

test('ETH and USDT intakes were verified on chain; the BTC intake was attested by two distinct custodians', async () => {
  for (const lot of DEMO_LOTS) {
    const intake = progress.intakes.find((i) => i.lotId === lot.lotId);
    expect(intake).toMatchObject({ asset: lot.asset, status: 'RECEIVED', verification: lot.verification ?? 'CHAIN' });
  }
  const btc = DEMO_LOTS.find((l) => l.verification === 'ATTESTED');
  const attested = await client('custody', stack.urls.custody).get<contracts.custody.AttestedIntake>(
    `/v1/attestations/${caseId}/${btc?.lotId}`,
  );
  expect(attested.status).toBe('RECEIVED');
  expect(attested.attestations.map((a) => a.attestedBy)).toEqual(['custodian.chen', 'custodian.liu']);
  expect(attested.intake?.intakeId).toBe(progress.intakes.find((i) => i.lotId === btc?.lotId)?.intakeId);
});

test('the case can be found in Temporal visibility by its CaseId search attribute', async () => {
  let found: string[] = [];
  // Visibility is eventually consistent; under a loaded CI machine it can lag by seconds. Poll up to 60 s.
  for (let i = 0; i < 240 && found.length === 0; i++) {
    found = [];
    for await (const wf of stack.client.workflow.list({ query: `CaseId = "${caseId}"` })) found.push(wf.workflowId);
    if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
  }
  expect(found).toEqual([`case-${caseId}`]);
});

describe('conservation of value, checked against each service’s own records', () => {
  let ledger: contracts.custody.CustodyLedger;
  let statement: contracts.exchange.ExchangeStatement;
  let declarations: contracts.fx.Declaration[];
  let treasuryStatement: contracts.treasury.CaseStatement;

  beforeAll(async () => {
    ledger = await client('custody', stack.urls.custody).get(`/v1/cases/${caseId}/ledger`);
    statement = await client('exchange', stack.urls.exchange).get(`/v1/cases/${caseId}/statement`);
    declarations = await client('fx', stack.urls.fx).get(`/v1/cases/${caseId}/declarations`);
    treasuryStatement = await client('treasury', stack.urls.treasury).get(`/v1/cases/${caseId}/statement`);
  });

  const entries = (asset: string, kind?: string) =>
    ledger.entries
      .filter((e) => e.asset === asset && (kind === undefined || e.kind === kind))
      .map((e) => dec(e.amount));

  test.each(DEMO_LOTS)(
    '$asset: received in custody = declared, and all of it left custody (sent + network fee)',
    (lot) => {
      expect(sum(entries(lot.asset, 'INTAKE')).eq(lot.amount)).toBe(true);
      expect(sum(entries(lot.asset)).isZero()).toBe(true);
      expect(dec(ledger.balances[lot.asset] ?? '0').isZero()).toBe(true);
    },
  );

  test.each(DEMO_LOTS)(
    '$asset: what the venue credited = what custody sent net of the network fee, on chain (test deposit, then the rest)',
    async (lot) => {
      const sentNet = sum(entries(lot.asset, 'TRANSFER_OUT')).negated();
      const deposits = statement.deposits.filter((d) => d.asset === lot.asset && d.status === 'CREDITED');
      // Each transfer credited once; the first to a new address is the small test deposit.
      const transfers = progress.transfers.find((t) => t.asset === lot.asset);
      const txs = [transfers?.testTransfer?.txHash, transfers?.transfer?.txHash].filter((h): h is string => !!h);
      expect(deposits.map((d) => d.txHash).sort()).toEqual([...txs].sort());
      expect(sum(deposits.map((d) => d.amount)).eq(sentNet)).toBe(true);
      for (const deposit of deposits) {
        // ETH/USDT moved on the local EVM node, BTC on the ledger chain.
        const tx =
          lot.chain === 'ethereum'
            ? await evmTransfer(stack.urls.evm, deposit.txHash)
            : await client('chain', stack.urls.chain).get<{ amount: string; status: string }>(
                `/v1/chains/${lot.chain}/transactions/${deposit.txHash}`,
              );
        expect(tx.status).toBe('CONFIRMED');
        expect(dec(tx.amount).eq(deposit.amount)).toBe(true);
      }
    },
  );

  test.each(DEMO_LOTS.filter((l) => l.asset !== 'USDT'))(
    '$asset sold on the route the case chose = $asset credited at the venue (less any recorded leftover)',
    (lot) => {
      const deposited = sum(statement.deposits.filter((d) => d.asset === lot.asset).map((d) => d.amount));
      const route = progress.routes.find((r) => r.asset === lot.asset);
      expect(route?.lot).toBe(dec(deposited).toFixed());
      const [sellFor, notFor] = route?.route === 'DIRECT' ? ['USD', 'USDT'] : ['USDT', 'USD'];
      const orders = statement.orders.filter((o) => o.symbol === `${lot.asset}/${sellFor}`);
      expect(orders.length).toBeGreaterThan(0);
      expect(statement.orders.filter((o) => o.symbol === `${lot.asset}/${notFor}`)).toEqual([]);
      const sold = sum(orders.map((o) => o.filled));
      const leftover = sum(progress.leftovers.filter((l) => l.asset === lot.asset).map((l) => l.amount));
      expect(sold.plus(leftover).eq(deposited)).toBe(true);
      for (const order of orders) expect(sum(order.fills.map((f) => f.amount)).eq(order.filled)).toBe(true);
    },
  );

  test('the demo sells on both routes: the BTC lot is too large for the thin BTC/USD book, ETH/USD holds the ETH lot', () => {
    expect(progress.routes.map((r) => [r.asset, r.route])).toEqual([
      ['BTC', 'VIA_STABLECOIN'],
      ['ETH', 'DIRECT'],
    ]);
    for (const r of progress.routes) {
      // what the venue showed at the choice, and the rule the choice kept to (3 x the lot within 50 bp)
      expect(dec(r.required).eq(dec(r.lot).times(3))).toBe(true);
      expect(dec(r.seen ?? 'NaN').gte(r.required)).toBe(r.route === 'DIRECT');
    }
  });

  test('the exchange service kept each route choice for the dossier, as the case recorded it', async () => {
    const report = await client('exchange', stack.urls.exchange).get<contracts.exchange.BestExecutionReport>(
      `/v1/cases/${caseId}/best-execution`,
    );
    expect(report.routes.map((r) => [r.choiceId, r.asset, r.route, r.seen, r.recomputedRoute])).toEqual(
      progress.routes.map((r) => [r.choiceId, r.asset, r.route, r.seen, r.route]),
    );
    expect(report.routes.every((r) => r.depth?.bestBid !== undefined)).toBe(true);
  });

  test('fiat proceeds (the USDT leg and the direct sales) = sum of fills − fees, and all of it (less any leftover) was withdrawn', () => {
    const fiatOrders = statement.orders.filter((o) => o.symbol.endsWith('/USD'));
    expect(fiatOrders.length).toBeGreaterThan(0);
    let proceeds = new Decimal(0);
    for (const order of fiatOrders) {
      // A slice the market did not take has no fills and no fee currency; every fee paid was in USD.
      if (order.fills.length > 0) expect(order.feeCurrency).toBe('USD');
      proceeds = proceeds.plus(sum(order.fills.map((f) => f.cost))).minus(sum(order.fills.map((f) => f.fee)));
    }
    const usdLeftover = sum(progress.leftovers.filter((l) => l.asset === 'USD').map((l) => l.amount));
    expect(statement.withdrawals).toHaveLength(1);
    const withdrawal = statement.withdrawals[0]!;
    expect(withdrawal.status).toBe('COMPLETED');
    expect(dec(withdrawal.amount).plus(usdLeftover).eq(proceeds)).toBe(true);
    expect(dec(withdrawal.netAmount).eq(dec(withdrawal.amount).minus(withdrawal.fee))).toBe(true);
  });

  test('USDT sold = USDT credited + USDT proceeds of the coins sold through it (less any recorded leftover)', () => {
    const usdtDeposit = sum(statement.deposits.filter((d) => d.asset === 'USDT').map((d) => d.amount));
    expect(statement.orders.some((o) => o.symbol === 'BTC/USDT')).toBe(true);
    const cryptoProceeds = statement.orders
      .filter((o) => o.symbol.endsWith('/USDT'))
      .reduce(
        (acc, o) => acc.plus(sum(o.fills.map((f) => f.cost))).minus(sum(o.fills.map((f) => f.fee))),
        new Decimal(0),
      );
    const usdtSold = sum(statement.orders.filter((o) => o.symbol === 'USDT/USD').map((o) => o.filled));
    const leftover = sum(progress.leftovers.filter((l) => l.asset === 'USDT').map((l) => l.amount));
    expect(usdtSold.plus(leftover).eq(usdtDeposit.plus(cryptoProceeds))).toBe(true);
  });

  test("nothing is silently left at the venue: every leftover of the sale is a residual line in the case's name at the exchange, or a return custody booked", () => {
    const residuals = statement.residuals ?? [];
    for (const l of progress.leftovers) {
      expect(l.settled?.how).toMatch(/^(RESIDUAL_AT_VENUE|RETURNED_TO_CUSTODY)$/);
      if (l.settled?.how === 'RESIDUAL_AT_VENUE') {
        const line = residuals.find((r) => r.residualId === (l.settled as { residualId: string }).residualId);
        expect(line).toMatchObject({ caseId, asset: l.asset, amount: l.amount });
      }
    }
    expect(residuals).toHaveLength(progress.leftovers.filter((l) => l.settled?.how === 'RESIDUAL_AT_VENUE').length);
  });

  test('CNY = (foreign amount − bank charges − correspondent fees) × recorded rate (rounded toward zero, remainder booked); declared = withdrawn net', () => {
    expect(declarations).toHaveLength(1);
    const declaration = declarations[0]!;
    expect(declaration.status).toBe('SETTLED');
    expect(dec(declaration.amount).eq(statement.withdrawals[0]!.netAmount)).toBe(true);
    expect(declaration.settlements).toHaveLength(1);
    const settlement = declaration.settlements[0]!;
    expect(dec(settlement.foreignAmount).eq(declaration.amount)).toBe(true);
    // The bank's charges and its correspondent's fee came off before conversion, each its own line.
    expect(settlement).toMatchObject({ bankCharges: DEMO_BANK_CHARGES, correspondentFees: DEMO_CORRESPONDENT_FEES });
    const converted = dec(settlement.foreignAmount).minus(DEMO_BANK_CHARGES).minus(DEMO_CORRESPONDENT_FEES);
    expect(dec(settlement.netForeignAmount!).eq(converted)).toBe(true);
    expect(dec(settlement.cnyAmount).plus(settlement.roundingRemainder).eq(converted.times(settlement.rate))).toBe(
      true,
    );
    expect(dec(settlement.cnyAmount).decimalPlaces()).toBeLessThanOrEqual(2);
  });

  test('the case reconciled exactly before the pay-out and after it, net of the charges, with nothing explained away', () => {
    for (const r of [progress.reconciliationBeforePayout, progress.reconciliation]) {
      expect(r?.ok).toBe(true);
      expect(r?.differences).toEqual([]);
      expect(r?.checks.every((c) => c.pass && !c.explainedBy)).toBe(true);
    }
    expect(progress.explainedDifferences).toEqual([]);
    expect(progress.decisions.accepted.map((d) => d.stage)).not.toContain('RECONCILIATION');
  });

  test('treasury credit = CNY settled, all of it remitted, the special account ends at zero', () => {
    const settlement = declarations[0]!.settlements[0]!;
    expect(dec(treasuryStatement.totalCredited).eq(settlement.cnyAmount)).toBe(true);
    expect(dec(treasuryStatement.totalRemitted).eq(settlement.cnyAmount)).toBe(true);
    expect(dec(treasuryStatement.balance).isZero()).toBe(true);
    expect(treasuryStatement.lines.at(-1)?.balanceAfter).toMatch(/^0(\.0+)?$/);
  });
});

describe('every human act was a signed act of an authenticated person, booked as that person', () => {
  const custodyApi = () => client('custody', stack.urls.custody);
  const asAuditor = async () =>
    new ServiceClient({
      service: 'control-api',
      baseUrl: stack.urls.controlApi,
      headers: { authorization: `Bearer ${await stack.issuer.mint('auditor.qian')}` },
    });

  test('each venue address was whitelisted by one custodian and approved by two others, then ACTIVE for that venue', async () => {
    for (const leg of progress.transfers) {
      const { entries } = await custodyApi().get<{ entries: contracts.custody.WhitelistEntry[] }>('/v1/whitelist', {
        chain: leg.whitelistEntry?.chain ?? '',
        address: leg.depositAddress.address,
      });
      const active = entries.find((e) => e.status === 'ACTIVE');
      expect(active).toMatchObject({ venue: 'hashkey', requestedBy: 'custodian.chen' });
      expect(active?.approvals?.map((a) => a.approvedBy).sort()).toEqual(['custodian.liu', 'custodian.ma']);
    }
  });

  test('every transfer out of custody was made under the case’s signed disposal-plan authorisation', () => {
    const transfers = progress.transfers.flatMap((l) => [l.testTransfer, l.transfer]).filter(Boolean);
    expect(transfers.length).toBeGreaterThan(0);
    const approved = progress.decisions.accepted.find((d) => d.stage === 'DISPOSAL_PLAN');
    expect(approved?.authorisation?.assets.map((a) => a.asset).sort()).toEqual(['BTC', 'ETH', 'USDT']);
    for (const t of transfers) expect(t?.authorisationSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the FX officer’s and the supervisor’s decisions are booked as them; the workflow’s own steps as the workflow', async () => {
    const declarations = await client('fx', stack.urls.fx).get<contracts.fx.Declaration[]>(
      `/v1/cases/${caseId}/declarations`,
    );
    expect(declarations[0]?.transitions[0]).toMatchObject({ to: 'DRAFT', by: `workflow:case-${caseId}` });
    expect(declarations[0]?.settlements[0]?.recordedBy).toBe('fx.officer.wang');
    expect(progress.remittance?.approvedBy).toBe('supervisor.li');
  });

  test('the control API recorded each decision’s intent before the case heard it, and each forwarded act with its outcome', async () => {
    const { records } = await (await asAuditor()).get<{ records: Array<{ kind: string; actor: string }> }>(
      '/v1/audit/records',
      { caseId, limit: '1000' },
    );
    const kinds = records.map((r) => r.kind);
    for (const stage of ['DISPOSAL_PLAN', 'FX_DECLARATION', 'FX_SETTLEMENT', 'REMITTANCE']) {
      const requested = records.findIndex((r) => r.kind === 'decision.requested' && JSON.stringify(r).includes(stage));
      const accepted = records.findIndex((r) => r.kind === 'decision.accepted' && JSON.stringify(r).includes(stage));
      expect(requested).toBeGreaterThanOrEqual(0);
      expect(accepted).toBeGreaterThan(requested);
    }
    const attestations = records.filter(
      (r) => r.kind === 'act.carried-out' && JSON.stringify(r).includes('custody.intake.attest'),
    );
    expect(attestations.map((r) => r.actor).sort()).toEqual(['custodian.chen', 'custodian.liu']);
    expect(kinds).toContain('act.requested');
  });

  test('custody alone moves nothing: a transfer asked without the signed approvals is refused and in custody’s chain', async () => {
    const leg = progress.transfers[0]!;
    const refused = await fetch(`${stack.urls.custody}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `e2e/forged/${caseId}` },
      body: JSON.stringify({
        caseId,
        asset: leg.asset,
        chain: leg.whitelistEntry?.chain,
        toAddress: leg.depositAddress.address,
        amount: '0.0001',
        purpose: 'VENUE_DEPOSIT',
        approvals: [],
      }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: 'urn:vcdc:problem:transfer-unauthorised' });
    const { records } = await custodyApi().get<{ records: Array<{ kind: string; data: { path?: string } }> }>(
      '/v1/audit/records',
      { caseId, limit: '1000' },
    );
    expect(records.some((r) => r.kind === 'request.refused' && r.data.path === '/v1/transfers')).toBe(true);
  });

  test('the auditor’s verification walks every chain intact and lists the refusals they hold', async () => {
    const verified = await (await asAuditor()).get<{
      ok: boolean;
      chains: Array<{ chain: string; ok: boolean; refusals?: { total: number; byKind: Record<string, number> } }>;
      allRefusals: { total: number; byKind: Record<string, number> };
    }>('/v1/audit/verify');
    expect(verified.ok).toBe(true);
    expect(verified.chains.map((c) => c.chain).sort()).toEqual([
      'control-api',
      'custody',
      'exchange',
      'fx',
      'treasury',
    ]);
    // The refused transfer above is in custody's count, and in the total over every chain.
    const custodyChain = verified.chains.find((c) => c.chain === 'custody');
    expect(custodyChain?.refusals?.byKind['request.refused']).toBeGreaterThanOrEqual(1);
    expect(verified.allRefusals.total).toBeGreaterThanOrEqual(custodyChain?.refusals?.total ?? 1);
  });
});

describe('the audit chains, checkpointed at each stage of the case and verified with every money table', () => {
  test('every service signed its chain at each stage the case entered; the case history keeps the checkpoints', () => {
    const chains = ['custody', 'exchange', 'fx', 'treasury'];
    const stages = [...new Set(progress.auditCheckpoints.map((c) => c.stage))];
    expect(stages).toEqual(
      expect.arrayContaining(['INTAKE', 'AUTHORISATION', 'TRANSFER', 'SALE', 'FX', 'TREASURY', 'RECONCILIATION']),
    );
    for (const stage of stages)
      expect(
        progress.auditCheckpoints
          .filter((c) => c.stage === stage)
          .map((c) => c.chain)
          .sort(),
      ).toEqual(chains);
  });

  test('GET /v1/audit/verify: every chain holds against its latest signed checkpoint, every money table against its chain', async () => {
    const auditor = await stack.issuer.mint('auditor.qian');
    const res = await fetch(`${stack.urls.controlApi}/v1/audit/verify`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    const body = (await res.json()) as {
      ok: boolean;
      chains: Array<{
        chain: string;
        ok: boolean;
        checkpoint?: { ok: boolean; seq: number | null };
        tables?: Array<{ table: string; ok: boolean; rows: number }>;
      }>;
      totals: { chains: number; verified: number; tables: number; rows: number };
    };
    expect(body.ok).toBe(true);
    for (const c of body.chains) expect(c).toMatchObject({ ok: true, checkpoint: { ok: true } });
    const treasury = body.chains.find((c) => c.chain === 'treasury');
    expect(treasury?.tables?.find((t) => t.table === 'ledger_entries')).toMatchObject({ ok: true });
    expect(treasury?.tables?.find((t) => t.table === 'ledger_entries')?.rows).toBeGreaterThanOrEqual(2);
    expect(body.totals).toMatchObject({ chains: 5, verified: 5 });
    expect(body.totals.rows).toBeGreaterThan(0);
  });
});

describe('the case statement and its evidence (issue 13: base units, three values, checked fee evidence)', () => {
  const asPerson = async (person: string) =>
    new ServiceClient({
      service: 'control-api',
      baseUrl: stack.urls.controlApi,
      headers: { authorization: `Bearer ${await stack.issuer.mint(person)}` },
    });

  test('the case statement: value at seizure, at disposal and distributed, and every lot in base units', async () => {
    const statement = await (await asPerson('auditor.qian')).get<CaseStatement>(`/v1/cases/${caseId}/statement`);
    const treasury = await client('treasury', stack.urls.treasury).get<contracts.treasury.CaseStatement>(
      `/v1/cases/${caseId}/statement`,
    );
    expect(statement.values.atSeizure?.valueCny).toBe(progress.valuation?.valueCny);
    expect(statement.values.atDisposal?.valueCny).toBe(treasury.totalCredited);
    expect(statement.values.distributed?.valueCny).toBe(treasury.totalRemitted);
    expect(statement.values.distributed?.baseUnits.valueCny).toBe(treasury.baseUnits?.totalRemitted);
    for (const lot of DEMO_LOTS) {
      const total = statement.amounts.totals.find((t) => t.asset === lot.asset);
      expect(total?.declared.baseUnits).toBe(toBaseUnits(lot.amount, lot.asset).toString());
      expect(total?.difference?.baseUnits).toBe('0');
    }
    // Custody's own statement in base units: every asset back to zero, to the last satoshi and wei.
    const ledger = await client('custody', stack.urls.custody).get<contracts.custody.CustodyLedger>(
      `/v1/cases/${caseId}/ledger`,
    );
    expect(ledger.balancesBaseUnits).toEqual({ BTC: '0', ETH: '0', USDT: '0' });
  });

  test('a network-fee classification naming a fake txid is refused, naming feeTxHash, and audited', async () => {
    // Another seizure on the EVM chain whose declared amount is more than arrived.
    const custody = client('custody', stack.urls.custody);
    const account = await custody.request<contracts.custody.CustodyAccount>(
      'POST',
      '/v1/accounts',
      { caseId: 'E2E-FEE-1', asset: 'ETH', chain: 'ethereum' },
      'e2e-fee-account',
    );
    const { txHash } = await sweepOnEvm({ ...stack.urls.evm, asset: 'ETH', to: account.address, amount: '0.2' });
    let intake: contracts.custody.Intake | undefined;
    for (let i = 0; i < 100 && !intake; i++) {
      intake = await custody
        .request<contracts.custody.Intake>(
          'POST',
          '/v1/intakes',
          {
            caseId: 'E2E-FEE-1',
            lotId: 'LOT-1',
            asset: 'ETH',
            chain: 'ethereum',
            declaredAmount: '0.2001',
            txHash,
            evidence: { handoverFormNo: 'HF-FEE-1', handedOverBy: 'officer.zhang', receivedBy: 'custodian.chen' },
          },
          `e2e-fee-intake-${i}`,
        )
        .catch(async () => {
          await new Promise((r) => setTimeout(r, 200)); // not confirmed enough yet
          return undefined;
        });
    }
    expect(intake?.status).toBe('DISCREPANCY');

    const custodian = await asPerson('custodian.chen');
    const refused = await custodian
      .request(
        'POST',
        `/v1/custody/intakes/${intake?.intakeId}/difference`,
        {
          classification: 'NETWORK_FEE',
          explanation: 'the sweep paid its fee',
          feeTxHash: 'not-a-real-tx',
          amount: '0.0001',
        },
        'e2e-fee-classify',
      )
      .then(
        () => undefined,
        (error: ServiceCallError) => error,
      );
    expect(refused?.status).toBe(422);
    expect(refused?.problem).toMatchObject({
      type: 'urn:vcdc:problem:fee-transaction-not-found',
      errors: [expect.objectContaining({ field: 'feeTxHash' })],
    });
    const { records } = await custody.get<{ records: Array<{ kind: string; actor: string; data: { type?: string } }> }>(
      '/v1/audit/records',
      { limit: '1000' },
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        kind: 'request.refused',
        actor: 'custodian.chen',
        data: expect.objectContaining({ type: 'urn:vcdc:problem:fee-transaction-not-found' }),
      }),
    );
  });
});

describe('the case file (issue 15): exported by the auditor from the real services, checked offline', () => {
  test('every record of the finished case is in it, signed; a copy with one fill changed is rejected naming the file', async () => {
    const auditor = await stack.issuer.mint('auditor.qian');
    const res = await fetch(`${stack.urls.controlApi}/v1/cases/${caseId}/dossier`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(res.status).toBe(200);
    const archive = new Uint8Array(await res.arrayBuffer());
    const keys = readVerifyKeys(stack.actVerifyKey);
    const check = checkCaseFile(archive, keys);
    expect(check).toMatchObject({ ok: true, caseId, problems: [] });

    const files = unzipSync(archive);
    const text = (name: string) => new TextDecoder().decode(files[name]);
    // The fills the venue made for the case, as the exchange service keeps them, to the last one.
    const statement = await client('exchange', stack.urls.exchange).get<contracts.exchange.ExchangeStatement>(
      `/v1/cases/${caseId}/statement`,
    );
    const filled = statement.orders.filter((o) => new Decimal(o.filled).gt(0)).length;
    expect(filled).toBeGreaterThan(0);
    expect(text('exchange/fills.json')).toContain(
      statement.orders.find((o) => new Decimal(o.filled).gt(0))?.clientOrderId,
    );
    expect(JSON.parse(text('custody/ledger.json')).entries.length).toBeGreaterThan(0);
    expect(new TextDecoder().decode(files['report.pdf']?.slice(0, 5))).toBe('%PDF-');
    expect(text('report.html')).toContain(caseId);

    // One byte changed in the fills: the case file no longer verifies, and the file is named.
    const fills = files['exchange/fills.json'] as Uint8Array;
    const tampered = { ...files, 'exchange/fills.json': fills.map((b, i) => (i === 10 ? b ^ 1 : b)) };
    const rejected = checkCaseFile(zipSync(tampered), keys);
    expect(rejected.ok).toBe(false);
    expect(rejected.problems.map((p) => p.file)).toEqual(['exchange/fills.json']);
  });
});

describe('the auditor in the console (issue 15): in a real browser, against the real services', () => {
  const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console');

  test('verifies every chain with one verdict, opens the best-execution report, and exports a case file vcdc dossier verify accepts; a tampered copy it rejects', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox'],
    });
    try {
      const context = await browser.newContext({ baseURL: stack.urls.controlApi, acceptDownloads: true });
      const page = await context.newPage();
      await page.goto('/console/sign-in');
      await page.getByLabel('Person').selectOption('auditor.qian');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('signed-in-as').filter({ hasText: 'auditor.qian' }).waitFor();

      // Every chain (the control API's and the four services'), verified through the control API.
      await page.getByRole('link', { name: 'Audit chains' }).click();
      const verdict = page.getByTestId('audit-verdict');
      await verdict.waitFor();
      expect(await verdict.textContent()).toMatch(/^Intact: 5 of 5 chains, \d+ records/);
      for (const chain of ['custody', 'exchange', 'fx', 'treasury']) {
        expect(await page.getByTestId(`chain-${chain}`).textContent()).toContain('intact');
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'auditor-chains.png'), fullPage: true });

      // The best-execution report of the case, read with the auditor's own token (no service credential).
      await page.goto(`/console/cases/${caseId}`);
      await page.getByRole('button', { name: 'Best execution' }).click();
      const report = page.getByTestId('report');
      await report.waitFor();
      expect(await report.textContent()).toContain(caseId);
      await page.screenshot({ path: path.join(ARTIFACTS, 'auditor-best-execution.png'), fullPage: true });

      // The case file, exported in the browser and checked offline as an auditor would.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export the case file' }).click(),
      ]);
      const file = path.join(ARTIFACTS, `case-${caseId}.zip`);
      await download.saveAs(file);
      const keyFile = path.join(ARTIFACTS, 'act-verify-key.txt');
      await writeFile(keyFile, stack.actVerifyKey);
      const verify = async (archive: string) => {
        let out = '';
        const code = await runCli(['dossier', 'verify', archive, '--key', keyFile], {
          env: {},
          out: (t) => {
            out += t;
          },
          err: (t) => {
            out += t;
          },
        });
        return { code, out };
      };
      const accepted = await verify(file);
      expect(accepted).toMatchObject({ code: 0 });
      expect(accepted.out).toContain(`OK: case file of ${caseId}`);

      const files = unzipSync(new Uint8Array(await readFile(file)));
      const ledger = files['custody/ledger.json'] as Uint8Array;
      const tamperedFile = path.join(ARTIFACTS, `case-${caseId}-tampered.zip`);
      await writeFile(
        tamperedFile,
        zipSync({ ...files, 'custody/ledger.json': ledger.map((b, i) => (i === 20 ? b ^ 1 : b)) }),
      );
      const rejected = await verify(tamperedFile);
      expect(rejected.code).not.toBe(0);
      expect(rejected.out).toContain('REJECTED');
      expect(rejected.out).toContain('custody/ledger.json');
    } finally {
      await browser.close();
    }
  });
});
