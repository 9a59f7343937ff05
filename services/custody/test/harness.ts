/**
 * Test harness: a fresh database with the custody schema, a real ledger-chain simulator on a loopback
 * port (mined by hand, so confirmations are exact), and the custody app built on both.
 */
import {
  ACT_KINDS,
  type ActKind,
  type ActObject,
  type Actor,
  type CarriedDecision,
  type contracts,
  createLogger,
  createPool,
  migrate,
  type Pool,
  silentLogger,
} from '@vcdc/shared';
import type { Express } from 'express';
import request from 'supertest';
import { type RunningChainSimulator, startChainSimulator } from '../../../simulators/src/chain';
import { actHeader, PEOPLE, signedDecision, testActKeys } from '../../../test/support/acts';
import { createTestDatabase } from '../../../test/support/database';
import { registerHolding } from '../../../test/support/provider-register';
import { type CustodyAppDeps, createApp } from '../src/app';
import { type ChainAdapter, ChainSimulatorClient } from '../src/chain-adapter';
import { CustodyAddressBook } from '../src/custody-addresses';
import { CUSTODY_MIGRATIONS_DIR } from '../src/service';
import { actAsServiceRole, serviceRoleOf } from '../src/service-role';

/** The control API's act key as the tests hold it: the app verifies with `ACTS.verifyKeys`. */
export const ACTS = testActKeys();
export { PEOPLE };

export const TEST_SECRET = 'test-only-custody-master-secret-0123456789abcdef';
export const MIN_CONFIRMATIONS = 2;

export interface Harness {
  app: Express;
  /** The database (as its owner), e.g. to log in as the service role. */
  databaseUrl: string;
  /** The tables' owner: for what the tests look at or try behind the service's back. */
  pool: Pool;
  /** What the app uses: connections working as the restricted service role, as in production. */
  servicePool: Pool;
  chainSim: RunningChainSimulator;
  chainClient: ChainSimulatorClient;
  addresses: CustodyAddressBook;
  /** Build another app on the same database and chain, e.g. with a faulty adapter. */
  appWith: (chain: ChainAdapter, overrides?: Partial<CustodyAppDeps>) => Express;
  close: () => Promise<void>;
}

export async function startHarness(prefix: string): Promise<Harness> {
  const databaseUrl = await createTestDatabase(prefix);
  await migrate({ databaseUrl, schema: 'custody', dir: CUSTODY_MIGRATIONS_DIR });
  const pool = createPool(databaseUrl, 'custody');
  const servicePool = createPool(databaseUrl, 'custody');
  actAsServiceRole(servicePool, 'custody');
  const chainSim = await startChainSimulator({ port: 0, blockIntervalMs: 0 });
  const chainClient = new ChainSimulatorClient(chainSim.url);
  const addresses = new CustodyAddressBook(TEST_SECRET);
  const appWith = (chain: ChainAdapter, overrides: Partial<CustodyAppDeps> = {}) =>
    createApp({
      pool: servicePool,
      chain,
      addresses,
      minConfirmations: MIN_CONFIRMATIONS,
      logger: process.env.TEST_LOG ? createLogger('custody-test', 'error') : silentLogger(),
      migrationsDir: CUSTODY_MIGRATIONS_DIR,
      serviceRole: serviceRoleOf('custody'),
      whitelistCoolingOffSeconds: 0,
      actVerifyKeys: ACTS.verifyKeys,
      providerRegister: registerHolding(),
      ...overrides,
    });
  return {
    app: appWith(chainClient),
    databaseUrl,
    pool,
    servicePool,
    chainSim,
    chainClient,
    addresses,
    appWith,
    close: async () => {
      await chainSim.close();
      await servicePool.end();
      await pool.end();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: test assertions read JSON answers freely
export type Json = any;

export async function chainCall(h: Harness, method: string, route: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${h.chainSim.url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`chain ${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

let keys = 0;
export function newKey(what = 'k'): string {
  keys += 1;
  return `${what}-${keys}-${Date.now()}`;
}

export function post(app: Express, path: string, body: unknown, key: string = newKey()) {
  return request(app)
    .post(path)
    .set('Idempotency-Key', key)
    .send(body as object);
}

/** The object a person's act on `path` is on (the act kind says its type). */
function actObjectFor(kind: ActKind, path: string, body: unknown): ActObject {
  const type = ACT_KINDS[kind].object;
  const b = (body ?? {}) as { lotId?: string; caseId?: string };
  if (type === 'lot') return { type, id: b.lotId ?? 'none', ...(b.caseId ? { caseId: b.caseId } : {}) };
  // /v1/intakes/:intakeId/... and /v1/whitelist/:entryId/...; a new whitelist entry has no id yet.
  return { type, id: path.split('/')[3] ?? 'new' };
}

/** POST `body` to `path` as `person`, with the act of `kind` the control API signs for them over exactly this request. */
export function actPost(
  app: Express,
  person: Actor,
  kind: ActKind,
  path: string,
  body: object,
  opts: { key?: string; object?: ActObject; signedBody?: unknown } = {},
) {
  const headers = actHeader(ACTS.signingKey, {
    kind,
    actor: person,
    object: opts.object ?? actObjectFor(kind, path, body),
    method: 'POST',
    path,
    body: opts.signedBody ?? body,
  });
  return post(app, path, body, opts.key).set(headers);
}

type TransferAuthorisation = contracts.custody.TransferAuthorisation;

/** What a DISPOSAL_PLAN approval of `caseId` authorises by default here: plenty of every asset, to "hashkey". */
export function authorisationFor(caseId: string, over: Partial<TransferAuthorisation> = {}): TransferAuthorisation {
  return {
    caseId,
    venue: 'hashkey',
    assets: [
      { asset: 'BTC', maxAmount: '1000' },
      { asset: 'ETH', maxAmount: '100000' },
      { asset: 'USDT', maxAmount: '100000000' },
    ],
    policy: { version: 'test-policy-1', valueCny: '1000', tier: 'T1', approvals: 1, units: 1, senior: false },
    ...over,
  };
}

/** The case's DISPOSAL_PLAN approvals as the workflow carries them: by `approvers`, each signing `authorisation`. */
export function approvalsFor(
  caseId: string,
  authorisation: TransferAuthorisation = authorisationFor(caseId),
  approvers: Actor[] = [PEOPLE.supervisor],
  over: Partial<CarriedDecision> = {},
): CarriedDecision[] {
  return approvers.map((approver) =>
    signedDecision(ACTS.signingKey, caseId, approver, {
      stage: 'DISPOSAL_PLAN',
      outcome: 'APPROVE',
      reason: 'disposal plan approved',
      authorisation,
      ...over,
    } as Parameters<typeof signedDecision>[3]),
  );
}

const defaultApprovals = new Map<string, CarriedDecision[]>();

/**
 * A transfer request body with the case's default authorisation: the same signed approvals for every
 * transfer of the case (as the workflow carries them), so a retry with the same Idempotency-Key is the
 * same request.
 */
export function authorised<T extends { caseId: string }>(body: T): T & { approvals: CarriedDecision[] } {
  let approvals = defaultApprovals.get(body.caseId);
  if (!approvals) {
    approvals = approvalsFor(body.caseId);
    defaultApprovals.set(body.caseId, approvals);
  }
  return { ...body, approvals };
}

/** Handed over by the case officer, received by the custodian (the people who countersign a difference). */
export const EVIDENCE = {
  handoverFormNo: 'HF-2025-0001',
  handedOverBy: PEOPLE.caseOfficer.id,
  receivedBy: PEOPLE.custodian.id,
  videoSha256: 'a'.repeat(64),
  documents: [{ name: 'handover-form.pdf', sha256: 'b'.repeat(64) }],
};

/** Open the case's BTC account, fund a suspect wallet and sweep `amount` to the custody address. */
export async function sweepToCustody(
  h: Harness,
  caseId: string,
  amount: string,
  opts: { asset?: 'BTC' | 'ETH' | 'USDT'; mine?: number } = {},
): Promise<{ address: string; txHash: string; suspect: string }> {
  const asset = opts.asset ?? 'BTC';
  const chain = asset === 'BTC' ? 'bitcoin' : 'ethereum';
  const opened = await post(h.app, '/v1/accounts', { caseId, asset, chain });
  if (opened.status !== 201 && opened.status !== 200) throw new Error(`open account: ${opened.status}`);
  const suspect = `suspect-${caseId}-${asset}`;
  await chainCall(h, 'POST', `/v1/chains/${chain}/faucet`, { address: suspect, asset, amount: '100' });
  h.chainSim.mine(chain);
  const sweep = await chainCall(h, 'POST', `/v1/chains/${chain}/transactions`, {
    from: suspect,
    to: opened.body.address,
    asset,
    amount,
  });
  if (opts.mine ?? MIN_CONFIRMATIONS) h.chainSim.mine(chain, opts.mine ?? MIN_CONFIRMATIONS);
  return { address: opened.body.address, txHash: sweep.txHash, suspect };
}

/** A case whose `asset` account holds `amount`, taken in through a real sweep and intake; its custody address. */
export async function caseHolding(
  h: Harness,
  caseId: string,
  amount: string,
  opts: { asset?: 'BTC' | 'ETH'; lotId?: string } = {},
): Promise<string> {
  const asset = opts.asset ?? 'BTC';
  const { txHash, address } = await sweepToCustody(h, caseId, amount, { asset });
  await post(h.app, '/v1/intakes', {
    caseId,
    lotId: opts.lotId ?? 'LOT-1',
    asset,
    chain: asset === 'BTC' ? 'bitcoin' : 'ethereum',
    declaredAmount: amount,
    txHash,
    evidence: EVIDENCE,
  }).expect(201);
  return address;
}

/** What left `address` on `chain`, as the chain has it. */
export async function chainOutgoing(
  h: Harness,
  address: string,
  chain = 'bitcoin',
): Promise<Array<{ txHash: string; amount: string }>> {
  return (await chainCall(h, 'GET', `/v1/chains/${chain}/addresses/${address}/transactions?direction=out`))
    .transactions;
}

/** A BTC VENUE_DEPOSIT to `toAddress` with the case's signed DISPOSAL_PLAN authorisation (venue "hashkey"). */
export function venueDeposit(caseId: string, toAddress: string, amount: string, approvals?: CarriedDecision[]) {
  const body = { caseId, asset: 'BTC', chain: 'bitcoin', toAddress, amount, purpose: 'VENUE_DEPOSIT' } as const;
  return approvals ? { ...body, approvals } : authorised(body);
}

export async function ledgerRows(h: Harness, caseId: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM ledger_entries WHERE case_id = $1',
    [caseId],
  );
  return rows[0]!.n;
}

/** Request a destination as a custodian (PEOPLE.custodian unless said otherwise). */
export function requestEntry(
  app: Express,
  body: { chain: string; address: string; label?: string; venue?: string; replaces?: string },
  requester: Actor = PEOPLE.custodian,
) {
  return actPost(app, requester, 'custody.whitelist.request', '/v1/whitelist', {
    label: 'venue deposit address',
    venue: 'hashkey',
    ...body,
  });
}

/** The two approvals by two other custodians (PEOPLE.secondCustodian, PEOPLE.thirdCustodian). */
export function approveEntry(app: Express, entryId: string, approver: Actor = PEOPLE.secondCustodian) {
  return actPost(app, approver, 'custody.whitelist.approve', `/v1/whitelist/${entryId}/approvals`, {});
}

export function revokeEntry(app: Express, entryId: string, reason: string, revoker: Actor = PEOPLE.thirdCustodian) {
  return actPost(app, revoker, 'custody.whitelist.revoke', `/v1/whitelist/${entryId}/revocation`, { reason });
}

/** List a destination and have two custodians (not the requester) approve it: ACTIVE (no cooling-off here). */
export async function whitelistActive(
  app: Express,
  chain: string,
  address: string,
  label = 'venue deposit address',
  venue = 'hashkey',
) {
  const listed = await requestEntry(app, { chain, address, label, venue });
  if (listed.status !== 201 && listed.status !== 200) throw new Error(`whitelist: ${listed.status} ${listed.text}`);
  if (listed.body.status === 'ACTIVE') return listed.body;
  await approveEntry(app, listed.body.entryId, PEOPLE.secondCustodian).expect(201);
  const approved = await approveEntry(app, listed.body.entryId, PEOPLE.thirdCustodian);
  if (approved.body.status !== 'ACTIVE') throw new Error(`whitelist entry not ACTIVE: ${approved.text}`);
  return approved.body;
}

/**
 * End an approved entry's cooling-off now (behind the service's back, as its owner: the entry's row
 * otherwise only moves forward, so the guard is lifted for this one statement).
 */
export async function endCoolingOff(h: Harness, entryId: string): Promise<void> {
  const client = await h.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE whitelist_entries DISABLE TRIGGER whitelist_entries_progress_only');
    await client.query(`UPDATE whitelist_entries SET active_from = now() WHERE entry_id = $1`, [entryId]);
    await client.query('ALTER TABLE whitelist_entries ENABLE TRIGGER whitelist_entries_progress_only');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

let proofs = 0;
/**
 * Prove a BTC destination as the first transfer to a new address must: a case of its own takes in
 * 0.01 BTC and sends a TEST_DEPOSIT there, mined to CONFIRMED. Returns the test transfer.
 */
export async function proveDestination(h: Harness, toAddress: string, app: Express = h.app): Promise<Json> {
  proofs += 1;
  const caseId = `PROOF-${proofs}-${Date.now()}`;
  const { txHash } = await sweepToCustody(h, caseId, '0.01');
  await post(app, '/v1/intakes', {
    caseId,
    lotId: 'LOT-PROOF',
    asset: 'BTC',
    chain: 'bitcoin',
    declaredAmount: '0.01',
    txHash,
    evidence: EVIDENCE,
  }).expect(201);
  const test = await post(
    app,
    '/v1/transfers',
    authorised({ caseId, asset: 'BTC', chain: 'bitcoin', toAddress, amount: '0.001', purpose: 'TEST_DEPOSIT' }),
  );
  if (test.status !== 201) throw new Error(`test deposit: ${test.status} ${test.text}`);
  h.chainSim.mine('bitcoin', MIN_CONFIRMATIONS);
  const confirmed = await request(app).get(`/v1/transfers/${test.body.transferId}`);
  if (confirmed.body.status !== 'CONFIRMED') throw new Error(`test deposit not confirmed: ${confirmed.text}`);
  return confirmed.body;
}
