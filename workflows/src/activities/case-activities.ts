/**
 * The case workflow's effects: one activity = one HTTP call to the service that owns the data. Each
 * call names a route of that service's table (services/<service>/src/api.ts: what the service mounts
 * and documents), is typed by its schemas, and its answer is parsed with the route's response schema
 * (shared http/client.ts routeClient); no path is written here. Errors are mapped for Temporal:
 *  - retryable ServiceCallError (5xx, no answer, 429, 409 not-yet) -> rethrown, Temporal retries;
 *  - any other (a 4xx refusal) -> non-retryable ApplicationFailure whose type is the problem type;
 *  - an answer that breaks the contract -> non-retryable `contract-violation`.
 * The waits on the chain, the venue and the bank look for the thing for a few seconds of each attempt
 * (follow.ts: the worker gives the window) and throw a retryable failure while it is not there yet;
 * the workflow gives them their own retry policy and time limit.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  AnswerBreaksContract,
  AUDIT_CHECKPOINT_ROUTES,
  type contracts,
  type RouteArgs,
  type RouteClient,
  type RouteOutput,
  routeClient,
  ServiceCallError,
  type ServiceClient,
} from '@vcdc/shared';
// The services' route tables: what each service mounts and documents is what the activities call.
import { CUSTODY_ROUTES } from '../../../services/custody/src/api';
import { EXCHANGE_ROUTES, type VENUE_ROUTES } from '../../../services/exchange/src/api';
import { DeskSettlement, type SettleDeskTrade } from '../../../services/exchange/src/rfq/rfq-contract';
import { FX_ROUTES } from '../../../services/fx/src/api';
import { TREASURY_ROUTES } from '../../../services/treasury/src/api';
import { caseStatementsReader } from './case-statements';
import { type Follow, followTheAnswer, NOT_YET, ONE_LOOK } from './follow';

export interface ServiceClients {
  custody: ServiceClient;
  exchange: ServiceClient;
  fx: ServiceClient;
  treasury: ServiceClient;
}

/** Failure types the workflow and the tests switch on. */
export { NOT_YET };
export const CONTRACT_VIOLATION = 'urn:vcdc:activity:contract-violation';
export const ENDED_BADLY = 'urn:vcdc:activity:ended-badly';

/**
 * One service call (a route of its table, routeClient: the answer parsed with the route's response
 * schema), its failure mapped for Temporal (toFailure); an answer that breaks the contract is a
 * non-retryable contract violation.
 */
export async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof AnswerBreaksContract) {
      throw ApplicationFailure.nonRetryable(
        `${what}: the answer breaks the contract: ${error.detail}`,
        CONTRACT_VIOLATION,
      );
    }
    throw toFailure(error);
  }
}

export function toFailure(error: unknown): unknown {
  if (!(error instanceof ServiceCallError)) return error;
  if (error.retryable) return error;
  return ApplicationFailure.nonRetryable(
    error.message,
    error.problem?.type ?? `urn:vcdc:http:${error.status}`,
    error.problem ?? { status: error.status },
  );
}

function notYet(message: string): ApplicationFailure {
  return ApplicationFailure.retryable(message, NOT_YET);
}

export type ExchangeClient = RouteClient<typeof EXCHANGE_ROUTES>;
type VenueRoutes = typeof VENUE_ROUTES;

/**
 * A venue route at a venue: the default venue's at /v1/..., every other trading venue's the same under
 * /v1/venues/:venueId/... (exchange api.ts OTHER_VENUE_ROUTES, `<name>AtVenue`). A case selling on
 * several venues names the others; undefined is the default, as for every case before them.
 */
export function atVenue<K extends keyof VenueRoutes & string>(
  x: ExchangeClient,
  venue: string | undefined,
  name: K,
  ...[input]: RouteArgs<VenueRoutes[K]>
): Promise<RouteOutput<VenueRoutes[K]>> {
  // A route and its AtVenue twin take the same input but `venueId`: typed by the caller's signature.
  type Loose = (name: string, input?: { params?: Record<string, string> }) => Promise<RouteOutput<VenueRoutes[K]>>;
  const callLoose = x.call as unknown as Loose;
  if (venue === undefined) return callLoose(name, input as { params?: Record<string, string> });
  const given = (input ?? {}) as { params?: Record<string, string> };
  return callLoose(`${name}AtVenue`, { ...given, params: { venueId: venue, ...given.params } });
}

/** `follow`: how long each wait's attempt keeps looking before it says not yet (one look unless given). */
export function createActivities(clients: ServiceClients, follow: Follow = ONE_LOOK) {
  const c = routeClient(clients.custody, CUSTODY_ROUTES);
  const x = routeClient(clients.exchange, EXCHANGE_ROUTES);
  const f = routeClient(clients.fx, FX_ROUTES);
  const t = routeClient(clients.treasury, TREASURY_ROUTES);
  /** Each service's checkpoint route (its runner mounts it beside the service's table). */
  const checkpointClients = (['custody', 'exchange', 'fx', 'treasury'] as const).map(
    (name) => [name, routeClient(clients[name], AUDIT_CHECKPOINT_ROUTES)] as const,
  );
  /** The venue's deposit as it is now; 404 (the venue has not seen it) is a retryable not-yet. */
  const venueDeposit = (q: { caseId: string; asset: string; txHash: string }, venue?: string) =>
    call('venue deposit', () =>
      atVenue(x, venue, 'getDeposit', { query: q }).catch((error: unknown) => {
        if (error instanceof ServiceCallError && error.status === 404) {
          throw notYet(`the venue has not seen ${q.asset} deposit ${q.txHash} yet`);
        }
        throw error;
      }),
    );
  const activities = {
    // custody
    async openCustodyAccount(body: contracts.custody.OpenCustodyAccount, key: string) {
      return call('open custody account', () => c.call('openAccount', { body, idempotencyKey: key }));
    },
    async getCustodyAccount(caseId: string, asset: string) {
      return call('custody account', () => c.call('getAccount', { params: { caseId, asset } }));
    },
    /** Custody answers 409 not-yet while confirmations are pending: retried like any retryable error. */
    async recordIntake(body: contracts.custody.RecordIntake, key: string) {
      return call('record intake', () => c.call('recordIntake', { body, idempotencyKey: key }));
    },
    /**
     * An ATTESTED lot (a chain custody does not watch), read only, never posted: until two custodians
     * have attested it, 404 (no attestation yet) and AWAITING_SECOND_ATTESTATION are "not yet". Then
     * custody's answer: a match carries the intake it recorded (RECEIVED, or DISCREPANCY against the
     * declared amount); a mismatch is a DISCREPANCY with what disagrees and no intake (nothing credited).
     * One look per attempt, never followed: a batch or manifest part waits on ten lots at once, for people
     * (minutes to days), and ten following attempts per batch would hold the worker's activity slots.
     */
    async awaitAttestedIntake(q: { caseId: string; lotId: string }) {
      const attested = await call('attested intake', () =>
        c.call('getAttestedIntake', { params: q }).catch((error: unknown) => {
          if (error instanceof ServiceCallError && error.status === 404) {
            throw notYet(`no custodian has attested lot ${q.lotId} of case ${q.caseId} yet`);
          }
          throw error;
        }),
      );
      if (attested.status === 'AWAITING_SECOND_ATTESTATION') {
        throw notYet(`lot ${q.lotId} of case ${q.caseId} waits for a second custodian's attestation`);
      }
      if (!attested.intake && !attested.mismatch) {
        throw ApplicationFailure.nonRetryable(
          `attested intake ${q.caseId}/${q.lotId}: ${attested.status} names neither an intake nor a mismatch`,
          CONTRACT_VIOLATION,
        );
      }
      return attested;
    },
    /** The whitelist entries of an address (any status): the case waits for an ACTIVE one of its venue. */
    async findWhitelistEntries(q: { chain: string; address: string }) {
      return call('whitelist entries', () => c.call('listWhitelist', { query: q }));
    },
    async requestTransfer(body: contracts.custody.RequestTransfer, key: string) {
      return call('request transfer', () => c.call('requestTransfer', { body, idempotencyKey: key }));
    },
    async getCustodyLedger(caseId: string) {
      return call('custody ledger', () => c.call('getLedger', { params: { caseId } }));
    },
    /**
     * Book coins the venue sent back into the case wallet (a compensation). Custody verifies the
     * transaction on chain; it answers 409 not-yet while confirming, retried like any retryable error.
     */
    async recordCustodyReturn(body: contracts.custody.RecordVenueReturn, key: string) {
      return call('record custody return', () => c.call('recordVenueReturn', { body, idempotencyKey: key }));
    },
    /** The intake as custody has it now: difference status, classification, countersignatures, `final`. */
    async getIntake(intakeId: string) {
      return call('intake', () => c.call('getIntake', { params: { intakeId } }));
    },
    /** Classify a DISCREPANCY intake's difference (amount = declared - received); answers the intake. */
    async classifyIntakeDifference(intakeId: string, body: contracts.custody.ClassifyIntakeDifference, key: string) {
      return call('classify intake difference', () =>
        c.call('classifyIntakeDifference', { params: { intakeId }, body, idempotencyKey: key }),
      );
    },
    /** One countersignature (handing-officer or custodian) of the classified difference; answers the intake. */
    async countersignIntakeDifference(
      intakeId: string,
      body: contracts.custody.CountersignIntakeDifference,
      key: string,
    ) {
      return call('countersign intake difference', () =>
        c.call('countersignIntakeDifference', { params: { intakeId }, body, idempotencyKey: key }),
      );
    },
    /** What one transfer of the asset costs in network fee now (custody's quote from the chain). */
    async getNetworkFee(q: { chain: string; asset: string }) {
      return call('network fee', () => c.call('getNetworkFee', { query: q }));
    },
    /** Whether a VENUE_DEPOSIT of this asset to this address still needs a confirmed TEST_DEPOSIT, and its largest amount. */
    async getTestDepositRequirement(q: { chain: string; address: string; asset: string }) {
      return call('test deposit requirement', () => c.call('getTestDepositRequirement', { query: q }));
    },
    /** Until the transfer is CONFIRMED (custody refreshes it from the chain on each GET); FAILED ends badly. */
    async awaitTransferConfirmed(transferId: string) {
      return followTheAnswer(follow, async () => {
        const transfer = await call('transfer', () => c.call('getTransfer', { params: { transferId } }));
        if (transfer.status === 'FAILED') {
          throw ApplicationFailure.nonRetryable(
            `custody reports transfer ${transferId} FAILED: nothing left custody`,
            ENDED_BADLY,
            transfer,
          );
        }
        if (transfer.status !== 'CONFIRMED') {
          throw notYet(`transfer ${transferId} has ${transfer.confirmations} confirmations, not CONFIRMED yet`);
        }
        return transfer;
      });
    },

    // exchange
    /** The reference price of `base` in `quote` now, for valuing a case (the sale reads its own as it sells). */
    async getValuationPrice(base: string, quote: string) {
      return call('reference price', () => x.call('getReferencePrice', { params: { base, quote } }));
    },
    async getMarketRules(base: string, quote: string, venue?: string) {
      return call('market rules', () => atVenue(x, venue, 'getMarketRules', { params: { base, quote } }));
    },
    async getDepositAddress(asset: string, chain: string, venue?: string) {
      return call('deposit address', () =>
        atVenue(x, venue, 'getDepositAddress', { params: { asset }, query: { chain } }),
      );
    },
    /**
     * The deposit as the venue has it now: PENDING, HELD (with the venue's holdReason) or CREDITED,
     * so the workflow can tell a review hold from a slow chain. Only 404 (not seen yet) is a retryable not-yet.
     * Not seen and PENDING are followed for the attempt's window (the workflow waits on them); the
     * last PENDING is answered as it is, so the workflow's own deadline for a slow chain still counts.
     */
    async getVenueDeposit(q: { caseId: string; asset: string; txHash: string }, venue?: string) {
      return followTheAnswer(
        follow,
        () => venueDeposit(q, venue),
        (deposit) => deposit.status === 'PENDING',
      );
    },
    async placeSellOrder(body: contracts.exchange.PlaceSellOrder, key: string, venue?: string) {
      return call('place sell order', () => atVenue(x, venue, 'placeSellOrder', { body, idempotencyKey: key }));
    },
    /** The venue's minimum and fee for a bank wire of the currency (fiat under the minimum cannot leave alone). */
    async getFiatWithdrawalTerms(currency: string, venue?: string) {
      return call('withdrawal terms', () => atVenue(x, venue, 'getFiatWithdrawalTerms', { params: { currency } }));
    },
    /** The venue's minimum and fee for sending a coin out: dust at or above them goes back to custody. */
    async getCoinWithdrawalTerms(asset: string, venue?: string) {
      return call('coin withdrawal terms', () => atVenue(x, venue, 'getCoinWithdrawalTerms', { params: { asset } }));
    },
    /** Book an amount the case cannot sell or take out as a residual line at the venue (once per key). */
    async recordResidual(body: contracts.exchange.RecordResidual, key: string, venue?: string) {
      return call('record residual', () => atVenue(x, venue, 'recordResidual', { body, idempotencyKey: key }));
    },
    async requestWithdrawal(body: contracts.exchange.RequestWithdrawal, key: string, venue?: string) {
      return call('request withdrawal', () => atVenue(x, venue, 'requestWithdrawal', { body, idempotencyKey: key }));
    },
    async awaitWithdrawalCompleted(withdrawalId: string, venue?: string) {
      return followTheAnswer(follow, async () => {
        const w = await call('withdrawal', () => atVenue(x, venue, 'getWithdrawal', { params: { withdrawalId } }));
        if (w.status === 'PENDING') throw notYet(`withdrawal ${withdrawalId} is pending`);
        if (w.status === 'FAILED') {
          throw ApplicationFailure.nonRetryable(`the venue reports withdrawal ${withdrawalId} FAILED`, ENDED_BADLY, w);
        }
        return w;
      });
    },
    /** Send coins back from the venue to the case's custody wallet (once per key, however often retried). */
    async requestVenueReturn(body: contracts.exchange.RequestVenueReturn, key: string, venue?: string) {
      return call('request venue return', () => atVenue(x, venue, 'requestVenueReturn', { body, idempotencyKey: key }));
    },
    /** Until the venue has broadcast the return (it has a txHash); FAILED ends badly (nothing left the venue). */
    async awaitVenueReturnSent(returnId: string, venue?: string) {
      return followTheAnswer(follow, async () => {
        const r = await call('venue return', () => atVenue(x, venue, 'getVenueReturn', { params: { returnId } }));
        if (r.status === 'FAILED') {
          throw ApplicationFailure.nonRetryable(
            `the venue reports return ${returnId} FAILED: ${r.failure ?? 'no reason given'}`,
            ENDED_BADLY,
            r,
          );
        }
        if (r.txHash === undefined) throw notYet(`return ${returnId} is not on chain yet`);
        return r;
      });
    },
    async getExchangeStatement(caseId: string) {
      return call('exchange statement', () => x.call('getStatement', { params: { caseId } }));
    },
    /**
     * Where one coin lot is sold (issue 16): the exchange service costs every venue way and the desks'
     * block, keeps the plan with every alternative (once per key), and answers its legs.
     */
    async planSale(caseId: string, body: contracts.exchange.PlanSale, key: string) {
      return call('sale plan', () => x.call('planSale', { params: { caseId }, body, idempotencyKey: key }));
    },
    /** The OTC desks in good standing in the register of licensed providers today (their provider ids). */
    async listDesks() {
      const { providers } = await call('providers', () => x.call('listProviders'));
      return providers
        .filter((p) => p.terms.kind === 'desk' && p.standing.inGoodStanding)
        .map((p) => p.terms.providerId);
    },
    /** A desks' RFQ as kept: the trade a plan's DESK leg took (where the coins go, what the desk pays). */
    async getRfq(rfqId: string) {
      return call('rfq', () => x.call('getRfq', { params: { rfqId } }));
    },
    /** The coins reached the desk (custody's transaction): the desk pays, both booked once by the exchange service. */
    async settleDeskTrade(rfqId: string, body: SettleDeskTrade, key: string) {
      return call('desk settlement', () => x.call('settleDeskTrade', { params: { rfqId }, body, idempotencyKey: key }));
    },
    /** A desk trade's settlement as the exchange service booked it (the reconciliation reads it). */
    async getDeskSettlement(rfqId: string) {
      return call('desk settlement', () => x.call('getDeskSettlement', { params: { rfqId } }));
    },

    // fx
    /** The day's bank buying rate, CNY per unit of `currency`, for valuing a case (not a settlement). */
    async getIndicativeCnyRate(currency: string) {
      return call('indicative CNY rate', () => f.call('getIndicativeRate', { params: { currency } }));
    },
    async createDeclaration(body: contracts.fx.CreateDeclaration, key: string) {
      return call('create declaration', () => f.call('createDeclaration', { body, idempotencyKey: key }));
    },
    async submitDeclaration(declarationId: string, body: contracts.fx.SubmitDeclaration, key: string) {
      return call('submit declaration', () =>
        f.call('submitDeclaration', { params: { id: declarationId }, body, idempotencyKey: key }),
      );
    },
    async recordFxDecision(declarationId: string, body: contracts.fx.RecordFxDecision, key: string) {
      return call('record FX decision', () =>
        f.call('recordFxDecision', { params: { id: declarationId }, body, idempotencyKey: key }),
      );
    },
    async settleDeclaration(declarationId: string, body: contracts.fx.RecordSettlement, key: string) {
      return call('settle declaration', () =>
        f.call('settleDeclaration', { params: { id: declarationId }, body, idempotencyKey: key }),
      );
    },
    async listDeclarations(caseId: string) {
      return call('case declarations', () => f.call('listCaseDeclarations', { params: { caseId } }));
    },

    // treasury
    async recordCredit(body: contracts.treasury.RecordCredit, key: string) {
      return call('record credit', () => t.call('recordCredit', { body, idempotencyKey: key }));
    },
    async requestRemittance(body: contracts.treasury.RequestRemittance, key: string) {
      return call('request remittance', () => t.call('requestRemittance', { body, idempotencyKey: key }));
    },
    async registerRestitutionOrder(body: contracts.treasury.RegisterRestitutionOrder, key: string) {
      return call('register restitution order', () =>
        t.call('registerRestitutionOrder', { body, idempotencyKey: key }),
      );
    },
    async distributeRestitution(body: contracts.treasury.DistributeRestitution, key: string) {
      return call('distribute restitution', () => t.call('distributeRestitution', { body, idempotencyKey: key }));
    },
    async openEscrow(body: contracts.treasury.OpenEscrow, key: string) {
      return call('open escrow', () => t.call('openEscrow', { body, idempotencyKey: key }));
    },
    async recordJudgment(body: contracts.treasury.JudgmentRequest, key: string) {
      return call('record judgment', () => t.call('recordJudgment', { body, idempotencyKey: key }));
    },
    async returnToOwner(body: contracts.treasury.ReturnToOwner, key: string) {
      return call('return to owner', () => t.call('returnToOwner', { body, idempotencyKey: key }));
    },
    async getTreasuryStatement(caseId: string) {
      return call('treasury statement', () => t.call('getStatement', { params: { caseId } }));
    },
    /**
     * At a stage change of a case: every service signs its audit chain's head now (issue 12). The
     * signed checkpoints are this activity's result, so the case's Temporal history keeps a copy
     * outside the databases. A service that signs none answers 404: reported as `off`.
     */
    async checkpointAuditChains(q: { caseId: string; stage: string }): Promise<StageCheckpoint[]> {
      return Promise.all(
        checkpointClients.map(
          async ([service, client]): Promise<StageCheckpoint> =>
            call(`${service} audit checkpoint`, () =>
              client
                .call('checkpointAuditChain', { body: q, idempotencyKey: `checkpoint/${q.caseId}/${q.stage}` })
                .catch((error: unknown) => {
                  if (error instanceof ServiceCallError && error.status === 404)
                    return { chain: service, off: true as const };
                  throw error;
                }),
            ),
        ),
      );
    },
  };
  /** A reconciliation's reads in one activity (case-statements.ts): the same routes as the single reads. */
  return { ...activities, readCaseStatements: caseStatementsReader(activities) };
}

/** A desk trade's settlement as the exchange service books it (its route's answer, rfq-contract.ts). */
export { DeskSettlement };

/** A service's answer to POST /v1/audit/checkpoints (audit/checkpoint-route.ts), or `off`: it signs none. */
export type StageCheckpoint = RouteOutput<typeof AUDIT_CHECKPOINT_ROUTES.checkpointAuditChain> & { off?: true };

export type CaseActivities = ReturnType<typeof createActivities>;
