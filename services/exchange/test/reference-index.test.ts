/**
 * The reference index across venues as the service computes it (GET /v1/reference-index/:base/:quote):
 * HashKey through ccxt and OSL through our adapter, each a moving venue simulator over real HTTP on one
 * hand-stepped clock, a third reference venue that does not answer, and real PostgreSQL. Each answer
 * is held against the simulators' own candles and against the row the service recorded.
 */
import { createPool, migrate, type Pool, parseConfig, silentLogger } from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import {
  DEV_OSL_API_KEY,
  DEV_OSL_SECRET,
  type RunningOslSimulator,
  startOslSimulator,
} from '../../../simulators/src/osl';
import { type RunningVenueSimulator, startVenueSimulator } from '../../../simulators/src/venue';
import { createTestDatabase } from '../../../test/support/database';
import { seedProviderRegister } from '../../../test/support/provider-register';
import { simulatorVenue } from '../../../test/support/simulated-exchange';
import { createApp, EXCHANGE_MIGRATIONS_DIR } from '../src/app';
import { ExchangeConfig } from '../src/config';
import { CcxtMarketData } from '../src/market-data';
import { OslVenue } from '../src/osl/osl-venue';
import { computeReferenceIndex } from '../src/reference-index';
import { loadIndexComputation } from '../src/reference-index-records';
import { indexPolicyFromConfig } from '../src/service';

const MINUTE = 60_000;
/** Both markets' clock: a whole minute, stepped by hand; both markets start moving at t0. */
const t0 = Date.UTC(2026, 11, 4, 9, 0, 0);
let t = t0;

let pool: Pool;
let chain: RunningChainSimulator;
let hashkey: RunningVenueSimulator;
let osl: RunningOslSimulator;
let app: Express;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('exchange_reference_index');
  await migrate({ databaseUrl, schema: 'exchange', dir: EXCHANGE_MIGRATIONS_DIR });
  pool = createPool(databaseUrl, 'exchange');
  await seedProviderRegister(pool);
  chain = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  const moving = { dynamics: {}, clock: () => t, pollIntervalMs: 60_000, chainUrl: chain.url };
  hashkey = await startVenueSimulator({ port: 0, seed: 5151, ...moving });
  osl = await startOslSimulator({ port: 0, ...moving });
  app = createApp({
    pool,
    logger: silentLogger(),
    venue: simulatorVenue(hashkey.url),
    otherVenues: [
      {
        venue: new OslVenue({
          apiUrl: osl.url,
          apiKey: DEV_OSL_API_KEY,
          secret: DEV_OSL_SECRET,
          timeoutMs: 3000,
          enableRateLimit: false,
        }),
      },
    ],
    clock: () => new Date(t),
    referenceIndex: {
      // A reference venue nobody listens for: asked, and recorded as unavailable.
      sources: [new CcxtMarketData({ id: 'gone', exchange: 'hashkey', url: 'http://127.0.0.1:9', timeoutMs: 2000 })],
      policy: { windowMinutes: 60, partitions: 12, minPartitionsWithVolume: 6 },
      referencePolicy: { maxAgeMs: 3_600_000, maxDispersionBp: '1000', minSources: 1 },
    },
  });
}, 120_000);

afterAll(async () => {
  await osl?.close();
  await hashkey?.close();
  await chain?.close();
  await pool?.end();
});

/** A simulator's own minute candles that start in [from, to). */
function simCandles(sim: RunningVenueSimulator, market: string, from: number, to: number) {
  return sim.venue
    .candles(sim.venue.market(market), MINUTE, from, to - 1)
    .filter((c) => c.openTime >= from && c.openTime < to);
}

interface IndexBody {
  id: string;
  index: string;
  windowStart: string;
  windowEnd: string;
  partitions: { start: string; end: string; volume: string; median?: string }[];
  partitionsWithVolume: number;
  emptyPartitions: number;
  venues: { venue: string; status: string; candles: number; volume?: string; mid?: string; error?: string }[];
  medianOfMids: { id: string; outcome: string; price?: string };
}

test('too few partitions with volume: 503 problem naming the reason, and the refusal recorded', async () => {
  // Twenty minutes into the market: the hour's window has volume in 4 of its 12 partitions, 6 needed.
  t = t0 + 20 * MINUTE + 5_000;
  const res = await request(app).get('/v1/reference-index/BTC/USDT').expect(503);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 503 });
  expect(res.body.type).toMatch(/reference-index-insufficient-volume/);
  expect(res.body.detail).toMatch(/4 of 12 partitions .* 6 needed \(unavailable: gone\)/);
  const row = await loadIndexComputation(pool, res.body.computationId);
  expect(row).toMatchObject({ outcome: 'insufficient-volume', index_price: null, partitions_with_volume: 4 });
  expect(row?.detail).toBe(res.body.detail);
});

test('a malformed market is a 400 problem naming the field, and nothing is recorded', async () => {
  const before = await pool.query('SELECT count(*)::int AS n FROM reference_index_computations');
  const res = await request(app).get('/v1/reference-index/btc/USDT').expect(400);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(JSON.stringify(res.body)).toMatch(/base/);
  const after = await pool.query('SELECT count(*)::int AS n FROM reference_index_computations');
  expect(after.rows[0].n).toBe(before.rows[0].n);
});

describe('GET /v1/reference-index/:base/:quote', () => {
  let body: IndexBody;

  beforeAll(async () => {
    t = t0 + 61 * MINUTE + 15_000;
    body = (await request(app).get('/v1/reference-index/BTC/USDT').expect(200)).body;
  }, 60_000);

  test('answers an index within the range of both venues’ candle prices over the last whole hour', () => {
    expect(body.windowStart).toBe(new Date(t0 + MINUTE).toISOString());
    expect(body.windowEnd).toBe(new Date(t0 + 61 * MINUTE).toISOString());
    const candles = [
      ...simCandles(hashkey, 'BTCUSDT', t0 + MINUTE, t0 + 61 * MINUTE),
      ...simCandles(osl, 'BTC-USDT', t0 + MINUTE, t0 + 61 * MINUTE),
    ].filter((c) => c.volume.gt(0));
    expect(candles.length).toBeGreaterThan(60);
    const lowest = Decimal.min(...candles.map((c) => c.low));
    const highest = Decimal.max(...candles.map((c) => c.high));
    const index = new Decimal(body.index);
    expect(index.gte(lowest) && index.lte(highest)).toBe(true);
    expect(body).toMatchObject({ partitionsWithVolume: 12, emptyPartitions: 0 });
    // Each venue's volume is the sum of its own candles in the window.
    const hashkeyVolume = simCandles(hashkey, 'BTCUSDT', t0 + MINUTE, t0 + 61 * MINUTE).reduce(
      (s, c) => s.plus(c.volume),
      new Decimal(0),
    );
    expect(body.venues.find((v) => v.venue === 'hashkey')).toMatchObject({
      status: 'read',
      candles: 60,
      volume: hashkeyVolume.toFixed(),
    });
    expect(body.venues.find((v) => v.venue === 'osl')).toMatchObject({ status: 'read', candles: 60 });
  });

  test('each venue’s mid and the median of the mids stand beside the index', () => {
    const mids = body.venues.filter((v) => v.mid !== undefined).map((v) => new Decimal(v.mid as string));
    expect(body.venues.filter((v) => v.mid).map((v) => v.venue)).toEqual(['hashkey', 'osl']);
    expect(body.medianOfMids).toMatchObject({
      outcome: 'ok',
      price: (mids[0] as Decimal)
        .plus(mids[1] as Decimal)
        .div(2)
        .toFixed(),
    });
  });

  test('the recorded computation matches the answer, and the index can be recomputed from it alone', async () => {
    const row = await loadIndexComputation(pool, body.id);
    expect(row).toBeDefined();
    if (!row) return;
    expect(row).toMatchObject({
      symbol: 'BTC/USDT',
      outcome: 'ok',
      partitions_with_volume: 12,
      empty_partitions: 0,
      reference_computation_id: body.medianOfMids.id,
    });
    expect(new Decimal(row.index_price as string).eq(body.index)).toBe(true);
    expect(row.partition_results).toEqual(body.partitions);
    expect(row.inputs.map((i) => [i.venue, i.status, i.candle_count])).toEqual([
      ['hashkey', 'read', 60],
      ['osl', 'read', 60],
      ['gone', 'unavailable', null],
    ]);
    const recomputed = computeReferenceIndex(
      'BTC/USDT',
      row.inputs.map((i) => ({
        venue: i.venue,
        candles: (i.candles ?? []).map((c) => ({ ...c, start: new Date(c.start) })),
        ...(i.error ? { unavailable: i.error } : {}),
      })),
      { windowMinutes: 60, partitions: 12, minPartitionsWithVolume: 6 },
      new Date(body.windowEnd),
    );
    expect(recomputed.index).toBe(body.index);
    // The median of mids beside it is in price_observations, with the same venues.
    const { rows } = await pool.query<{ venue: string; excluded: string | null }>(
      'SELECT venue, excluded FROM price_observations WHERE computation_id = $1 ORDER BY id',
      [body.medianOfMids.id],
    );
    expect(rows).toEqual([
      { venue: 'hashkey', excluded: null },
      { venue: 'osl', excluded: null },
      { venue: 'gone', excluded: 'unavailable' },
    ]);
  });

  test('a venue that cannot be read is recorded and answered as unavailable, not dropped', async () => {
    const gone = body.venues.find((v) => v.venue === 'gone');
    expect(gone).toMatchObject({ status: 'unavailable', candles: 0 });
    expect(gone?.error).toMatch(/gone/);
    const row = await loadIndexComputation(pool, body.id);
    expect(row?.inputs[2]).toMatchObject({ venue: 'gone', status: 'unavailable', candles: null, mid: null });
    expect(row?.inputs[2]?.error).toMatch(/ECONNREFUSED|fetch failed|gone/);
  });

  test('the rows are append-only and in the audit chain', async () => {
    await expect(
      pool.query('DELETE FROM reference_index_inputs WHERE computation_id = $1', [body.id]),
    ).rejects.toThrow();
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM audit_records
        WHERE kind = 'row.inserted'
          AND ((data->>'table' = 'reference_index_computations' AND data->'row'->>'id' = $1)
            OR (data->>'table' = 'reference_index_inputs' AND data->'row'->>'computation_id' = $1))`,
      [body.id],
    );
    expect(rows[0]?.n).toBe('4');
    expect((await request(app).get('/v1/audit/verify').expect(200)).body).toMatchObject({ ok: true });
  });
});

test('a reference index policy that cannot be computed stops the service at start-up, naming the variables', () => {
  const config = (env: Record<string, string>) =>
    parseConfig(ExchangeConfig, { DATABASE_URL: 'postgres://x@127.0.0.1/x', ...env });
  expect(indexPolicyFromConfig(config({}))).toEqual({ windowMinutes: 60, partitions: 12, minPartitionsWithVolume: 6 });
  expect(() => indexPolicyFromConfig(config({ REFERENCE_INDEX_PARTITIONS: '7' }))).toThrow(
    /REFERENCE_INDEX_WINDOW_MINUTES.*partitions must divide windowMinutes/,
  );
  expect(() => indexPolicyFromConfig(config({ REFERENCE_INDEX_MIN_PARTITIONS: '13' }))).toThrow(
    /minPartitionsWithVolume must be between 1 and partitions/,
  );
});
