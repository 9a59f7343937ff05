import { Decimal } from '@vcdc/shared';
import { type RunningFxRateSimulator, startFxRateSimulator } from '../src/fx-rates';

const TODAY = new Date('2026-03-10T12:00:00Z');
let sim: RunningFxRateSimulator;

beforeAll(async () => {
  sim = await startFxRateSimulator({ port: 0, seed: 'test-seed', clock: () => TODAY });
});
afterAll(async () => {
  await sim.close();
});

async function rate(path: string): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${sim.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('FX-rate simulator', () => {
  test('a day has one rate: parity, bank buying rate and spread as 4-decimal strings that add up', async () => {
    const { status, body } = await rate('/v1/rates/USD/CNY?date=2025-06-30');
    expect(status).toBe(200);
    expect(body).toMatchObject({ currency: 'USD', quote: 'CNY', date: '2025-06-30' });
    for (const field of ['centralParity', 'bankBuyRate', 'spread']) expect(body[field]).toMatch(/^\d+\.\d{4}$/);
    expect(new Decimal(body.bankBuyRate!).plus(body.spread!).eq(body.centralParity!)).toBe(true);
    expect(new Decimal(body.spread!).gt(0)).toBe(true);
    expect(body.publishedAt).toBe('2025-06-30T01:15:00.000Z');
    expect(body.source).toBe('vcdc-simulated-central-parity');
  });

  test('the same seed and date give the same rate; another seed gives another walk', async () => {
    const again = await startFxRateSimulator({ port: 0, seed: 'test-seed', clock: () => TODAY });
    const other = await startFxRateSimulator({ port: 0, seed: 'other-seed', clock: () => TODAY });
    try {
      const path = '/v1/rates/HKD/CNY?date=2024-02-29';
      const get = async (url: string) => (await (await fetch(`${url}${path}`)).json()) as Record<string, string>;
      const a = await get(sim.url);
      const b = await get(again.url);
      const c = await get(other.url);
      expect(b).toEqual(a);
      expect(c.centralParity).not.toBe(a.centralParity);
    } finally {
      await again.close();
      await other.close();
    }
  });

  test('the walk moves from day to day but stays near 7.10 for USD and 0.91 for HKD', async () => {
    const parities = new Set<string>();
    for (const date of ['2020-01-01', '2022-05-17', '2024-11-02', '2026-03-09', '2026-03-10']) {
      const usd = await rate(`/v1/rates/USD/CNY?date=${date}`);
      const hkd = await rate(`/v1/rates/HKD/CNY?date=${date}`);
      parities.add(usd.body.centralParity!);
      expect(new Decimal(usd.body.centralParity!).minus('7.10').abs().lt('0.5')).toBe(true);
      expect(new Decimal(hkd.body.centralParity!).minus('0.91').abs().lt('0.07')).toBe(true);
    }
    expect(parities.size).toBeGreaterThan(1);
  });

  test('without a date it answers for today (UTC)', async () => {
    const { body } = await rate('/v1/rates/USD/CNY');
    const explicit = await rate('/v1/rates/USD/CNY?date=2026-03-10');
    expect(body.date).toBe('2026-03-10');
    expect(body).toEqual(explicit.body);
  });

  test('an unknown currency, a future date and a malformed date are problems', async () => {
    const unknown = await rate('/v1/rates/EUR/CNY');
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('urn:vcdc:problem:not-found');
    const future = await rate('/v1/rates/USD/CNY?date=2026-03-11');
    expect(future.status).toBe(404);
    expect(future.body.type).toBe('urn:vcdc:problem:rate-not-published');
    const bad = await rate('/v1/rates/USD/CNY?date=2025-02-30');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^date:/);
  });

  test('an injected fault answers 503 the given number of times, then rates flow again', async () => {
    sim.faults.failNext(2);
    expect((await rate('/v1/rates/USD/CNY')).status).toBe(503);
    expect((await rate('/v1/rates/USD/CNY')).status).toBe(503);
    expect((await rate('/v1/rates/USD/CNY')).status).toBe(200);
  });
});
