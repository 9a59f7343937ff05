/**
 * A desk's delivery of ETH on the local EVM node (what the dev and e2e stacks carry ETH on): the desk's
 * ETH address is an EVM address, and it pays only for native ETH sent there, the trade's amount exactly.
 */
import { deskHeaders } from '@vcdc/shared/desk-signing';
import { devDeskCredentials, type RunningDesk, startDesk } from '../src/desks';
import { type RunningEvmNode, startEvmNode } from '../src/evm';

let evm: RunningEvmNode;
let desk: RunningDesk;
const creds = devDeskCredentials('desk-e');

beforeAll(async () => {
  evm = await startEvmNode();
  desk = await startDesk({
    id: 'desk-e',
    credentials: creds,
    seed: 1,
    reference: () => '3000',
    spreadBp: 50,
    minAmount: '0.1',
    maxAmount: '100',
    validityMs: 5000,
    lastLook: 0,
    noAnswer: 0,
    // Bitcoin would be looked up on the ledger chain; ETH on the EVM node.
    chain: { ledgerUrl: 'http://127.0.0.1:9', evmRpcUrl: evm.url },
  });
}, 120_000);
afterAll(async () => {
  await desk?.close();
  await evm?.close();
});

async function call(path: string, body: unknown, key = 'k') {
  const text = JSON.stringify(body);
  const res = await fetch(`${desk.url}${path}`, {
    method: 'POST',
    headers: { ...deskHeaders(creds, 'POST', path, text), 'Idempotency-Key': key },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('ETH to the desk’s EVM address, the trade’s amount: paid; elsewhere or less: refused', async () => {
  const q = await call('/v1/quotes', { side: 'sell', base: 'ETH', quote: 'USD', amount: '2' });
  const trade = await call(`/v1/quotes/${q.body.quoteId}/accept`, {});
  const address = (trade.body.settlement as { address: string }).address;
  expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  const path = `/v1/trades/${trade.body.tradeId}/delivery`;
  const deliver = async (txHash: string) => (await call(path, { txHash, amount: '2' })).body;
  const elsewhere = await evm.sweep('ETH', '0x000000000000000000000000000000000000dEaD', '2');
  expect((await deliver(elsewhere.txHash)).type).toBe('delivery-elsewhere');
  const less = await evm.sweep('ETH', address, '1.5');
  expect((await deliver(less.txHash)).type).toBe('wrong-amount');
  const good = await evm.sweep('ETH', address, '2');
  await evm.mine(1);
  const paid = await deliver(good.txHash);
  expect(paid.payment).toMatchObject({ amount: '5970', currency: 'USD' });
  expect(paid.delivery).toMatchObject({ txHash: good.txHash, amount: '2' });
}, 60_000);
