/**
 * The ledger-chain simulator's client (chain-adapter.ts): its answers are parsed with the route table's
 * response schemas, so custody gets what the schema says (the real simulator's answers pass), and an
 * answer that breaks the schema is an AnswerBreaksContract, not a value cast to a type it is not.
 */
import { AnswerBreaksContract, listen, type RunningServer } from '@vcdc/shared';
import express from 'express';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { ChainSimulatorClient } from '../src/chain-adapter';

let sim: RunningChainSimulator;
let broken: RunningServer;

beforeAll(async () => {
  sim = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  const app = express();
  app.get('/v1/chains/:chain/head', (_req, res) => res.json({ chain: 'bitcoin', height: 'tall' }));
  app.get('/v1/chains/:chain/transactions/:txHash', (req, res) =>
    res.json({ txHash: req.params.txHash, chain: 'bitcoin', amount: '1e3', status: 'MAYBE' }),
  );
  broken = await listen(app, 0);
});
afterAll(async () => {
  await sim?.close();
  await broken?.close();
});

test("the real simulator's answers pass their schemas: head, fees, a sent transaction and its look-up", async () => {
  const chain = new ChainSimulatorClient(sim.url);
  const faucet = await fetch(`${sim.url}/v1/chains/bitcoin/faucet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: 'wallet:a', asset: 'BTC', amount: '1' }),
  });
  expect(faucet.status).toBe(201);
  sim.mine('bitcoin', 1);
  // Only what the adapter promises: the simulator's `chain` beside the height is not passed on.
  expect(await chain.getHead('bitcoin')).toEqual({ height: expect.any(Number) });
  expect(await chain.getFees('bitcoin')).toEqual({ BTC: '0.00002' });
  const sent = await chain.send('bitcoin', {
    from: 'wallet:a',
    to: 'wallet:b',
    asset: 'BTC',
    amount: '0.5',
    clientRef: 'r1',
  });
  expect(sent).toMatchObject({ chain: 'bitcoin', amount: '0.5', fee: '0.00002', status: 'PENDING', blockHeight: null });
  expect(await chain.getTransaction('bitcoin', sent.txHash)).toEqual(sent);
  expect(await chain.getTransaction('bitcoin', 'no-such-tx')).toBeUndefined();
});

test('an answer that breaks the schema is refused as AnswerBreaksContract', async () => {
  const chain = new ChainSimulatorClient(broken.url);
  await expect(chain.getHead('bitcoin')).rejects.toBeInstanceOf(AnswerBreaksContract);
  await expect(chain.getTransaction('bitcoin', 'tx1')).rejects.toBeInstanceOf(AnswerBreaksContract);
});
