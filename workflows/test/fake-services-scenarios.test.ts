/**
 * One table of scenarios, run against the fake services (fake-services.ts) and against the real FX and
 * treasury services (their apps on a fresh database of the test PostgreSQL, called over HTTP through the
 * real activities, activities.ts): each scenario states what the services answer, worked out here from
 * the domain rules, so the fake cannot drift from the real services unseen (the contract test,
 * fake-services-contract.test.ts, checks the shape of the fake's answers; this checks what they say).
 * A refusal is compared by its problem type, as the workflow sees it (a non-retryable failure).
 */
import { ApplicationFailure } from '@temporalio/common';
import { listen, type RunningServer } from '@vcdc/shared';
import { PEOPLE, signedDecision, testActKeys } from '../../test/support/acts';
import { fixedRates, type StartedService, startFx, startTreasury } from '../../test/support/fx-treasury';
import { type CaseActivities, createActivities } from '../src/activities/case-activities';
import { serviceClients } from '../src/worker/worker';
import { createFakeActivities } from './fake-services';

/** The routes the scenarios take: FX's declarations and settlements, the treasury's credits and remittances. */
type Services = Pick<
  CaseActivities,
  | 'createDeclaration'
  | 'submitDeclaration'
  | 'recordFxDecision'
  | 'settleDeclaration'
  | 'listDeclarations'
  | 'recordCredit'
> & { requestRemittance: CaseActivities['requestRemittance'] };

/** The fake's FX rate (fake-services.ts): the real service's rate source quotes the same. */
const RATE = '7.1234';
const keys = testActKeys();
let runs = 0;

/** What a call came to: its answer, or the problem type it was refused with. */
async function outcome<T>(call: Promise<T>): Promise<T | { refused: string }> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApplicationFailure && error.nonRetryable) return { refused: error.type ?? '' };
    throw error;
  }
}

/** A case's world: its id, fresh keys, and the signed acts and steps the scenarios are made of. */
function world(s: Services) {
  const caseId = `CA-SC-${++runs}-${Date.now().toString(36)}`;
  const workflowId = `case-${caseId}`;
  let n = 0;
  const key = () => `${caseId}-${++n}`;
  const party = { name: 'n', account: 'a', bank: 'b' };
  const declaration = (amount = '1000.00') => ({
    caseId,
    currency: 'USD' as const,
    amount,
    transactionCode: '622011',
    purpose: 'disposal proceeds',
    remitter: party,
    beneficiary: party,
    documents: [],
    workflowId,
  });
  const tranche = (amount: string, charges: { bankCharges?: string; correspondentFees?: string } = {}) => ({
    decision: signedDecision(keys.signingKey, caseId, PEOPLE.fxOfficer, {
      stage: 'FX_SETTLEMENT',
      outcome: 'APPROVE',
      settlement: { amount, bankReference: `BANK-${caseId}-${++n}`, ...charges },
    }),
  });
  return {
    caseId,
    key,
    declaration,
    tranche,
    /** A declaration of 1000.00 USD, submitted and (unless `approved` is false) APPROVED by the regulator. */
    async filed(approved = true) {
      const d = await s.createDeclaration(declaration(), key());
      await s.submitDeclaration(d.declarationId, { workflowId }, key());
      if (!approved) return d.declarationId;
      const regulator = signedDecision(keys.signingKey, caseId, PEOPLE.fxOfficer, {
        stage: 'FX_DECLARATION',
        outcome: 'APPROVE',
        reference: 'SAFE-1',
      });
      await s.recordFxDecision(d.declarationId, { decision: regulator }, key());
      return d.declarationId;
    },
    credit: (amount: string, fxSettlementId = `fxs-${caseId}`) =>
      s.recordCredit({ caseId, agency: 'Agency', amount, fxSettlementId, bankReference: 'b' }, key()),
    /** A remittance under a supervisor's approval of up to `approved` CNY to the treasury. */
    remit: (amount: string, approved: string) =>
      s.requestRemittance(
        {
          caseId,
          amount,
          budgetClassificationCode: '1030501',
          decision: signedDecision(keys.signingKey, caseId, PEOPLE.supervisor, {
            stage: 'REMITTANCE',
            outcome: 'APPROVE',
            payout: { caseId, kind: 'TREASURY', amount: approved },
          }),
        },
        key(),
      ),
  };
}

const SCENARIOS: Array<[string, (s: Services) => Promise<unknown>, unknown]> = [
  [
    'a declaration is settled only once the regulator APPROVED it: before, 409 invalid-transition',
    async (s) => {
      const w = world(s);
      return outcome(s.settleDeclaration(await w.filed(false), w.tranche('1000.00'), w.key()));
    },
    { refused: 'urn:vcdc:problem:invalid-transition' },
  ],
  [
    "a tranche converts what is left after the bank's charges and the correspondents' fees, cut to the fen",
    async (s) => {
      const w = world(s);
      const id = await w.filed();
      const t = await s.settleDeclaration(
        id,
        w.tranche('1000.00', { bankCharges: '15.00', correspondentFees: '7.50' }),
        w.key(),
      );
      const { foreignAmount, bankCharges, correspondentFees, netForeignAmount, rate, cnyAmount, roundingRemainder } = t;
      return { foreignAmount, bankCharges, correspondentFees, netForeignAmount, rate, cnyAmount, roundingRemainder };
    },
    // 1000.00 − 15.00 − 7.50 = 977.50 USD; × 7.1234 = 6963.1235 CNY: 6963.12 paid, 0.0035 cut off.
    {
      foreignAmount: '1000.00',
      bankCharges: '15.00',
      correspondentFees: '7.50',
      netForeignAmount: '977.50',
      rate: RATE,
      cnyAmount: '6963.12',
      roundingRemainder: '0.0035',
    },
  ],
  [
    'charges that leave nothing of the tranche to convert are refused: 422 charges-exceed-tranche',
    async (s) => {
      const w = world(s);
      const id = await w.filed();
      return outcome(
        s.settleDeclaration(id, w.tranche('100.00', { bankCharges: '60.00', correspondentFees: '40.00' }), w.key()),
      );
    },
    { refused: 'urn:vcdc:problem:charges-exceed-tranche' },
  ],
  [
    'a part of the declared amount leaves the declaration APPROVED, the whole SETTLES it; more than what is left is refused: over-settlement',
    async (s) => {
      const w = world(s);
      const id = await w.filed();
      const status = async () => {
        const [d] = await s.listDeclarations(w.caseId);
        return { status: d?.status, settledAmount: d?.settledAmount };
      };
      await s.settleDeclaration(id, w.tranche('400.00'), w.key());
      const part = await status();
      const over = await outcome(s.settleDeclaration(id, w.tranche('700.00'), w.key()));
      await s.settleDeclaration(id, w.tranche('600.00'), w.key());
      return { part, over, whole: await status() };
    },
    {
      part: { status: 'APPROVED', settledAmount: '400.00' },
      over: { refused: 'urn:vcdc:problem:over-settlement' },
      whole: { status: 'SETTLED', settledAmount: '1000.00' },
    },
  ],
  [
    'the same Idempotency-Key and body answer the same; the key with another body is 409 idempotency-key-reused',
    async (s) => {
      const w = world(s);
      const key = w.key();
      const first = await s.createDeclaration(w.declaration('1000.00'), key);
      const again = await s.createDeclaration(w.declaration('1000.00'), key);
      const other = await outcome(s.createDeclaration(w.declaration('999.00'), key));
      return { same: again.declarationId === first.declarationId, other };
    },
    { same: true, other: { refused: 'urn:vcdc:problem:idempotency-key-reused' } },
  ],
  [
    'an FX settlement is credited once: a second credit of it, under another key, is 409 settlement-already-credited',
    async (s) => {
      const w = world(s);
      await w.credit('100.00');
      return outcome(w.credit('100.00'));
    },
    { refused: 'urn:vcdc:problem:settlement-already-credited' },
  ],
  [
    "a remittance beyond the case's balance is refused: 422 insufficient-case-balance",
    async (s) => {
      const w = world(s);
      await w.credit('100.00');
      const over = await outcome(w.remit('150.00', '1000.00'));
      const all = await w.remit('100.00', '1000.00');
      return { over, paid: all.amount };
    },
    { over: { refused: 'urn:vcdc:problem:insufficient-case-balance' }, paid: '100.00' },
  ],
];

describe('the fake services', () => {
  test.each(SCENARIOS)('%s', async (_name, run, expected) => {
    expect(await run(createFakeActivities() as unknown as Services)).toEqual(expected);
  });
});

describe('the real FX and treasury services', () => {
  let services: StartedService[] = [];
  let servers: RunningServer[] = [];
  let real: Services;

  beforeAll(async () => {
    services = [
      await startFx({ database: 'scenarios_fx', verifyKeys: keys.verifyKeys, rateSource: fixedRates(RATE) }),
      await startTreasury({ database: 'scenarios_treasury', verifyKeys: keys.verifyKeys }),
    ];
    servers = await Promise.all(services.map((s) => listen(s.app, 0)));
    // Custody and the exchange take no part: their clients point at nothing.
    const nowhere = 'http://127.0.0.1:9';
    const urls = { custody: nowhere, exchange: nowhere, fx: servers[0]!.url, treasury: servers[1]!.url };
    real = createActivities(serviceClients(urls, 10_000)) as unknown as Services;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(services.map((s) => s.close()));
  });

  test.each(SCENARIOS)('%s', async (_name, run, expected) => {
    expect(await run(real)).toEqual(expected);
  });
});
