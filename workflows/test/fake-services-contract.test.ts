/**
 * The fake services cannot drift from the real ones' contracts unseen: a case runs its happy path on
 * the fake (fake-services.ts), every answer the fake gave is recorded, and each is then served over
 * HTTP to the REAL activity of the same name, which parses it with the real route's response schema
 * (the service's route table, routeClient). An answer the real service's contract would refuse fails
 * here as a contract violation naming the activity and the field.
 */
import { ApplicationFailure } from '@temporalio/common';
import { listen, type RunningServer } from '@vcdc/shared';
import express from 'express';
import { CONTRACT_VIOLATION, createActivities } from '../src/activities/case-activities';
import { caseStatementsReader } from '../src/activities/case-statements';
import { createSaleActivities, saleQuoteReader } from '../src/activities/sale-activities';
import { serviceClients } from '../src/worker/worker';
import { caseHarness, registration } from './case-harness';
import { VICTIMS } from './case-support';
import { createFakeActivities } from './fake-services';

const h = caseHarness();

let server: RunningServer;
/** What the stand-in answers next, one per request (the last one again when more are asked). */
let answers: unknown[] = [];

/** Activities that ask each service once and answer the list of their answers, in order. */
const ONE_ANSWER_PER_SERVICE = new Set(['checkpointAuditChains']);

beforeAll(async () => {
  const app = express();
  app.use(express.json({ limit: '5mb' }));
  // Whatever the real activity asks, the service answers what the fake answered for that call.
  app.use((_req, res) => {
    const next = answers.length > 1 ? answers.shift() : answers[0];
    res.status(200).type('application/json').send(JSON.stringify(next));
  });
  server = await listen(app, 0);
});
afterAll(() => server?.close());

interface Call {
  name: string;
  args: unknown[];
  result: unknown;
}

type AnyActivity = (...args: unknown[]) => Promise<unknown>;

/** The happy path, and one paying victims under a court's restitution order (the treasury's other routes). */
const SCENARIOS: Array<[string, Record<string, unknown>, string[]]> = [
  [
    'a case remitted to the treasury',
    {},
    ['openCustodyAccount', 'placeSellOrder', 'createDeclaration', 'recordCredit'],
  ],
  [
    'a case paid out under a restitution order',
    {
      restitution: {
        courtOrderRef: '(2026) Jing 01 Xing Chu 7',
        documentHash: 'ef'.repeat(32),
        method: 'PRO_RATA',
        victims: VICTIMS,
      },
    },
    ['registerRestitutionOrder', 'distributeRestitution'],
  ],
];

test.each(SCENARIOS)(
  "every answer the fake gives in %s passes the real route's contract",
  async (_name, overrides, expected) => {
    const fake = createFakeActivities();
    const calls: Call[] = [];
    const recording = { ...fake } as Record<string, unknown>;
    for (const [name, fn] of Object.entries(fake)) {
      if (typeof fn !== 'function') continue;
      recording[name] = async (...args: unknown[]) => {
        const result = await (fn as AnyActivity)(...args);
        calls.push({ name, args: structuredClone(args), result: structuredClone(result) });
        return result;
      };
    }
    // The one read of a reconciliation is the single reads: each answer is checked against its own route.
    recording.readCaseStatements = caseStatementsReader(recording as typeof fake);
    recording.getSaleQuote = saleQuoteReader(recording as typeof fake);
    const { outcome } = await h.runHappyPath(registration(overrides), {}, recording as typeof fake);
    expect(outcome.status).toBe('COMPLETED');

    const urls = { custody: server.url, exchange: server.url, fx: server.url, treasury: server.url };
    const real: Record<string, AnyActivity> = {
      ...(createActivities(serviceClients(urls, 5_000)) as unknown as Record<string, AnyActivity>),
      ...(createSaleActivities(serviceClients(urls, 5_000).exchange) as unknown as Record<string, AnyActivity>),
    };
    const checked = new Set<string>();
    const violations: string[] = [];
    for (const call of calls) {
      const activity = real[call.name];
      // Not a service call (the decision signature, notifications): nothing to hold against a contract.
      if (!activity || call.result === undefined) continue;
      answers = ONE_ANSWER_PER_SERVICE.has(call.name) ? [...(call.result as unknown[])] : [call.result];
      checked.add(call.name);
      try {
        await activity(...call.args);
      } catch (error) {
        if (error instanceof ApplicationFailure && error.type === CONTRACT_VIOLATION) {
          violations.push(`${call.name}: ${error.message}`);
        }
      }
    }
    expect(violations).toEqual([]);
    // The happy path reaches every service: the check saw answers of each.
    expect(checked.size).toBeGreaterThan(15);
    expect([...checked]).toEqual(expect.arrayContaining(expected));
  },
  180_000,
);
