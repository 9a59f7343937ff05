/**
 * The case's checks of a sale plan before a coin moves (case-sale-plan.ts whatIsWrong), and the total of
 * what reached the offshore account from venues and desks (paidIn). Pure.
 */
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import type { DeskSettlement } from '../src/activities/case-activities';
import { paidIn, whatIsWrong } from '../src/workflow/case-sale-plan';

const plan = (legs: exchange.SalePlanLeg[], over: Partial<exchange.SalePlanRecord> = {}): exchange.SalePlanRecord => ({
  planId: 'plan-1',
  caseId: 'C-1',
  asset: 'BTC',
  lot: '1.25',
  fiat: 'USD',
  slices: 2,
  legs,
  expectedCostBp: '10',
  alternatives: [],
  books: [],
  reason: 'test',
  decidedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const venue = (v: string, amount: string): exchange.SalePlanLeg => ({
  kind: 'VENUE',
  venue: v,
  route: 'VIA_STABLECOIN',
  symbol: 'BTC/USDT',
  amount,
  expectedCostBp: '10',
});
const desk = (amount: string): exchange.SalePlanLeg => ({
  kind: 'DESK',
  desk: 'desk-a',
  rfqId: 'rfq-1',
  symbol: 'BTC/USD',
  amount,
  price: '61000',
  expectedCostBp: '9',
});
const asked = { caseId: 'C-1', asset: 'BTC', lot: new Decimal('1.25'), venues: ['hashkey', 'osl'], desks: true };

describe('whatIsWrong: a plan is followed only as the disposal plan allows', () => {
  test('legs that add up to the lot on the named venues and a desk: nothing wrong', () => {
    expect(whatIsWrong(plan([desk('0.5'), venue('hashkey', '0.375'), venue('osl', '0.375')]), asked)).toBeUndefined();
  });
  test.each([
    ['legs short of the lot', plan([venue('hashkey', '1.2')]), 'add up to 1.2, not the lot'],
    ['legs over the lot', plan([desk('1'), venue('osl', '0.2500001')]), 'add up to 1.2500001'],
    ['a venue the disposal plan does not name', plan([venue('binance', '1.25')]), 'sells on binance'],
    ['another case', plan([venue('osl', '1.25')], { caseId: 'C-2' }), 'of case C-2'],
    ['another lot', plan([venue('osl', '1.2')], { lot: '1.2' }), 'answers for 1.2 BTC'],
    ['a venue twice', plan([venue('osl', '1'), venue('osl', '0.25')]), 'names venue osl twice'],
    ['no leg', plan([]), 'has no leg'],
  ])('%s', (_what, p, says) => {
    expect(whatIsWrong(p, asked)).toContain(says);
  });
  test('a desk leg when the disposal plan asks for no desk', () => {
    expect(whatIsWrong(plan([desk('0.5'), venue('osl', '0.75')]), { ...asked, desks: false })).toContain(
      'asks for no desk',
    );
  });
});

describe('paidIn: what reached the offshore account in all', () => {
  const wire = (venueId: string, id: string, amount: string, fee: string): exchange.VenueWithdrawal => ({
    caseId: 'C-1',
    venue: venueId,
    withdrawalId: id,
    currency: 'USD',
    amount,
    fee,
    netAmount: new Decimal(amount).minus(fee).toFixed(),
    bankAccountId: 'HK-BANK-001',
    status: 'COMPLETED',
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const paid = (amount: string): DeskSettlement => ({
    rfqId: 'rfq-1',
    caseId: 'C-1',
    desk: 'desk-a',
    tradeId: 't-1',
    asset: 'BTC',
    amount: '0.5',
    address: 'desk-a-btc',
    txHash: '0xbtc',
    deliveredAt: '2026-01-01T00:00:00.000Z',
    fiatCurrency: 'USD',
    cost: amount,
    paymentReference: 'pay-1',
    paidAmount: amount,
    paidAt: '2026-01-01T00:00:01.000Z',
    bankAccountId: 'HK-BANK-001',
  });

  test('the wires net of their fees and the desks’ payments (no fee), each id named', () => {
    const total = paidIn(
      [wire('hashkey', 'wd-1', '1000.10', '25'), wire('osl', 'wd-2', '500.05', '25')],
      [paid('30577')],
    );
    expect(total).toMatchObject({
      amount: '32077.15',
      fee: '50',
      netAmount: '32027.15',
      withdrawalId: 'wd-1+wd-2+desk-t-1',
      venue: 'hashkey+osl+desk-a',
      status: 'COMPLETED',
      createdAt: '2026-01-01T00:00:01.000Z',
    });
  });
  test('a wire still pending makes the total pending', () => {
    expect(paidIn([{ ...wire('osl', 'wd-2', '500', '25'), status: 'PENDING' }], []).status).toBe('PENDING');
  });
});
