/**
 * The console by keyboard alone, and its charts, in a real headless Chromium (Debian's chromium through
 * playwright-core) against the control API on a real Temporal dev server with the case worker on the
 * fake services. One case is followed through: a supervisor signs in, opens it from the inbox and
 * approves its disposal plan with Tab, Space and Enter only, every stop showing its focus ring; its sale
 * pauses when the reference falls out of the engine's band, and the fills chart shows the band, the
 * floor and the pause; once it goes on to FX, the waterfall from the gross fills to the CNY is drawn
 * from a stand-in FX service's itemised lines. Every form control has an accessible name and the text
 * on the pages is at least 4.5:1 against its background. Screenshots go to test-artifacts/console/.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Decimal, listen, type RunningServer } from '@vcdc/shared';
import { fx } from '@vcdc/shared/contracts';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { createControlApi } from '../../control-api/src/app';
import type { DevIssuer } from '../../control-api/src/dev-issuer';
import type { CaseProgress } from '../../workflows/src/workflow/case-state';
import { createFakeActivities, sampleRegistration } from '../../workflows/test/fake-services';
import { ARTIFACTS, type ConsoleStack, controlApiByFetch, newConsolePage, startConsoleStack } from './console-harness';
import { lowContrast, tabTo, unnamedControls } from './page-checks';

let stack: ConsoleStack;
let issuer: DevIssuer;
let server: RunningServer;
let fxService: RunningServer;
let browser: Browser;
// The BTC reference: the case's valuations, the engine's arrival price, then a fall of 10%, out of its
// 3% band (the engine pauses for SALE_PRICE); the sale goes on from 55 000 after the decision.
const fake = createFakeActivities({ referencePrices: { 'BTC/USDT': ['61234.56', '61234.56', '61234.56', '55000'] } });
const taskQueue = `console-keyboard-${randomUUID()}`;
/** The waterfalls the stand-in FX service itemises, by case. */
const waterfalls = new Map<string, fx.Waterfall[]>();

/** The settled declaration behind a waterfall: what the stand-in lists for its case. */
function declarationOf(w: fx.Waterfall): fx.Declaration {
  const at = '2026-01-05T08:00:00.000Z';
  return {
    declarationId: w.declarationId,
    declarationNo: `D-${w.declarationId}`,
    caseId: w.caseId,
    currency: w.currency,
    amount: '1',
    settledAmount: '1',
    transactionCode: '222000',
    purpose: 'disposal of seized virtual currency',
    status: 'SETTLED',
    transitions: [{ from: null, to: 'SETTLED', by: 'fx.officer.zhou', at, note: null }],
    settlements: [],
    createdAt: at,
  };
}

function standInFx() {
  const app = express();
  // A declaration as the FX service's contract has it (the control API parses the answer with it).
  app.get('/v1/cases/:caseId/declarations', (req, res) => {
    res.json((waterfalls.get(req.params.caseId) ?? []).map((w) => fx.Declaration.parse(declarationOf(w))));
  });
  app.get('/v1/declarations/:id/waterfall', (req, res) => {
    const found = [...waterfalls.values()].flat().find((w) => w.declarationId === req.params.id);
    if (found) res.json(found);
    else res.status(404).json({ type: 'urn:vcdc:problem:not-found', title: 'Not found', status: 404 });
  });
  return app;
}

beforeAll(async () => {
  stack = await startConsoleStack('console-keyboard', taskQueue, fake);
  ({ issuer, browser } = stack);
  fxService = await listen(standInFx(), 0);
  const app = createControlApi({
    ...stack.deps,
    bookServices: { fx: { url: fxService.url } },
    console: { dir: stack.consoleDir, signIn: { mode: 'dev', issuer } },
  });
  server = await listen(app, 0);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await fxService?.close();
  await stack?.close();
});

const { api, progress } = controlApiByFetch(() => server.url, 60_000);

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('a supervisor by keyboard alone, and the case page’s charts', () => {
  let caseId: string;
  let officer: string;
  let page: Page;

  test('signs in, opens the case from the inbox and approves its disposal plan with Tab, Space and Enter', async () => {
    officer = await issuer.mint('officer.zhang');
    caseId = `KBD-${randomUUID().slice(0, 8)}`;
    const registration = sampleRegistration(caseId, {
      lots: sampleRegistration(caseId).lots.map((l) => ({ ...l, lotId: `${l.lotId}-FULL` })),
    });
    expect((await api(officer, 'POST', '/v1/cases', registration)).status).toBe(201);
    await progress(officer, caseId, (p) => p.awaiting?.stage === 'DISPOSAL_PLAN');

    page = await newConsolePage(browser, server.url);
    await page.goto('/console/sign-in');
    // The sign-in form's controls are found by their labels and roles: each has an accessible name.
    const person = page.getByLabel('Person');
    await person.waitFor();
    expect(await page.getByRole('combobox', { name: 'Person' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    expect(await unnamedControls(page)).toEqual([]);

    await tabTo(page, (f) => f.tag === 'select', 'the person list');
    // A closed select takes the arrow keys: down the list until the supervisor is chosen.
    for (let i = 0; i < 30 && (await person.inputValue()) !== 'supervisor.li'; i++)
      await page.keyboard.press('ArrowDown');
    expect(await person.inputValue()).toBe('supervisor.li');
    await tabTo(page, (f) => f.tag === 'button' && f.name === 'Sign in', 'Sign in');
    await page.keyboard.press('Enter');
    await page.getByTestId('signed-in-as').filter({ hasText: 'supervisor.li' }).waitFor();

    await page.locator(`tr[data-case="${caseId}"]`).waitFor();
    await tabTo(page, (f) => f.tag === 'a' && f.name === caseId, `the inbox's link to ${caseId}`);
    await shot(page, 'keyboard-inbox-focus');
    await page.keyboard.press('Enter');
    await page.getByTestId('approval-state').waitFor();
    expect(page.url()).toBe(`${server.url}/console/cases/${caseId}`);

    // The decision form: the outcome radios, the reason and the button are named by their labels.
    expect(await page.getByRole('radio', { name: 'Approve' }).isChecked()).toBe(true);
    expect(await page.getByRole('radio', { name: 'Reject' }).count()).toBe(1);
    expect(await page.getByRole('textbox', { name: /^Reason/ }).count()).toBe(1);
    expect(await unnamedControls(page)).toEqual([]);

    // Approve is chosen already: Space on it keeps it; then the reason; then Enter on the button.
    await tabTo(page, (f) => f.tag === 'input' && f.name.startsWith('Approve'), 'the Approve radio');
    await page.keyboard.press('Space');
    await tabTo(page, (f) => f.tag === 'textarea', 'the reason');
    await page.keyboard.type('plan checked against the court ruling, by keyboard');
    const button = await tabTo(page, (f) => f.tag === 'button' && f.name === 'Approve DISPOSAL_PLAN', 'Approve');
    expect(button.ring).toBe(true);
    await shot(page, 'keyboard-approve-focus');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('decision-accepted').textContent()).resolves.toContain(
      'DISPOSAL_PLAN APPROVE by supervisor.li (supervisor)',
    );
    const after = await progress(officer, caseId, (p) => p.decisions.accepted.length > 0);
    expect(after.decisions.accepted[0]).toEqual(
      expect.objectContaining({
        stage: 'DISPOSAL_PLAN',
        outcome: 'APPROVE',
        decidedBy: 'supervisor.li',
        reason: 'plan checked against the court ruling, by keyboard',
      }),
    );
  }, 120_000);

  test('the fills chart shows each fill against its band and the pause when the reference fell out of it', async () => {
    const paused = await progress(officer, caseId, (p) => p.awaiting?.stage === 'SALE_PRICE');
    const rounds = (paused.saleRounds ?? []).filter((r) => r.symbol === 'BTC/USDT');
    expect(rounds[0]).toEqual(expect.objectContaining({ status: 'PAUSED', band: { bp: '300', lowest: '59397.5232' } }));
    const fills = paused.sales.filter((s) => s.symbol === 'BTC/USDT' && Number(s.filled) > 0);
    await page.reload();
    const chart = page.locator('svg[data-testid="fills-chart"][data-symbol="BTC/USDT"]');
    await chart.waitFor();
    expect(await chart.locator('circle').count()).toBe(fills.length);
    expect(await chart.getByTestId('band').count()).toBe(fills.length);
    expect(await chart.getByTestId('pause').count()).toBe(1);
    // The chart is an image with a name and a description; its figures are in a table too.
    const name = await chart.evaluate((svg) =>
      (svg.getAttribute('aria-labelledby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent)
        .join(' | '),
    );
    expect(name).toContain('BTC/USDT');
    expect(name).toContain('1 pause(s)');
    expect(name).toContain('the reference may fall 300 bp under the arrival price');
    expect(name).toContain(`Paused after fill ${fills.length}`);
    const figure = page.locator('figure', { has: chart });
    await figure.getByText("The chart's figures as a table").click();
    const table = figure.getByTestId('fills-chart-table');
    await expect(table.locator('tbody tr').count()).resolves.toBe(fills.length);
    await expect(table.locator('tbody tr').first().textContent()).resolves.toContain('61234.56 → 59397.5232 (300 bp)');
    await expect(figure.getByTestId('pauses-table').textContent()).resolves.toContain('PRICE_BAND');
    await expect(figure.getByTestId('pauses-table').textContent()).resolves.toContain('still paused');
    await shot(page, 'case-fills-chart-paused');
    await figure.screenshot({ path: path.join(ARTIFACTS, 'fills-chart-paused.png') });
  }, 120_000);

  test('once the sale goes on, the FX waterfall runs from the gross fills to the CNY, every amount as recorded', async () => {
    const supervisor = await issuer.mint('supervisor.li');
    const go = await api(supervisor, 'POST', `/v1/cases/${caseId}/decisions`, {
      stage: 'SALE_PRICE',
      outcome: 'APPROVE',
      reason: 'go on from the new price',
    });
    expect(go.status).toBe(200);
    const atFx = await progress(officer, caseId, (p) => p.declaration !== undefined, 90_000);
    const declarationId = atFx.declaration?.declarationId as string;
    // The FX service's itemised lines for what the case wired out: the venue's fee, a bank charge, the
    // parity at 7.1, a 0.2% spread and the cut to the fen (what the FX service would book, made up here).
    const w = atFx.withdrawal as NonNullable<CaseProgress['withdrawal']>;
    const arrived = new Decimal(w.amount).minus(w.fee);
    const converted = arrived.minus('15.00');
    const parity = converted.mul('7.1');
    const spread = parity.mul('0.002').neg();
    const settled = parity.plus(spread).toDecimalPlaces(2, Decimal.ROUND_DOWN);
    const rounding = settled.minus(parity.plus(spread));
    const lines: fx.Waterfall['lines'] = [
      ['WITHDRAWN_AT_VENUE', 'USD', new Decimal(w.amount).toFixed(2)],
      ['VENUE_WITHDRAWAL_FEE', 'USD', new Decimal(w.fee).neg().toFixed(2)],
      ['ARRIVED_AT_BANK', 'USD', arrived.toFixed(2)],
      ['BANK_CHARGES', 'USD', '-15.00'],
      ['CONVERTED', 'USD', converted.toFixed(2)],
      ['CNY_AT_CENTRAL_PARITY', 'CNY', parity.toFixed(6)],
      ['FX_SPREAD', 'CNY', spread.toFixed(6)],
      ['ROUNDING', 'CNY', rounding.toFixed(6)],
      ['CNY_SETTLED', 'CNY', settled.toFixed(2)],
    ].map(([kind, currency, amount]) => ({
      kind: kind as fx.Waterfall['lines'][number]['kind'],
      currency: currency as string,
      amount: amount as string,
      settlementIds: kind === 'WITHDRAWN_AT_VENUE' ? [] : ['S1'],
    }));
    waterfalls.set(caseId, [{ declarationId, caseId, currency: 'USD', unsettled: '0', lines }]);
    await page.reload();
    const chart = page.locator(`svg[data-testid="fx-waterfall"][data-declaration="${declarationId}"]`);
    await chart.waitFor();
    const steps = await chart.getByTestId('waterfall-step').allTextContents();
    // The sale on the USD market first: its gross fills and fees summed exactly from the case's fills.
    const usd = atFx.sales.filter((s) => s.symbol.endsWith('/USD') && Number(s.filled) > 0);
    const gross = usd.reduce((s, l) => s.plus(l.cost), new Decimal(0));
    const fees = usd.reduce((s, l) => s.plus(l.fee), new Decimal(0));
    expect(steps[0]).toMatch(new RegExp(`^Gross fills \\(${usd.length} on the USD market\\)`));
    expect(new Decimal(/\)([-\d.]+) USD$/.exec(steps[0] as string)?.[1] as string).eq(gross)).toBe(true);
    expect(new Decimal(/([-\d.]+) USD$/.exec(steps[1] as string)?.[1] as string).eq(fees.neg())).toBe(true);
    expect(new Decimal(/([-\d.]+) USD$/.exec(steps[2] as string)?.[1] as string).eq(gross.minus(fees))).toBe(true);
    // Then the FX service's lines, each amount exactly as it sent it.
    const labels = [
      'Withdrawn from the venue (gross)',
      'Venue withdrawal fee',
      'Arrived at the bank',
      'Bank charges',
      'Converted',
      'CNY at the central parity',
      'FX spread',
      'Rounding to the fen',
      'CNY settled',
    ];
    expect(steps.slice(3)).toEqual(lines.map((l, i) => `${labels[i]}${l.amount} ${l.currency}`));
    const figure = page.locator('figure', { has: chart });
    await figure.getByText('The waterfall as a table').click();
    await expect(figure.getByTestId('fx-waterfall-table').locator('tbody tr').count()).resolves.toBe(steps.length);
    await expect(chart.evaluate((svg) => svg.querySelector('title')?.textContent)).resolves.toBe(
      `FX waterfall of declaration ${declarationId}`,
    );
    await shot(page, 'case-fx-waterfall');
    await figure.screenshot({ path: path.join(ARTIFACTS, 'fx-waterfall.png') });
  }, 150_000);

  test('the text on the inbox and the case page is at least 4.5:1 against its background (WCAG AA)', async () => {
    expect(await lowContrast(page)).toEqual([]);
    await page.goto('/console/');
    await page.getByRole('heading', { name: /Decisions waiting for you/ }).waitFor();
    expect(await lowContrast(page)).toEqual([]);
    // The top navigation's links stand apart (they ran together as "InboxAudit chains").
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.evaluate((n) => getComputedStyle(n).columnGap)).not.toBe('normal');
  });
});
