import { readdirSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { createTestDatabase } from '../../../test/support/database';
import {
  AUDIT_CHAIN_MIGRATIONS_DIR,
  assertSchemaCurrent,
  claimedIdempotent,
  createPool,
  createServiceApp,
  idempotent,
  inTransaction,
  migrate,
  type Pool,
  PositiveDecimalString,
  Problem,
  SHARED_MIGRATIONS_DIR,
  silentLogger,
} from '../src';

const MIGRATIONS = path.join(__dirname, 'fixtures/migrations');
const ThingInput = z.object({ name: z.string().min(1), amount: PositiveDecimalString });

let pool: Pool;
let databaseUrl: string;
let calls = 0;

function buildApp() {
  return createServiceApp({
    service: 'things',
    logger: silentLogger(),
    readiness: async () => {
      await assertSchemaCurrent(pool, MIGRATIONS);
    },
    routes: (app) => {
      app.post(
        '/v1/things',
        idempotent(pool, ThingInput, async (input, tx) => {
          calls += 1;
          if (input.name === 'refuse') throw new Problem(422, 'refused-thing', 'Thing refused');
          if (input.name === 'crash') throw new Error('boom');
          const { rows } = await tx.query(
            'INSERT INTO things (name, amount) VALUES ($1, $2) RETURNING id, name, amount',
            [input.name, input.amount],
          );
          return { status: 201, body: rows[0] };
        }),
      );
      // The control API's way: the key is optional and each caller (here: a header) has their own key space.
      app.post(
        '/v1/scoped-things',
        idempotent(
          pool,
          ThingInput,
          async (input, tx) => {
            const { rows } = await tx.query(
              'INSERT INTO things (name, amount) VALUES ($1, $2) RETURNING id, name, amount',
              [input.name, input.amount],
            );
            return { status: 201, body: rows[0] };
          },
          { key: 'optional', scope: (req) => req.get('x-caller') ?? 'nobody' },
        ),
      );
    },
  });
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('shared');
  await migrate({ databaseUrl, schema: 'things', dir: MIGRATIONS });
  pool = createPool(databaseUrl, 'things');
});
afterAll(async () => {
  await pool.end();
});

async function countThings(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
  return rows[0]!.n;
}

describe('migrations', () => {
  test('processes migrating at once succeed: the same schema waits its turn, other schemas run side by side', async () => {
    const url = await createTestDatabase('migrate_race');
    const runs = await Promise.all([
      migrate({ databaseUrl: url, schema: 'alpha', dir: MIGRATIONS }),
      migrate({ databaseUrl: url, schema: 'alpha', dir: MIGRATIONS }),
      migrate({ databaseUrl: url, schema: 'beta', dir: MIGRATIONS }),
      migrate({ databaseUrl: url, schema: 'gamma', dir: MIGRATIONS }),
    ]);
    // Each schema's migrations (shared, the fixture's, the audit chain's) were applied exactly once,
    // by one of the racing processes.
    const all = [SHARED_MIGRATIONS_DIR, MIGRATIONS, AUDIT_CHAIN_MIGRATIONS_DIR]
      .map((dir) => readdirSync(dir).filter((f) => f.endsWith('.sql')).length)
      .reduce((a, b) => a + b);
    expect(all).toBeGreaterThanOrEqual(6);
    expect(runs[0]!.length + runs[1]!.length).toBe(all);
    expect(runs[2]).toHaveLength(all);
    expect(runs[3]).toHaveLength(all);
  });

  test('a second run applies nothing and the schema reports ready', async () => {
    expect(await migrate({ databaseUrl, schema: 'things', dir: MIGRATIONS })).toEqual([]);
    await request(buildApp()).get('/readyz').expect(200);
  });
});

describe('Idempotency-Key layer', () => {
  test('the same key and body returns the stored response and does the work once', async () => {
    const app = buildApp();
    const before = await countThings();
    const first = await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-same')
      .send({ name: 'a', amount: '1.50' })
      .expect(201);
    const again = await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-same')
      .send({ amount: '1.50', name: 'a' })
      .expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await countThings()).toBe(before + 1);
    expect(first.body.amount).toBe('1.50');
  });

  test('the same key with another body is refused with 409 problem+json and changes nothing', async () => {
    const app = buildApp();
    await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-other')
      .send({ name: 'b', amount: '2' })
      .expect(201);
    const before = await countThings();
    const res = await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-other')
      .send({ name: 'b', amount: '3' })
      .expect(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    expect(await countThings()).toBe(before);
  });

  test('concurrent requests with one key do the work once', async () => {
    const app = buildApp();
    const before = await countThings();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        request(app).post('/v1/things').set('Idempotency-Key', 'k-race').send({ name: 'race', amount: '1' }),
      ),
    );
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await countThings()).toBe(before + 1);
  });

  test('a malformed body is a 400 naming the field, and the key stays unused', async () => {
    const app = buildApp();
    const bad = await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-bad')
      .send({ name: 'c', amount: '-1' })
      .expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
    await request(app).post('/v1/things').set('Idempotency-Key', 'k-bad').send({ name: 'c', amount: '1' }).expect(201);
  });

  test('a missing key is refused before any work', async () => {
    const before = calls;
    const res = await request(buildApp()).post('/v1/things').send({ name: 'd', amount: '1' }).expect(400);
    expect(res.body.type).toBe('urn:vcdc:problem:idempotency-key-missing');
    expect(calls).toBe(before);
  });

  test('a refusal is stored and replayed; a crash stores nothing so a retry runs again', async () => {
    const app = buildApp();
    const refusedCalls = calls;
    await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-refuse')
      .send({ name: 'refuse', amount: '1' })
      .expect(422);
    await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-refuse')
      .send({ name: 'refuse', amount: '1' })
      .expect(422);
    expect(calls).toBe(refusedCalls + 1);

    const crashCalls = calls;
    await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-crash')
      .send({ name: 'crash', amount: '1' })
      .expect(500);
    await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-crash')
      .send({ name: 'crash', amount: '1' })
      .expect(500);
    expect(calls).toBe(crashCalls + 2);
  });

  test('with an optional key and per-caller scopes: no key runs every time, one key is one per caller', async () => {
    const app = buildApp();
    const post = (caller: string, key?: string) => {
      const req = request(app).post('/v1/scoped-things').set('x-caller', caller);
      return (key ? req.set('Idempotency-Key', key) : req).send({ name: 'scoped', amount: '1' });
    };
    const before = await countThings();
    expect((await post('alice')).status).toBe(201);
    expect((await post('alice')).status).toBe(201);
    expect(await countThings()).toBe(before + 2);

    const alice = await post('alice', 'k-shared');
    const aliceAgain = await post('alice', 'k-shared');
    const bob = await post('bob with spaces', 'k-shared');
    expect(aliceAgain.body).toEqual(alice.body);
    expect(aliceAgain.headers['idempotent-replayed']).toBe('true');
    expect(bob.status).toBe(201);
    expect(bob.body.id).not.toBe(alice.body.id);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    expect(await countThings()).toBe(before + 4);
    const reused = await request(app)
      .post('/v1/scoped-things')
      .set('x-caller', 'alice')
      .set('Idempotency-Key', 'k-shared')
      .send({ name: 'scoped', amount: '2' });
    expect(reused.status).toBe(409);
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
  });

  test('malformed JSON and unknown routes answer problem+json', async () => {
    const app = buildApp();
    const bad = await request(app)
      .post('/v1/things')
      .set('Idempotency-Key', 'k-json')
      .set('content-type', 'application/json')
      .send('{"name":')
      .expect(400);
    expect(bad.body.type).toBe('urn:vcdc:problem:malformed-json');
    const missing = await request(app).get('/v1/nothing').expect(404);
    expect(missing.body.type).toBe('urn:vcdc:problem:route-not-found');
  });
});

describe('claimed keys: the handler runs holding no database connection (issue 14)', () => {
  /** A pool of ONE connection: a handler that held it would starve every other request. */
  let one: Pool;
  let gate: { open: () => void; opened: Promise<void> };
  let runs = 0;
  /** The first request named "undone" fails after storing its answer (how many have run). */
  let undoneOnce = 0;
  const newGate = () => {
    let open: () => void = () => {};
    const opened = new Promise<void>((r) => {
      open = r;
    });
    return { open, opened };
  };
  beforeAll(() => {
    one = createPool(databaseUrl, 'things', 1);
  });
  afterAll(async () => {
    await one.end();
  });
  const claimedApp = () =>
    createServiceApp({
      service: 'claims',
      logger: silentLogger(),
      readiness: async () => undefined,
      routes: (app) => {
        app.post(
          '/v1/slow',
          claimedIdempotent(one, ThingInput, async (input) => {
            runs += 1;
            // Waits like a call to Temporal whose worker is paused.
            if (input.name === 'slow') await gate.opened;
            if (input.name === 'flaky' && runs % 2 === 1) throw new Problem(503, 'busy', 'try again');
            return { status: 201, body: { name: input.name, run: runs } };
          }),
        );
        // Its work and its answer in one transaction of its own (the exchange service's orders).
        app.post(
          '/v1/recorded',
          claimedIdempotent(one, ThingInput, async (input, _req, claim) => {
            runs += 1;
            const body = await inTransaction(one, async (tx) => {
              const { rows } = await tx.query('INSERT INTO things (name, amount) VALUES ($1, $2) RETURNING id, name', [
                input.name,
                input.amount,
              ]);
              const thing = { ...rows[0], run: runs };
              await claim.answer(tx, { status: 201, body: thing });
              if (input.name === 'undone' && !undoneOnce++) throw new Problem(503, 'busy', 'rolled back');
              return thing;
            });
            return { status: 201, body };
          }),
        );
      },
    });

  test('while one request waits, another is answered; the same key meanwhile is 409 in progress, then replays', async () => {
    gate = newGate();
    const app = claimedApp();
    const slow = request(app).post('/v1/slow').set('Idempotency-Key', 'claim-slow').send({ name: 'slow', amount: '1' });
    const first = slow.then((r) => r);
    // Let the slow request claim its key.
    for (
      let i = 0;
      i < 50 && (await one.query("SELECT 1 FROM idempotency_keys WHERE key = 'claim-slow'")).rowCount === 0;
      i++
    )
      await new Promise((r) => setTimeout(r, 20));
    // The pool's one connection is free: another request goes through while the first still waits.
    const other = await request(app)
      .post('/v1/slow')
      .set('Idempotency-Key', 'claim-other')
      .send({ name: 'fast', amount: '1' });
    expect(other.status).toBe(201);
    const again = await request(app)
      .post('/v1/slow')
      .set('Idempotency-Key', 'claim-slow')
      .send({ name: 'slow', amount: '1' });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:vcdc:problem:idempotency-request-in-progress');
    const reused = await request(app)
      .post('/v1/slow')
      .set('Idempotency-Key', 'claim-slow')
      .send({ name: 'other', amount: '1' });
    expect(reused.body.type).toBe('urn:vcdc:problem:idempotency-key-reused');
    gate.open();
    const done = await first;
    expect(done.status).toBe(201);
    const replay = await request(app)
      .post('/v1/slow')
      .set('Idempotency-Key', 'claim-slow')
      .send({ name: 'slow', amount: '1' });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(done.body);
  });

  test("an answer stored on the handler's transaction commits with its work, in no transaction after it, and is what is sent", async () => {
    runs = 0;
    const app = claimedApp();
    const send = (name: string) =>
      request(app).post('/v1/recorded').set('Idempotency-Key', `claim-${name}`).send({ name, amount: '1' });
    const sent: string[] = [];
    const query = one.query.bind(one);
    (one as unknown as { query: typeof query }).query = ((text: string, ...rest: unknown[]) => {
      sent.push(text);
      return (query as (...a: unknown[]) => unknown)(text, ...rest);
    }) as typeof query;
    let done: request.Response;
    try {
      done = await send('kept');
    } finally {
      (one as unknown as { query: typeof query }).query = query;
    }
    expect(done.status).toBe(201);
    // The claim is the only statement on the pool itself: the answer went with the insert.
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^\s*INSERT INTO idempotency_keys/);
    const stored = await one.query('SELECT response_status, response_body FROM idempotency_keys WHERE key = $1', [
      'claim-kept',
    ]);
    expect(stored.rows[0]).toEqual({ response_status: 201, response_body: done.body });
    expect((await send('kept')).headers['idempotent-replayed']).toBe('true');
    // Rolled back with the work: nothing stored, the key released, the retry runs afresh and is kept.
    expect((await send('undone')).status).toBe(503);
    expect((await one.query("SELECT count(*)::int AS n FROM things WHERE name = 'undone'")).rows[0].n).toBe(0);
    const retried = await send('undone');
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ name: 'undone', run: 3 });
    expect((await send('undone')).body).toEqual(retried.body);
    expect(runs).toBe(3);
  });

  test('a failure that stores nothing releases the key: the retry runs afresh and is kept', async () => {
    runs = 0;
    const app = claimedApp();
    const send = () =>
      request(app).post('/v1/slow').set('Idempotency-Key', 'claim-flaky').send({ name: 'flaky', amount: '1' });
    expect((await send()).status).toBe(503);
    const retried = await send();
    expect(retried.status).toBe(201);
    expect(retried.body).toEqual({ name: 'flaky', run: 2 });
    expect((await send()).headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(2);
  });
});

describe('/readyz tells the truth about the pool', () => {
  test('every connection taken and callers queueing: 503 at once, naming the starved pool; ready again once freed', async () => {
    const one = createPool(databaseUrl, 'things', 1);
    try {
      const app = createServiceApp({
        service: 'starved',
        logger: silentLogger(),
        readiness: async () => {
          await one.query('SELECT 1');
        },
        routes: () => undefined,
        audit: { pool: one },
      });
      await request(app).get('/readyz').expect(200);
      const held = await one.connect();
      const queued = one.query('SELECT 1');
      const starved = await request(app).get('/readyz').timeout(3000);
      expect(starved.status).toBe(503);
      expect(starved.body.detail).toMatch(/database pool starved: all 1 connections busy, 1 request\(s\) waiting/);
      // Liveness is another matter: the process is alive.
      await request(app).get('/healthz').expect(200);
      held.release();
      await queued;
      await request(app).get('/readyz').expect(200);
    } finally {
      await one.end();
    }
  });
});
