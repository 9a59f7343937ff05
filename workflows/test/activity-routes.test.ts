/**
 * The activities call the services through their route tables (shared http/client.ts routeClient):
 * every request an activity sends, run for real against a stand-in, is a route of its service's
 * table (the one the service mounts and documents, its openapi test holds the two together) with
 * the same method. A path written by hand that no service serves, or served with another method,
 * fails here; a route name that is not in the table does not compile (the `@ts-expect-error`s below).
 */
import { AUDIT_CHECKPOINT_ROUTES, routeClient, routeList, ServiceClient } from '@vcdc/shared';
import { CUSTODY_ROUTES } from '../../services/custody/src/api';
import { SERVICES, type StandInService, servedByTables, useServiceStandIn } from '../../test/support/service-stand-in';
import { type CaseActivities, createActivities } from '../src/activities/case-activities';
import { createSaleActivities, type SaleActivities } from '../src/activities/sale-activities';
import { serviceClients } from '../src/worker/worker';

/** What each service's runner mounts beside its table: the checkpoint route. */
const servedBy = servedByTables(routeList(AUDIT_CHECKPOINT_ROUTES));

const standIn = useServiceStandIn();
const { seen } = standIn;

const urls = () =>
  Object.fromEntries(SERVICES.map((s) => [s, `${standIn.url}/${s}`])) as Record<StandInService, string>;

const body = {} as never;
/** One call of every activity (args that reach the wire; the answers are refusals). */
const CASE_CALLS: { [K in keyof CaseActivities]: (a: CaseActivities) => Promise<unknown> } = {
  openCustodyAccount: (a) => a.openCustodyAccount(body, 'k'),
  getCustodyAccount: (a) => a.getCustodyAccount('C1', 'BTC'),
  recordIntake: (a) => a.recordIntake(body, 'k'),
  awaitAttestedIntake: (a) => a.awaitAttestedIntake({ caseId: 'C1', lotId: 'L1' }),
  findWhitelistEntries: (a) => a.findWhitelistEntries({ chain: 'bitcoin', address: 'bc1q' }),
  requestTransfer: (a) => a.requestTransfer(body, 'k'),
  getCustodyLedger: (a) => a.getCustodyLedger('C1'),
  recordCustodyReturn: (a) => a.recordCustodyReturn(body, 'k'),
  getIntake: (a) => a.getIntake('I1'),
  classifyIntakeDifference: (a) => a.classifyIntakeDifference('I1', body, 'k'),
  countersignIntakeDifference: (a) => a.countersignIntakeDifference('I1', body, 'k'),
  getNetworkFee: (a) => a.getNetworkFee({ chain: 'bitcoin', asset: 'BTC' }),
  getTestDepositRequirement: (a) => a.getTestDepositRequirement({ chain: 'bitcoin', address: 'x', asset: 'BTC' }),
  awaitTransferConfirmed: (a) => a.awaitTransferConfirmed('T1'),
  getValuationPrice: (a) => a.getValuationPrice('BTC', 'USD'),
  getMarketRules: (a) => a.getMarketRules('BTC', 'USD', 'osl'),
  getDepositAddress: (a) => a.getDepositAddress('BTC', 'bitcoin', 'osl'),
  getVenueDeposit: (a) => a.getVenueDeposit({ caseId: 'C1', asset: 'BTC', txHash: '0x1' }, 'osl'),
  placeSellOrder: (a) => a.placeSellOrder(body, 'k', 'osl'),
  getFiatWithdrawalTerms: (a) => a.getFiatWithdrawalTerms('USD', 'osl'),
  getCoinWithdrawalTerms: (a) => a.getCoinWithdrawalTerms('BTC', 'osl'),
  recordResidual: (a) => a.recordResidual(body, 'k', 'osl'),
  requestWithdrawal: (a) => a.requestWithdrawal(body, 'k', 'osl'),
  awaitWithdrawalCompleted: (a) => a.awaitWithdrawalCompleted('W1', 'osl'),
  requestVenueReturn: (a) => a.requestVenueReturn(body, 'k', 'osl'),
  awaitVenueReturnSent: (a) => a.awaitVenueReturnSent('R1', 'osl'),
  getExchangeStatement: (a) => a.getExchangeStatement('C1'),
  planSale: (a) => a.planSale('C1', body, 'k'),
  listDesks: (a) => a.listDesks(),
  getRfq: (a) => a.getRfq('Q1'),
  settleDeskTrade: (a) => a.settleDeskTrade('Q1', body, 'k'),
  getDeskSettlement: (a) => a.getDeskSettlement('Q1'),
  getIndicativeCnyRate: (a) => a.getIndicativeCnyRate('USD'),
  createDeclaration: (a) => a.createDeclaration(body, 'k'),
  submitDeclaration: (a) => a.submitDeclaration('D1', body, 'k'),
  recordFxDecision: (a) => a.recordFxDecision('D1', body, 'k'),
  settleDeclaration: (a) => a.settleDeclaration('D1', body, 'k'),
  listDeclarations: (a) => a.listDeclarations('C1'),
  recordCredit: (a) => a.recordCredit(body, 'k'),
  requestRemittance: (a) => a.requestRemittance(body, 'k'),
  registerRestitutionOrder: (a) => a.registerRestitutionOrder(body, 'k'),
  distributeRestitution: (a) => a.distributeRestitution(body, 'k'),
  openEscrow: (a) => a.openEscrow(body, 'k'),
  recordJudgment: (a) => a.recordJudgment(body, 'k'),
  returnToOwner: (a) => a.returnToOwner(body, 'k'),
  getTreasuryStatement: (a) => a.getTreasuryStatement('C1'),
  readCaseStatements: (a) => a.readCaseStatements({ caseId: 'C1', deskRfqIds: ['Q1'] }),
  checkpointAuditChains: (a) => a.checkpointAuditChains({ caseId: 'C1', stage: 'SALE' }),
};
const SALE_CALLS: { [K in keyof SaleActivities]: (a: SaleActivities) => Promise<unknown> } = {
  getReferencePrice: (a) => a.getReferencePrice('BTC/USDT', 'osl'),
  getLegalFloor: (a) => a.getLegalFloor('BTC/USDT'),
  getSaleQuote: (a) => a.getSaleQuote('BTC/USDT', 'osl'),
  getTradedVolume: (a) => a.getTradedVolume('BTC/USDT', { seconds: 60 }, 'osl'),
  chooseSaleRoute: (a) => a.chooseSaleRoute('C1', body, 'k'),
  cancelSellOrder: (a) => a.cancelSellOrder('C1', 'o-1', 'k', 'osl'),
};

beforeEach(() => {
  seen.length = 0;
});

test('every request an activity sends is a route of its service’s table, with the same method', async () => {
  const clients = serviceClients(urls(), 2_000);
  const activities = createActivities(clients);
  const sale = createSaleActivities(clients.exchange);
  const unserved: string[] = [];
  const check = async (name: string, run: () => Promise<unknown>) => {
    const before = seen.length;
    await run().catch(() => undefined);
    const sent = seen.slice(before);
    if (sent.length === 0) unserved.push(`${name}: sent nothing`);
    for (const s of sent) {
      if (!servedBy(s.service, s.method, s.path))
        unserved.push(`${name}: ${s.method.toUpperCase()} ${s.service} ${s.path}`);
    }
  };
  for (const [name, run] of Object.entries(CASE_CALLS)) await check(name, () => run(activities));
  for (const [name, run] of Object.entries(SALE_CALLS)) await check(name, () => run(sale));
  expect(unserved).toEqual([]);
  // The venue-scoped ones went to the other venue's routes; the checkpoint to all four services.
  expect(seen).toContainEqual({ service: 'exchange', method: 'post', path: '/v1/venues/osl/orders' });
  expect(seen.filter((s) => s.path === '/v1/audit/checkpoints').map((s) => s.service)).toEqual([...SERVICES]);
});

test('the check refuses a path no table has, and a known path with another method', () => {
  expect(servedBy('custody', 'get', '/v1/accounts/C1/BTC')).toBe(true);
  expect(servedBy('custody', 'post', '/v1/accounts/C1/BTC')).toBe(false);
  expect(servedBy('custody', 'get', '/v1/account/C1/BTC')).toBe(false);
  expect(servedBy('exchange', 'get', '/v1/venues/osl/orders/o-1')).toBe(true);
  expect(servedBy('fx', 'get', '/v1/venues/osl/orders/o-1')).toBe(false);
});

test('a route is called by its name, its parameters encoded into its path', async () => {
  const custody = routeClient(new ServiceClient({ service: 'custody', baseUrl: urls().custody }), CUSTODY_ROUTES);
  await custody.call('getAccount', { params: { caseId: 'C1/../x', asset: 'BTC' } }).catch(() => undefined);
  expect(seen).toEqual([{ service: 'custody', method: 'get', path: '/v1/accounts/C1%2F..%2Fx/BTC' }]);
  // A name made at run time that is not in the table is refused before anything is sent.
  const loose = custody.call as (name: string) => Promise<unknown>;
  await expect(loose('getAccounts')).rejects.toThrow('no route getAccounts');
  expect(seen).toHaveLength(1);
});

/** Never run: what tsc refuses (`npx tsc -p tsconfig.json --noEmit` fails if any of these compiles). */
export function refusedAtCompileTime(custody: ReturnType<typeof routeClient<typeof CUSTODY_ROUTES>>): void {
  // @ts-expect-error a route that is not in custody's table
  void custody.call('getAccounts', { params: { caseId: 'C1', asset: 'BTC' } });
  // @ts-expect-error a path parameter missing
  void custody.call('getAccount', { params: { caseId: 'C1' } });
  // @ts-expect-error a body that is not the route's (no chain)
  void custody.call('openAccount', { body: { caseId: 'C1', asset: 'BTC' }, idempotencyKey: 'k' });
  // @ts-expect-error a mutating call without its Idempotency-Key
  void custody.call('openAccount', { body: { caseId: 'C1', asset: 'BTC', chain: 'bitcoin' } });
  // @ts-expect-error a query key the route does not take
  void custody.call('getNetworkFee', { query: { chain: 'bitcoin', asset: 'BTC', fee: '1' } });
  // The answer is the route's response schema's output.
  void custody.call('getAccount', { params: { caseId: 'C1', asset: 'BTC' } }).then((a) => a.address.toUpperCase());
}
