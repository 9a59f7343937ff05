/**
 * The case workflow's effects: one activity = one HTTP call to the service that owns the data.
 * Every answer is validated with the contract's zod schema. Errors are mapped for Temporal:
 *  - retryable ServiceCallError (5xx, no answer, 429, 409 not-yet) -> rethrown, Temporal retries;
 *  - any other (a 4xx refusal) -> non-retryable ApplicationFailure whose type is the problem type;
 *  - an answer that breaks the contract -> non-retryable `contract-violation`.
 * The waits on the chain, the venue and the bank look for the thing for a few seconds of each attempt
 * (follow.ts: the worker gives the window) and throw a retryable failure while it is not there yet;
 * the workflow gives them their own retry policy and time limit.
 */
import { ApplicationFailure } from '@temporalio/common';
import { contracts, ServiceCallError, type ServiceClient, SignedCheckpoint } from '@vcdc/shared';
import { z } from 'zod';
import { type Follow, followTheAnswer, NOT_YET, ONE_LOOK } from './follow';

const { custody, exchange, fx, treasury } = contracts;

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

/** One service call: its failure mapped for Temporal (toFailure), its answer checked against the contract. */
export async function call<S extends z.ZodType>(
  schema: S,
  what: string,
  request: () => Promise<unknown>,
): Promise<z.infer<S>> {
  let answer: unknown;
  try {
    answer = await request();
  } catch (error) {
    throw toFailure(error);
  }
  const parsed = schema.safeParse(answer);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`${what}: the answer breaks the contract: ${detail}`, CONTRACT_VIOLATION);
  }
  return parsed.data;
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

const enc = encodeURIComponent;

/**
 * Where a venue's routes are at the exchange service: the default venue's at /v1/..., every other
 * trading venue's the same under /v1/venues/:venueId/... (a case selling on several venues names the
 * others; undefined is the default, as for every case before them).
 */
export function venuePath(venue: string | undefined, path: string): string {
  return venue === undefined ? `/v1${path}` : `/v1/venues/${enc(venue)}${path}`;
}
const WhitelistEntries = z.object({ entries: z.array(custody.WhitelistEntry) });

/** `follow`: how long each wait's attempt keeps looking before it says not yet (one look unless given). */
export function createActivities(clients: ServiceClients, follow: Follow = ONE_LOOK) {
  const { custody: c, exchange: x, fx: f, treasury: t } = clients;
  /** The venue's deposit as it is now; 404 (the venue has not seen it) is a retryable not-yet. */
  const venueDeposit = (q: { caseId: string; asset: string; txHash: string }, venue?: string) =>
    call(exchange.VenueDeposit, 'venue deposit', () =>
      x.get(venuePath(venue, '/deposits'), q).catch((error: unknown) => {
        if (error instanceof ServiceCallError && error.status === 404) {
          throw notYet(`the venue has not seen ${q.asset} deposit ${q.txHash} yet`);
        }
        throw error;
      }),
    );
  return {
    // custody
    async openCustodyAccount(body: contracts.custody.OpenCustodyAccount, key: string) {
      return call(custody.CustodyAccount, 'open custody account', () => c.post('/v1/accounts', body, key));
    },
    async getCustodyAccount(caseId: string, asset: string) {
      return call(custody.CustodyAccount, 'custody account', () => c.get(`/v1/accounts/${enc(caseId)}/${enc(asset)}`));
    },
    /** Custody answers 409 not-yet while confirmations are pending: retried like any retryable error. */
    async recordIntake(body: contracts.custody.RecordIntake, key: string) {
      return call(custody.Intake, 'record intake', () => c.post('/v1/intakes', body, key));
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
      const attested = await call(custody.AttestedIntake, 'attested intake', () =>
        c.get(`/v1/attestations/${enc(q.caseId)}/${enc(q.lotId)}`).catch((error: unknown) => {
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
      return call(WhitelistEntries, 'whitelist entries', () => c.get('/v1/whitelist', q));
    },
    async requestTransfer(body: contracts.custody.RequestTransfer, key: string) {
      return call(custody.Transfer, 'request transfer', () => c.post('/v1/transfers', body, key));
    },
    async getCustodyLedger(caseId: string) {
      return call(custody.CustodyLedger, 'custody ledger', () => c.get(`/v1/cases/${enc(caseId)}/ledger`));
    },
    /**
     * Book coins the venue sent back into the case wallet (a compensation). Custody verifies the
     * transaction on chain; it answers 409 not-yet while confirming, retried like any retryable error.
     */
    async recordCustodyReturn(body: contracts.custody.RecordVenueReturn, key: string) {
      return call(custody.VenueReturn, 'record custody return', () => c.post('/v1/returns', body, key));
    },
    /** The intake as custody has it now: difference status, classification, countersignatures, `final`. */
    async getIntake(intakeId: string) {
      return call(custody.Intake, 'intake', () => c.get(`/v1/intakes/${enc(intakeId)}`));
    },
    /** Classify a DISCREPANCY intake's difference (amount = declared - received); answers the intake. */
    async classifyIntakeDifference(intakeId: string, body: contracts.custody.ClassifyIntakeDifference, key: string) {
      return call(custody.Intake, 'classify intake difference', () =>
        c.post(`/v1/intakes/${enc(intakeId)}/difference`, body, key),
      );
    },
    /** One countersignature (handing-officer or custodian) of the classified difference; answers the intake. */
    async countersignIntakeDifference(
      intakeId: string,
      body: contracts.custody.CountersignIntakeDifference,
      key: string,
    ) {
      return call(custody.Intake, 'countersign intake difference', () =>
        c.post(`/v1/intakes/${enc(intakeId)}/difference/countersignatures`, body, key),
      );
    },
    /** Whether a VENUE_DEPOSIT of this asset to this address still needs a confirmed TEST_DEPOSIT, and its largest amount. */
    /** What one transfer of the asset costs in network fee now (custody's quote from the chain). */
    async getNetworkFee(q: { chain: string; asset: string }) {
      return call(custody.NetworkFee, 'network fee', () => c.get('/v1/network-fees', q));
    },
    async getTestDepositRequirement(q: { chain: string; address: string; asset: string }) {
      return call(custody.TestDepositRequirement, 'test deposit requirement', () =>
        c.get('/v1/test-deposits/requirement', q),
      );
    },
    /** Until the transfer is CONFIRMED (custody refreshes it from the chain on each GET); FAILED ends badly. */
    async awaitTransferConfirmed(transferId: string) {
      return followTheAnswer(follow, async () => {
        const transfer = await call(custody.Transfer, 'transfer', () => c.get(`/v1/transfers/${enc(transferId)}`));
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
      return call(exchange.ReferencePrice, 'reference price', () =>
        x.get(`/v1/markets/${enc(base)}/${enc(quote)}/reference-price`),
      );
    },
    async getMarketRules(base: string, quote: string, venue?: string) {
      return call(exchange.MarketRules, 'market rules', () =>
        x.get(venuePath(venue, `/markets/${enc(base)}/${enc(quote)}`)),
      );
    },
    async getDepositAddress(asset: string, chain: string, venue?: string) {
      return call(exchange.DepositAddress, 'deposit address', () =>
        x.get(venuePath(venue, `/deposit-addresses/${enc(asset)}`), { chain }),
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
      return call(exchange.VenueOrder, 'place sell order', () => x.post(venuePath(venue, '/orders'), body, key));
    },
    /** The venue's minimum and fee for a bank wire of the currency (fiat under the minimum cannot leave alone). */
    async getFiatWithdrawalTerms(currency: string, venue?: string) {
      return call(exchange.FiatWithdrawalTerms, 'withdrawal terms', () =>
        x.get(venuePath(venue, `/currencies/${enc(currency)}/withdrawal-terms`)),
      );
    },
    /** The venue's minimum and fee for sending a coin out: dust at or above them goes back to custody. */
    async getCoinWithdrawalTerms(asset: string, venue?: string) {
      return call(exchange.CoinWithdrawalTerms, 'coin withdrawal terms', () =>
        x.get(venuePath(venue, `/assets/${enc(asset)}/withdrawal-terms`)),
      );
    },
    /** Book an amount the case cannot sell or take out as a residual line at the venue (once per key). */
    async recordResidual(body: contracts.exchange.RecordResidual, key: string, venue?: string) {
      return call(exchange.Residual, 'record residual', () => x.post(venuePath(venue, '/residuals'), body, key));
    },
    async requestWithdrawal(body: contracts.exchange.RequestWithdrawal, key: string, venue?: string) {
      return call(exchange.VenueWithdrawal, 'request withdrawal', () =>
        x.post(venuePath(venue, '/withdrawals'), body, key),
      );
    },
    async awaitWithdrawalCompleted(withdrawalId: string, venue?: string) {
      return followTheAnswer(follow, async () => {
        const w = await call(exchange.VenueWithdrawal, 'withdrawal', () =>
          x.get(venuePath(venue, `/withdrawals/${enc(withdrawalId)}`)),
        );
        if (w.status === 'PENDING') throw notYet(`withdrawal ${withdrawalId} is pending`);
        if (w.status === 'FAILED') {
          throw ApplicationFailure.nonRetryable(`the venue reports withdrawal ${withdrawalId} FAILED`, ENDED_BADLY, w);
        }
        return w;
      });
    },
    /** Send coins back from the venue to the case's custody wallet (once per key, however often retried). */
    async requestVenueReturn(body: contracts.exchange.RequestVenueReturn, key: string, venue?: string) {
      return call(exchange.VenueReturnWithdrawal, 'request venue return', () =>
        x.post(venuePath(venue, '/returns'), body, key),
      );
    },
    /** Until the venue has broadcast the return (it has a txHash); FAILED ends badly (nothing left the venue). */
    async awaitVenueReturnSent(returnId: string, venue?: string) {
      return followTheAnswer(follow, async () => {
        const r = await call(exchange.VenueReturnWithdrawal, 'venue return', () =>
          x.get(venuePath(venue, `/returns/${enc(returnId)}`)),
        );
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
      return call(exchange.ExchangeStatement, 'exchange statement', () => x.get(`/v1/cases/${enc(caseId)}/statement`));
    },
    /**
     * Where one coin lot is sold (issue 16): the exchange service costs every venue way and the desks'
     * block, keeps the plan with every alternative (once per key), and answers its legs.
     */
    async planSale(caseId: string, body: contracts.exchange.PlanSale, key: string) {
      return call(exchange.SalePlanRecord, 'sale plan', () => x.post(`/v1/cases/${enc(caseId)}/sale-plans`, body, key));
    },
    /** The OTC desks in good standing in the register of licensed providers today (their provider ids). */
    async listDesks() {
      const { providers } = await call(Providers, 'providers', () => x.get('/v1/providers'));
      return providers
        .filter((p) => p.terms.kind === 'desk' && p.standing.inGoodStanding)
        .map((p) => p.terms.providerId);
    },
    /** A desks' RFQ as kept: the trade a plan's DESK leg took (where the coins go, what the desk pays). */
    async getRfq(rfqId: string) {
      return call(exchange.Rfq, 'rfq', () => x.get(`/v1/rfqs/${enc(rfqId)}`));
    },
    /** The coins reached the desk (custody's transaction): the desk pays, both booked once by the exchange service. */
    async settleDeskTrade(rfqId: string, body: DeskSettlementRequest, key: string) {
      return call(DeskSettlement, 'desk settlement', () => x.post(`/v1/rfqs/${enc(rfqId)}/settlement`, body, key));
    },
    /** A desk trade's settlement as the exchange service booked it (the reconciliation reads it). */
    async getDeskSettlement(rfqId: string) {
      return call(DeskSettlement, 'desk settlement', () => x.get(`/v1/rfqs/${enc(rfqId)}/settlement`));
    },

    // fx
    /** The day's bank buying rate, CNY per unit of `currency`, for valuing a case (not a settlement). */
    async getIndicativeCnyRate(currency: string) {
      return call(fx.IndicativeRate, 'indicative CNY rate', () => f.get(`/v1/rates/${enc(currency)}`));
    },
    async createDeclaration(body: contracts.fx.CreateDeclaration, key: string) {
      return call(fx.Declaration, 'create declaration', () => f.post('/v1/declarations', body, key));
    },
    async submitDeclaration(declarationId: string, body: contracts.fx.SubmitDeclaration, key: string) {
      return call(fx.Declaration, 'submit declaration', () =>
        f.post(`/v1/declarations/${enc(declarationId)}/submit`, body, key),
      );
    },
    async recordFxDecision(declarationId: string, body: contracts.fx.RecordFxDecision, key: string) {
      return call(fx.Declaration, 'record FX decision', () =>
        f.post(`/v1/declarations/${enc(declarationId)}/decision`, body, key),
      );
    },
    async settleDeclaration(declarationId: string, body: contracts.fx.RecordSettlement, key: string) {
      return call(fx.Settlement, 'settle declaration', () =>
        f.post(`/v1/declarations/${enc(declarationId)}/settlements`, body, key),
      );
    },
    async listDeclarations(caseId: string) {
      return call(fx.Declaration.array(), 'case declarations', () => f.get(`/v1/cases/${enc(caseId)}/declarations`));
    },

    // treasury
    async recordCredit(body: contracts.treasury.RecordCredit, key: string) {
      return call(treasury.Credit, 'record credit', () => t.post('/v1/credits', body, key));
    },
    async requestRemittance(body: contracts.treasury.RequestRemittance, key: string) {
      return call(treasury.Remittance, 'request remittance', () => t.post('/v1/remittances', body, key));
    },
    async registerRestitutionOrder(body: contracts.treasury.RegisterRestitutionOrder, key: string) {
      return call(treasury.RestitutionOrder, 'register restitution order', () =>
        t.post('/v1/restitution-orders', body, key),
      );
    },
    async distributeRestitution(body: contracts.treasury.DistributeRestitution, key: string) {
      return call(treasury.RestitutionDistribution, 'distribute restitution', () =>
        t.post('/v1/restitution-distributions', body, key),
      );
    },
    async openEscrow(body: contracts.treasury.OpenEscrow, key: string) {
      return call(treasury.Escrow, 'open escrow', () => t.post('/v1/escrows', body, key));
    },
    async recordJudgment(body: contracts.treasury.JudgmentRequest, key: string) {
      return call(treasury.Escrow, 'record judgment', () => t.post('/v1/judgments', body, key));
    },
    async returnToOwner(body: contracts.treasury.ReturnToOwner, key: string) {
      return call(treasury.OwnerReturn, 'return to owner', () => t.post('/v1/owner-returns', body, key));
    },
    async getTreasuryStatement(caseId: string) {
      return call(treasury.CaseStatement, 'treasury statement', () => t.get(`/v1/cases/${enc(caseId)}/statement`));
    },
    /**
     * At a stage change of a case: every service signs its audit chain's head now (issue 12). The
     * signed checkpoints are this activity's result, so the case's Temporal history keeps a copy
     * outside the databases. A service that signs none answers 404: reported as `off`.
     */
    async checkpointAuditChains(q: { caseId: string; stage: string }): Promise<StageCheckpoint[]> {
      const services = [
        ['custody', c],
        ['exchange', x],
        ['fx', f],
        ['treasury', t],
      ] as const;
      return Promise.all(
        services.map(async ([service, client]) =>
          call(StageCheckpointAnswer, `${service} audit checkpoint`, () =>
            client.post('/v1/audit/checkpoints', q, `checkpoint/${q.caseId}/${q.stage}`).catch((error: unknown) => {
              if (error instanceof ServiceCallError && error.status === 404) return { chain: service, off: true };
              throw error;
            }),
          ),
        ),
      );
    },
  };
}

/** GET /v1/providers (exchange): each provider's entry in force and its standing today (only what the case reads). */
const Providers = z.object({
  providers: z.array(
    z.object({
      terms: z.object({ providerId: z.string(), kind: z.string() }),
      standing: z.object({ inGoodStanding: z.boolean() }),
    }),
  ),
});

/** POST /v1/rfqs/:rfqId/settlement's body (the exchange service's rfq-contract.ts SettleDeskTrade). */
export interface DeskSettlementRequest {
  caseId: string;
  /** The chain transaction that took the coins to the desk's address (the rest, after a test deposit). */
  txHash: string;
  /** Custody's test deposit to the desk's new address, when there was one: part of the delivery. */
  testTxHash?: string;
  /** Where the desk pays (the offshore account, as a venue's wire). */
  bankAccountId: string;
}
/** A desk trade's settlement (the exchange service's rfq-contract.ts DeskSettlement). */
export const DeskSettlement = z.object({
  rfqId: z.string(),
  caseId: z.string(),
  desk: z.string(),
  tradeId: z.string(),
  asset: z.string(),
  amount: z.string(),
  address: z.string(),
  txHash: z.string(),
  testTxHash: z.string().optional(),
  deliveredAt: z.string(),
  fiatCurrency: z.string(),
  cost: z.string(),
  paymentReference: z.string(),
  paidAmount: z.string(),
  paidAt: z.string(),
  bankAccountId: z.string(),
});
export type DeskSettlement = z.infer<typeof DeskSettlement>;

/** A service's answer to POST /v1/audit/checkpoints (audit/checkpoint-route.ts), or `off`. */
const StageCheckpointAnswer = z.object({
  chain: z.string(),
  off: z.literal(true).optional(),
  written: z.boolean().optional(),
  checkpoint: z.object({ seq: z.number().int(), hash: z.string(), at: z.string(), keyId: z.string() }).optional(),
  signed: SignedCheckpoint.optional(),
});
export type StageCheckpoint = z.infer<typeof StageCheckpointAnswer>;

export type CaseActivities = ReturnType<typeof createActivities>;
