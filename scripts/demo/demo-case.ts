/**
 * A demo case, played end to end the way the people involved would do it:
 *  - the seizing officers sweep the suspect's coins into the case's custody addresses (ETH/USDT on
 *    the local EVM node when there is one, otherwise on the ledger-chain simulator, funded from its
 *    faucet as the "suspect wallet");
 *  - the case officer registers the case with the control API;
 *  - for ATTESTED lots (BTC: a chain custody does not watch), two custodians each read the sweep on
 *    the chain and attest its txid and amount at custody; the case waits for them;
 *  - a demo supervisor approves the disposal plan, a demo FX officer records the regulator's
 *    approval of the declaration, and the supervisor approves the pay-out from the special account
 *    (to victims by court order when the case has one, the rest to the treasury), all through the control API.
 * Used by the dev stack (`scripts/dev.ts`) and by the end-to-end test, so both run the same story.
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../packages/shared/src/canonical';
import { ServiceCallError, ServiceClient } from '../../packages/shared/src/http/client';
import { dec } from '../../packages/shared/src/money';
import { sweepOnEvm } from '../../simulators/src/evm/seizure';

/** What the demo's settling bank and its correspondent take off the tranche (USD), as real settlements carry. */
export const DEMO_BANK_CHARGES = '15.00';
export const DEMO_CORRESPONDENT_FEES = '7.50';

export interface DemoUrls {
  controlApi: string;
  custody: string;
  chain: string;
  /** The custody service's credential (its SERVICE_TOKEN), when it requires one: the demo acts as a custodian. */
  custodyCredential?: string;
  /** The local EVM node and its USDT contract: when given, ETH/USDT lots are swept on it (real transactions). */
  evm?: { rpcUrl: string; usdtAddress: string };
}

export interface DemoLot {
  lotId: string;
  asset: 'BTC' | 'ETH' | 'USDT';
  chain: 'bitcoin' | 'ethereum';
  amount: string;
  /** ATTESTED: two custodians attest the sweep at custody (chains it does not watch); default CHAIN. */
  verification?: 'CHAIN' | 'ATTESTED';
}

export const DEMO_LOTS: DemoLot[] = [
  { lotId: 'LOT-1', asset: 'BTC', chain: 'bitcoin', amount: '1.25', verification: 'ATTESTED' },
  { lotId: 'LOT-2', asset: 'USDT', chain: 'ethereum', amount: '25000' },
  { lotId: 'LOT-3', asset: 'ETH', chain: 'ethereum', amount: '4.5' },
];

export const DEMO_PEOPLE = {
  caseOfficer: 'officer.zhang',
  supervisor: 'supervisor.li',
  fxOfficer: 'fx.officer.wang',
  custodian: 'custodian.chen',
  /** The second custodian: attested intakes need two attesters. */
  secondCustodian: 'custodian.liu',
  /** A whitelist entry is requested by one custodian and approved by two others. */
  thirdCustodian: 'custodian.ma',
  /** Larger cases need approvers from another unit, or a senior supervisor (the approval policy). */
  financeSupervisor: 'supervisor.zhou',
  seniorSupervisor: 'senior.supervisor.wu',
  seizingOfficer: 'officer.zhao',
};

interface ChainTx {
  txHash: string;
}
interface ChainFees {
  fees: Record<string, string>;
}
interface CustodyAccountAnswer {
  address: string;
}

/** Fund a suspect wallet from the chain faucet and sweep it into the case's custody address. */
function custodyClient(urls: DemoUrls): ServiceClient {
  const headers = urls.custodyCredential ? { authorization: `Bearer ${urls.custodyCredential}` } : undefined;
  return new ServiceClient({ service: 'custody', baseUrl: urls.custody, headers });
}

export async function seizeIntoCustody(urls: DemoUrls, caseId: string, lot: DemoLot): Promise<string> {
  const chain = new ServiceClient({ service: 'chain', baseUrl: urls.chain });
  const custody = custodyClient(urls);
  const account = await custody.post<CustodyAccountAnswer>(
    '/v1/accounts',
    { caseId, asset: lot.asset, chain: lot.chain },
    `demo/${caseId}/account/${lot.asset}`,
  );
  if (lot.chain === 'ethereum' && urls.evm && lot.asset !== 'BTC') {
    const { txHash } = await sweepOnEvm({ ...urls.evm, asset: lot.asset, to: account.address, amount: lot.amount });
    return txHash;
  }
  const suspect =
    lot.chain === 'bitcoin' ? `bc1qsuspect${randomBytes(12).toString('hex')}` : `0x${randomBytes(20).toString('hex')}`;
  const { fees } = await chain.get<ChainFees>(`/v1/chains/${lot.chain}/fees`);
  const fee = fees[lot.asset] ?? '0';
  // The suspect's wallet holds exactly the lot plus the fee of the sweep.
  const funding = dec(lot.amount).plus(fee).toFixed();
  const funded = await chain.post<ChainTx>(
    `/v1/chains/${lot.chain}/faucet`,
    { address: suspect, asset: lot.asset, amount: funding },
    `demo/${caseId}/faucet/${lot.lotId}`,
  );
  await untilMined(chain, lot.chain, funded.txHash);
  const sweep = await chain.post<ChainTx>(
    `/v1/chains/${lot.chain}/transactions`,
    {
      from: suspect,
      to: account.address,
      asset: lot.asset,
      amount: lot.amount,
      clientRef: `demo-${caseId}-${lot.lotId}`,
    },
    `demo/${caseId}/sweep/${lot.lotId}`,
  );
  return sweep.txHash;
}

/**
 * An ATTESTED lot: each of the two custodians reads the sweep on the chain and attests what arrived at
 * the case's custody address (POST /v1/attestations); custody records the intake when both agree.
 */
export async function attestIntake(
  urls: DemoUrls,
  caseId: string,
  lot: DemoLot & { sweepTxHash: string },
  evidence: DemoEvidence,
  log: (line: string) => void,
  apiAs: (person: string) => Promise<ServiceClient>,
): Promise<void> {
  const chain = new ServiceClient({ service: 'chain', baseUrl: urls.chain });
  const custody = custodyClient(urls);
  const account = await custody.get<CustodyAccountAnswer>(`/v1/accounts/${encodeURIComponent(caseId)}/${lot.asset}`);
  await untilMined(chain, lot.chain, lot.sweepTxHash);
  for (const custodian of [DEMO_PEOPLE.custodian, DEMO_PEOPLE.secondCustodian]) {
    const tx = await chain.get<{ to: string; asset: string; amount: string; status: string }>(
      `/v1/chains/${lot.chain}/transactions/${lot.sweepTxHash}`,
    );
    if (tx.status !== 'CONFIRMED' || tx.to !== account.address || tx.asset !== lot.asset) {
      throw new Error(
        `${custodian} cannot attest ${lot.sweepTxHash}: it is not a confirmed sweep into the case wallet`,
      );
    }
    log(`demo case ${caseId}: ${custodian} attests ${lot.lotId}: ${tx.amount} ${lot.asset} in ${lot.sweepTxHash}`);
    // Through the control API: it signs the act for the custodian's token; custody takes the person from the act.
    await (await apiAs(custodian)).post(
      '/v1/custody/attestations',
      {
        caseId,
        lotId: lot.lotId,
        asset: lot.asset,
        chain: lot.chain,
        declaredAmount: lot.amount,
        txHash: lot.sweepTxHash,
        amount: tx.amount,
        evidence,
      },
      `demo/${caseId}/attest/${lot.lotId}`,
    );
  }
}

async function untilMined(chain: ServiceClient, chainId: string, txHash: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const tx = await chain.get<{ status: string }>(`/v1/chains/${chainId}/transactions/${txHash}`);
    if (tx.status === 'CONFIRMED') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`transaction ${txHash} on ${chainId} was not mined within a minute`);
}

/** A court's restitution order as the registration carries it (see workflows/src/workflow/case-input.ts). */
export interface DemoRestitution {
  courtOrderRef: string;
  documentHash: string;
  method: 'CLAIM_ORDER' | 'PRO_RATA';
  victims: Array<{
    victimId: string;
    name: string;
    claimOrder: number;
    loss: string;
    recovered: string;
    payeeAccount: string;
  }>;
}

export type DemoEvidence = ReturnType<typeof demoEvidence>;

/** The handover evidence of the lot at position `i` of the case. */
export function demoEvidence(caseId: string, lot: DemoLot, i: number) {
  return {
    handoverFormNo: `HF-${caseId}-${i + 1}`,
    handedOverBy: DEMO_PEOPLE.seizingOfficer,
    receivedBy: DEMO_PEOPLE.custodian,
    videoSha256: sha256Hex(`handover video of ${caseId} ${lot.lotId}`),
    documents: [{ name: 'handover-form.pdf', sha256: sha256Hex(`handover form of ${caseId} ${lot.lotId}`) }],
  };
}

export function demoRegistration(
  caseId: string,
  lots: Array<DemoLot & { sweepTxHash: string }>,
  restitution?: DemoRestitution,
  disposal?: object,
) {
  return {
    ...(restitution ? { restitution } : {}),
    ...(disposal ? { disposal } : {}),
    caseId,
    agency: 'Municipal Public Security Bureau (demo)',
    legalBasis: { reference: `Seizure decision ${caseId}`, documentSha256: sha256Hex(`seizure decision of ${caseId}`) },
    requestedBy: DEMO_PEOPLE.caseOfficer,
    lots: lots.map((lot, i) => ({
      lotId: lot.lotId,
      asset: lot.asset,
      chain: lot.chain,
      declaredAmount: lot.amount,
      sweepTxHash: lot.sweepTxHash,
      ...(lot.verification ? { verification: lot.verification } : {}),
      evidence: demoEvidence(caseId, lot, i),
    })),
  };
}

/** The subset of the case workflow's `status` the demo reads. */
export interface DemoCaseProgress {
  /** While the case waits for custodians to whitelist the venue's deposit address. */
  awaitingWhitelist?: {
    asset: string;
    chain: string;
    address: string;
    venue: string;
    entryId?: string;
    status?: string;
  };
  caseId: string;
  stage: string;
  status: string;
  details: string;
  reason?: string;
  awaiting?: { stage: string; since?: string; approvedBy?: string[] };
  /** While the bank settles: how much of the approved amount is left to settle. */
  fxSettlement?: { remaining: string };
}

// HELD is where the demo stops following: the case waits there for two supervisors to resolve it (HOLD_RESOLUTION).
const TERMINAL = new Set(['COMPLETED', 'REJECTED', 'HELD', 'CANCELLED', 'FAILED', 'CLOSED']);

/**
 * The venue's deposit address goes on the custody whitelist when the case first sends there: one
 * custodian requests it and two others approve, each through the control API as themselves; the entry
 * becomes ACTIVE after custody's cooling-off (short in the dev stack, so the pending state is visible).
 */
export async function whitelistVenueAddress(
  caseId: string,
  wanted: NonNullable<DemoCaseProgress['awaitingWhitelist']>,
  apiAs: (person: string) => Promise<ServiceClient>,
  log: (line: string) => void,
): Promise<void> {
  if (wanted.status === 'COOLING_OFF') return;
  let entryId = wanted.entryId;
  if (!entryId) {
    log(
      `demo case ${caseId}: ${DEMO_PEOPLE.custodian} requests the whitelisting of ${wanted.venue}'s ${wanted.asset} address ${wanted.address}`,
    );
    const entry = await (await apiAs(DEMO_PEOPLE.custodian)).post<{ entryId: string }>(
      '/v1/custody/whitelist',
      {
        chain: wanted.chain,
        address: wanted.address,
        venue: wanted.venue,
        label: `${wanted.venue} deposit address for ${wanted.asset}`,
      },
      `demo/whitelist/${wanted.chain}/${wanted.address}`,
    );
    entryId = entry.entryId;
  }
  for (const approver of [DEMO_PEOPLE.secondCustodian, DEMO_PEOPLE.thirdCustodian]) {
    log(`demo case ${caseId}: ${approver} approves whitelist entry ${entryId}`);
    await (await apiAs(approver)).post(
      `/v1/custody/whitelist/${entryId}/approvals`,
      {},
      `demo/whitelist/${entryId}/approve`,
    );
  }
}

/**
 * Who decides each wait in the demo, and what they send: who decides is their token's person, never
 * the body. The disposal plan goes to the approvers one after the other until the approval policy
 * is met (another unit, or a senior supervisor, for larger cases).
 */
function demoDecision(stage: string, caseId: string, progress: DemoCaseProgress): { people: string[]; body: object } {
  switch (stage) {
    case 'DISPOSAL_PLAN':
      return {
        people: [DEMO_PEOPLE.supervisor, DEMO_PEOPLE.financeSupervisor, DEMO_PEOPLE.seniorSupervisor],
        body: { stage, outcome: 'APPROVE', reason: 'Disposal plan within policy' },
      };
    case 'FX_DECLARATION':
      return { people: [DEMO_PEOPLE.fxOfficer], body: { stage, outcome: 'APPROVE', reference: `SAFE-${caseId}` } };
    case 'SALE_PRICE':
      // The engine paused (a band breach, or the market did not take the lot within the horizon): go on.
      return {
        people: [DEMO_PEOPLE.supervisor],
        body: { stage, outcome: 'APPROVE', reason: 'Continue within the new band' },
      };
    case 'FX_SETTLEMENT':
      // The bank settles the whole approved amount in one tranche, less its charges and a correspondent
      // bank's fee, as real settlements come; its FX officer records it.
      return {
        people: [DEMO_PEOPLE.fxOfficer],
        body: {
          stage,
          outcome: 'APPROVE',
          settlement: {
            amount: progress.fxSettlement?.remaining ?? '0',
            bankReference: `BANK-FX-${caseId}`,
            bankCharges: DEMO_BANK_CHARGES,
            correspondentFees: DEMO_CORRESPONDENT_FEES,
          },
        },
      };
    case 'REMITTANCE':
      return {
        people: [DEMO_PEOPLE.supervisor],
        body: { stage, outcome: 'APPROVE', reason: 'Pay-out as the judgment orders' },
      };
    default:
      throw new Error(`the demo has no one to decide ${stage}`);
  }
}

export interface DemoOptions {
  urls: DemoUrls;
  log: (line: string) => void;
  caseId?: string;
  lots?: DemoLot[];
  /** Give up waiting after this long (the case keeps running in Temporal). */
  timeoutMs?: number;
  /** How often the case's status is read while it runs (default 500 ms): each read is a Temporal query. */
  pollMs?: number;
  /** A court restitution order for the case: victims are paid from the proceeds, the rest goes to the treasury. */
  restitution?: DemoRestitution;
  /** The case's disposal plan (e.g. sold by sale plans on several venues and to the desks); default: the control API's. */
  disposal?: object;
  /** A bearer token for a demo person (the control API takes who acts from it): the dev issuer's `mint`. */
  token: (person: string) => Promise<string>;
}

/**
 * Seize the lots into custody, register the case, take each decision it waits for as the demo
 * person for that role, and follow it to the end. Returns the last status seen.
 */
export async function runDemoCase(options: DemoOptions): Promise<DemoCaseProgress> {
  const { urls, log } = options;
  const caseId =
    options.caseId ?? `DEMO-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
  const lots = options.lots ?? DEMO_LOTS;
  /** The control API as one demo person: their token says who they are and what they may do. */
  const apiAs = async (person: string) =>
    new ServiceClient({
      service: 'control-api',
      baseUrl: urls.controlApi,
      timeoutMs: 30_000,
      headers: { authorization: `Bearer ${await options.token(person)}` },
    });
  const api = await apiAs(DEMO_PEOPLE.caseOfficer);

  log(
    `demo case ${caseId}: sweeping the seized coins into custody (${lots.map((l) => `${l.amount} ${l.asset}`).join(', ')})`,
  );
  const swept: Array<DemoLot & { sweepTxHash: string }> = [];
  for (const lot of lots) swept.push({ ...lot, sweepTxHash: await seizeIntoCustody(urls, caseId, lot) });

  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  /**
   * A part of the stack restarting (it heals: scripts/lib/process-group.ts) answers 5xx or nothing for a
   * moment; the people wait and try again, as they would, with the same Idempotency-Keys (so nothing is
   * done twice). Anything else is the demo's end.
   */
  const patiently = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ServiceCallError) || !error.retryable || Date.now() > deadline) throw error;
        log(`demo case ${caseId}: ${error.message}; trying again shortly`);
        await new Promise((r) => setTimeout(r, 1500));
      }
    }
  };

  log(`demo case ${caseId}: registering with the control API as ${DEMO_PEOPLE.caseOfficer}`);
  await patiently(() =>
    api.post(
      '/v1/cases',
      demoRegistration(caseId, swept, options.restitution, options.disposal),
      `demo/${caseId}/register`,
    ),
  );
  // The case waits for the custodians' attestations of its ATTESTED lots.
  for (const [i, lot] of swept.entries()) {
    if (lot.verification === 'ATTESTED') {
      await patiently(() => attestIntake(urls, caseId, lot, demoEvidence(caseId, lot, i), log, apiAs));
    }
  }

  let lastDetails = '';
  const decided = new Set<string>();
  /** One look at the case, and the decisions it waits for; the status when it has ended. */
  const step = async (): Promise<DemoCaseProgress | undefined> => {
    const progress = await api.get<DemoCaseProgress>(`/v1/cases/${encodeURIComponent(caseId)}`);
    if (progress.details !== lastDetails) {
      log(`demo case ${caseId}: [${progress.stage}/${progress.status}] ${progress.details}`);
      lastDetails = progress.details;
    }
    if (TERMINAL.has(progress.status)) return progress;
    const whitelistWait = progress.awaitingWhitelist;
    if (whitelistWait && !decided.has(`whitelist@${whitelistWait.address}@${whitelistWait.entryId ?? ''}`)) {
      await whitelistVenueAddress(caseId, whitelistWait, apiAs, log);
      decided.add(`whitelist@${whitelistWait.address}@${whitelistWait.entryId ?? ''}`);
      decided.add(`whitelist@${whitelistWait.address}@`);
    }
    const waitingOn = progress.awaiting?.stage;
    // A stage may be waited on more than once (each sale pause): each wait is decided once.
    const wait = `${waitingOn}@${progress.awaiting?.since ?? ''}`;
    if (progress.status === 'AWAITING_DECISION' && waitingOn && !decided.has(wait)) {
      const { people, body } = demoDecision(waitingOn, caseId, progress);
      for (const person of people) {
        log(`demo case ${caseId}: ${person} approves ${waitingOn}`);
        // The same key on a retry (keys are per person): a decision whose answer was lost is not taken twice.
        const answer = await (await apiAs(person)).post<{ movesTo: { stage: string; status: string } }>(
          `/v1/cases/${encodeURIComponent(caseId)}/decisions`,
          body,
          `demo/${caseId}/decide/${wait}`,
        );
        // Still waiting on the same stage: the approval policy asks for another approver.
        if (answer.movesTo.status !== 'AWAITING_DECISION' || answer.movesTo.stage !== progress.stage) break;
      }
      decided.add(wait);
    }
    return undefined;
  };
  while (Date.now() < deadline) {
    const ended = await patiently(step);
    if (ended) return ended;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
  throw new Error(`demo case ${caseId} did not finish within the time allowed; it keeps running (see the Web UI)`);
}
