/**
 * Activities that behave like the four services would, in memory, with consistent amounts (so a
 * case that runs through reconciles): network fees, venue prices and fees, a withdrawal fee, an
 * FX rate with its rounding remainder. Each activity is a jest.fn, so tests can count calls, see
 * arguments and make one fail. A repeated Idempotency-Key answers what it answered the first time.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { contracts } from '@vcdc/shared';
import { common, exchange as exchangeContract } from '@vcdc/shared/contracts';
import { Decimal, roundDownTo, sum, tradeCost } from '@vcdc/shared/money';
import { deskHurdle, planSale, type VenueWay } from '@vcdc/shared/sale-plan';
import { chooseRoute, directSymbol, needsDepth } from '@vcdc/shared/sale-route';
import { allocateRestitution } from '../../services/treasury/src/restitution-allocation';
import type { CaseActivities, DeskSettlement } from '../src/activities/case-activities';
import { caseStatementsReader } from '../src/activities/case-statements';
import { type SaleActivities, saleQuoteReader } from '../src/activities/sale-activities';
import type { NotificationActivities } from '../src/notifications/types';

type Custody = typeof contracts.custody;
type Exchange = typeof contracts.exchange;
type Fx = typeof contracts.fx;
type Treasury = typeof contracts.treasury;
type Infer<T> = T extends { _output: infer O } ? O : never;

const NETWORK_FEE: Record<string, string> = { BTC: '0.0001', ETH: '0.00042', USDT: '1.5' };
const PRICE: Record<string, string> = {
  'BTC/USDT': '61234.56',
  'ETH/USDT': '3011.17',
  'USDT/USD': '0.9998',
  // The direct fiat markets: the stablecoin pair times USDT/USD.
  'BTC/USD': '61222.31',
  'ETH/USD': '3010.57',
};
const FEE_RATE = new Decimal('0.001');
const WITHDRAWAL_FEE = '25';
const FX_RATE = '7.1234';
const T = '2026-01-01T00:00:00.000Z';
/** Custody's largest TEST_DEPOSIT per asset (its defaults, CUSTODY_TEST_DEPOSIT_MAX). */
const COIN_WITHDRAWAL_MINIMUM: Record<string, string> = { BTC: '0.002', ETH: '0.01', USDT: '10' };
const TEST_DEPOSIT_MAX: Record<string, string> = { BTC: '0.001', ETH: '0.01', USDT: '10' };

/** One custodian's attestation of an ATTESTED lot's sweep. */
export interface FakeAttestation {
  attestedBy: string;
  txHash: string;
  amount: string;
}

/** An ATTESTED lot as custody has it: a test adds attestations while the case waits for them. */
export interface FakeAttestedLot {
  asset: 'BTC' | 'ETH' | 'USDT';
  chain: 'bitcoin' | 'ethereum';
  declaredAmount: string;
  attestations: FakeAttestation[];
}

export interface FakeOptions {
  /** Received amount per lot id, when it differs from the declared one. */
  received?: Record<string, string>;
  /** ATTESTED lots per lot id (custody's POST /v1/attestations, as the custodians sent them so far). */
  attested?: Record<string, FakeAttestedLot>;
  /** The venue's lot size per base asset: an order amount must be a multiple of it. */
  lotStep?: Record<string, string>;
  /** The venue's largest market order per base asset. */
  maxMarketQty?: Record<string, string>;
  /** The venue's minimum fiat wire (default "100", as the venue simulator's USD). */
  fiatWithdrawalMinimum?: string;
  /** The exchange service refuses every residual (its records disagree with the case's). */
  residualsRefused?: boolean;
  /** The venue's minimum send per coin (default as the venue simulator's: BTC 0.002, ETH 0.01, USDT 10). */
  coinWithdrawalMinimum?: Record<string, string>;
  /** The venue's largest limit order per base asset (default: no practical limit). */
  maxQty?: Record<string, string>;
  /**
   * Fair reference prices per market, one per call to getReferencePrice (the last one repeats): a
   * path that falls out of the engine's band makes it pause for a SALE_PRICE decision.
   */
  referencePrices?: Record<string, string[]>;
  /** The legal floor per market (none when absent). */
  floor?: Record<string, string>;
  /** The day's CNY rate per USD that values a case for the approval policy (default 7.1). */
  fxRate?: string;
  /** The share of each limit order the venue fills, per market (default 1: all of it). */
  fillRatio?: Record<string, string>;
  /**
   * The direct coin/fiat markets the venue lists (BTC/USD, ETH/USD), with the bid depth each shows in
   * any band; a direct market not named here is not listed (its depth is a 404), so by default every
   * coin is sold through the stablecoin.
   */
  directDepth?: Record<string, string>;
  /**
   * A settlement the FX service records inconsistently: its CNY this much off what the converted
   * amount brings at its rate (the reconciliation before the pay-out must catch it).
   */
  settlementCnyOff?: string;
  /**
   * The desks' answer to a sale plan that asks for them (POST /v1/cases/:caseId/sale-plans with desks):
   * the share of the lot a desk takes at the hurdle (rounded up to a whole dollar), default 0.4; "0": no desk trades.
   */
  deskShare?: string;
  /** The desk's delivery address has had no transfer yet (custody asks a test deposit first); default: proven. */
  deskAddressNew?: boolean;
}

/** The trading venues the fake exchange service has (TRADING_VENUES): the default first. */
const FAKE_VENUES = ['hashkey', 'osl'];
/** The desk the fake RFQ trades with. */
const FAKE_DESK = 'desk-a';

/** A venue's bids for a plan: ten levels under the reference, `stepBp` apart. */
function fakeBook(reference: string, size: string, stepBp: number): VenueWay['bids'] {
  return Array.from(
    { length: 10 },
    (_, i) =>
      [
        new Decimal(reference)
          .mul(1 - ((i + 1) * stepBp) / 10_000)
          .toDecimalPlaces(2)
          .toFixed(),
        size,
      ] as const,
  );
}

type Mocked<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? jest.Mock<R, A> : never };

/** The fake services, each activity a jest.fn (tests count calls, see arguments, make one fail). */
export function createFakeActivities(
  options: FakeOptions = {},
): Mocked<CaseActivities & SaleActivities & NotificationActivities> {
  const fakes = Object.fromEntries(
    Object.entries(fakeServiceActivities(options)).map(([name, fn]) => [
      name,
      jest.fn(fn as (...a: unknown[]) => unknown),
    ]),
  ) as unknown as Mocked<CaseActivities & SaleActivities & NotificationActivities>;
  // The one read asks the single reads' mocks: a test that changes one (or counts its calls) sees it asked.
  fakes.readCaseStatements = jest.fn(caseStatementsReader(fakes));
  fakes.getSaleQuote = jest.fn(saleQuoteReader(fakes));
  return fakes;
}

/** The same fake services as plain functions, for use outside jest (replay/record-histories.ts). */
export function fakeServiceActivities(
  options: FakeOptions = {},
): CaseActivities & SaleActivities & NotificationActivities {
  // As the services' Idempotency-Key layer: a key answers what it answered first, for the same request
  // only; the key with another request is 409 idempotency-key-reused (the request: route and arguments).
  const byKey = new Map<string, { request: string; answer: unknown }>();
  const once = <R>(key: string, request: unknown, make: () => R): R => {
    const asked = JSON.stringify(request);
    const first = byKey.get(key);
    if (first && first.request !== asked) {
      throw ApplicationFailure.nonRetryable(
        `key ${key} was first used for another request`,
        'urn:vcdc:problem:idempotency-key-reused',
        { type: 'urn:vcdc:problem:idempotency-key-reused', status: 409 },
      );
    }
    if (!first) byKey.set(key, { request: asked, answer: make() });
    return structuredClone(byKey.get(key)?.answer) as R;
  };
  const accounts = new Map<string, Infer<Custody['CustodyAccount']>>();
  const ledger: Infer<Custody['CustodyLedgerEntry']>[] = [];
  const deposits: Infer<Exchange['VenueDeposit']>[] = [];
  const orders = new Map<string, Infer<Exchange['VenueOrder']>>();
  const withdrawals = new Map<string, Infer<Exchange['VenueWithdrawal']>>();
  const declarations = new Map<string, Infer<Fx['Declaration']>>();
  const treasuryLines: (Infer<Treasury['StatementLine']> & { caseId: string })[] = [];
  /** The FX settlements the treasury credited (each once). */
  const credited = new Set<string>();
  const restitutionOrders = new Map<string, Infer<Treasury['RestitutionOrder']>>();
  const escrows = new Map<string, Infer<Treasury['Escrow']>>();
  let seq = 0;
  const id = (prefix: string) => `${prefix}-${++seq}`;
  // Every record belongs to one case: one fake can serve many cases at once.
  const balanceOf = (caseId: string, asset: string) =>
    ledger.filter((e) => e.caseId === caseId && e.asset === asset).reduce((s, e) => s.plus(e.amount), new Decimal(0));
  const linesOf = (caseId: string) => treasuryLines.filter((l) => l.caseId === caseId);
  const treasuryBalance = (caseId: string) => linesOf(caseId).reduce((s, l) => s.plus(l.amount), new Decimal(0));
  const account = (caseId: string, asset: string) => {
    const a = accounts.get(`${caseId}/${asset}`);
    if (!a) throw ApplicationFailure.nonRetryable(`no account ${asset}`, 'urn:vcdc:problem:not-found');
    return { ...a, balance: balanceOf(caseId, asset).toFixed() };
  };

  // Each fake walks its own copy of the price paths.
  const referencePaths: Record<string, string[]> = Object.fromEntries(
    Object.entries(options.referencePrices ?? {}).map(([symbol, path]) => [symbol, [...path]]),
  );
  /**
   * The venue sends unsold coins back (its withdrawal fee, here the network fee, deducted; broadcast at
   * once); custody books what arrived, the net amount. Shapes as the exchange and custody contracts.
   */
  const venueReturns = new Map<string, Infer<Exchange['VenueReturnWithdrawal']>>();
  const residuals: Infer<Exchange['Residual']>[] = [];
  const withdrawalTermsOf = (asset: string) =>
    asset in COIN_WITHDRAWAL_MINIMUM
      ? {
          allowed: true,
          fee: NETWORK_FEE[asset] ?? '0',
          minAmount: options.coinWithdrawalMinimum?.[asset] ?? COIN_WITHDRAWAL_MINIMUM[asset] ?? '0',
        }
      : { allowed: true, fee: WITHDRAWAL_FEE, minAmount: options.fiatWithdrawalMinimum ?? '100' };
  const returnFakes: Pick<CaseActivities, 'requestVenueReturn' | 'awaitVenueReturnSent' | 'recordCustodyReturn'> = {
    async requestVenueReturn(body, key, venue) {
      return once(key, ['requestVenueReturn', body, venue], () => {
        const fee = new Decimal(NETWORK_FEE[body.asset] ?? '0');
        if (new Decimal(body.amount).lte(fee)) {
          throw ApplicationFailure.nonRetryable('below the minimum', 'urn:vcdc:problem:below-minimum-withdrawal');
        }
        const r = {
          returnId: id('vr'),
          caseId: body.caseId,
          venue: venue ?? 'hashkey',
          asset: body.asset,
          chain: body.chain,
          amount: body.amount,
          fee: fee.toFixed(),
          netAmount: new Decimal(body.amount).minus(fee).toFixed(),
          toAddress: body.toAddress,
          transferId: body.transferId,
          txHash: `0xreturn${seq}`,
          status: 'SENT' as const,
          requestedAt: T,
        };
        venueReturns.set(r.returnId, r);
        return r;
      });
    },
    async awaitVenueReturnSent(returnId) {
      const r = venueReturns.get(returnId);
      if (!r) throw ApplicationFailure.nonRetryable('no such return', 'urn:vcdc:problem:not-found');
      return structuredClone(r);
    },
    async recordCustodyReturn(body, key) {
      return once(key, ['recordCustodyReturn', body], () => {
        const r = [...venueReturns.values()].find((v) => v.txHash === body.txHash);
        if (!r || r.caseId !== body.caseId || r.transferId !== body.transferId) {
          throw ApplicationFailure.nonRetryable('no such transaction', 'urn:vcdc:problem:transaction-not-found');
        }
        const booked = {
          returnId: id('cr'),
          caseId: body.caseId,
          asset: r.asset,
          chain: r.chain,
          transferId: body.transferId,
          txHash: body.txHash,
          amount: r.netAmount,
          confirmations: 6,
          recordedAt: T,
        };
        ledger.push({
          entryId: id('e'),
          caseId: body.caseId,
          asset: r.asset,
          kind: 'RETURN',
          amount: r.netAmount,
          reference: booked.returnId,
          createdAt: T,
        });
        return booked;
      });
    },
  };

  // Custody as the service keeps it: transfers by id, destinations proven by a CONFIRMED transfer (per
  // chain, address and asset), refused transfer keys (a refusal is the stored answer to its key), intakes.
  const custodyTransfers = new Map<string, Infer<Custody['Transfer']>>();
  const proven = new Map<string, string>();
  const refusedTransfers = new Map<string, unknown>();
  const custodyIntakes = new Map<string, Infer<Custody['Intake']>>();
  // Whose each address is (a venue's deposit address, a desk's delivery address); the default venue's otherwise.
  const addressOwner = new Map<string, string>();
  const rfqs = new Map<string, Infer<Exchange['Rfq']>>();
  const deskSettlements = new Map<string, DeskSettlement>();
  const destination = (chain: string, address: string, asset: string) => `${chain}/${address}/${asset}`;
  const refusal = (status: number, slug: string, message: string, extra: Record<string, unknown> = {}) =>
    ApplicationFailure.nonRetryable(message, `urn:vcdc:problem:${slug}`, {
      type: `urn:vcdc:problem:${slug}`,
      status,
      ...extra,
    });
  /**
   * As custody does for an OWNER_RETURN (services/custody/src/owner-returns.ts): two distinct
   * supervisors' HOLD_RESOLUTION approvals carrying the same CLOSE to the OWNER, to the address it names
   * for the asset, of all the case wallet holds; booked OWNER_RETURN (net) and NETWORK_FEE.
   */
  const handBack = (body: Parameters<CaseActivities['requestTransfer']>[0], key: string) => {
    const approvals = body.approvals ?? [];
    const resolution = approvals[0]?.resolution;
    const deciders = new Set(approvals.map((d) => d.decidedBy));
    if (
      !approvals.every((d) => d.stage === 'HOLD_RESOLUTION' && d.outcome === 'APPROVE') ||
      deciders.size < 2 ||
      !approvals.every((d) => JSON.stringify(d.resolution) === JSON.stringify(resolution))
    ) {
      throw refusal(403, 'transfer-unauthorised', "an OWNER_RETURN needs two supervisors' HOLD_RESOLUTION approvals");
    }
    const named =
      resolution?.path === 'CLOSE' && resolution.handBackTo === 'OWNER'
        ? resolution.owner.addresses.find((a) => a.asset === body.asset)?.address
        : undefined;
    if (named !== body.toAddress) {
      throw refusal(
        403,
        'owner-return-not-authorised',
        `the resolution names no ${body.asset} address ${body.toAddress}`,
      );
    }
    return once(key, ['requestTransfer', body], () => {
      const held = balanceOf(body.caseId, body.asset);
      if (!held.eq(body.amount)) {
        throw refusal(422, 'owner-return-partial', `the case wallet holds ${held.toFixed()} ${body.asset}`);
      }
      return sendFromCustody(body, 'OWNER_RETURN');
    });
  };
  /**
   * What custody books when it sends: the transfer (the network fee out of the amount) and its ledger
   * lines, `kind` for the net amount and NETWORK_FEE for the fee.
   */
  const sendFromCustody = (
    body: Parameters<CaseActivities['requestTransfer']>[0],
    kind: 'TRANSFER_OUT' | 'OWNER_RETURN',
  ) => {
    const fee = new Decimal(NETWORK_FEE[body.asset] ?? '0');
    const net = new Decimal(body.amount).minus(fee);
    const transfer = {
      transferId: id('tr'),
      ...body,
      fee: fee.toFixed(),
      netAmount: net.toFixed(),
      txHash: `0x${body.asset.toLowerCase()}${seq}`,
      confirmations: 0,
      status: 'BROADCAST' as const,
      createdAt: T,
    };
    for (const [k, amount] of [
      [kind, net],
      ['NETWORK_FEE', fee],
    ] as const) {
      ledger.push({
        entryId: id('e'),
        caseId: body.caseId,
        asset: body.asset,
        kind: k,
        amount: amount.neg().toFixed(),
        reference: transfer.transferId,
        createdAt: T,
      });
    }
    custodyTransfers.set(transfer.transferId, transfer);
    return transfer;
  };
  /**
   * The decision a service step carries, checked as the services do it without the signature (the
   * workflow verified that already, and the service tests prove the signature check): the stage, an
   * APPROVE where one is needed, the case.
   */
  const carried = (d: unknown, stage: string, caseId: string) => {
    const decision = d as
      | {
          stage?: string;
          outcome?: string;
          decidedBy?: string;
          settlement?: { amount: string; bankReference: string; bankCharges?: string; correspondentFees?: string };
          judgment?: {
            judgmentRef: string;
            documentHash: string;
            outcome: 'CONFISCATION' | 'RESTITUTION' | 'ACQUITTAL';
          };
        }
      | undefined;
    if (!decision) throw refusal(403, 'act-missing', `a signed ${stage} decision is required`);
    if (decision.stage !== stage)
      throw refusal(403, 'act-kind', `a ${decision.stage} decision cannot authorise ${stage}`);
    if (stage !== 'FX_DECLARATION' && decision.outcome !== 'APPROVE') {
      throw refusal(403, 'act-kind', `a ${decision.outcome} decision cannot authorise ${stage}`);
    }
    if (!caseId) throw refusal(403, 'act-object', 'no case');
    return { ...decision, decidedBy: decision.decidedBy ?? '' };
  };
  const intakeOf = (intakeId: string) => {
    const intake = custodyIntakes.get(intakeId);
    if (!intake) throw refusal(404, 'not-found', `no intake ${intakeId}`);
    if (intake.status === 'RECEIVED') throw refusal(409, 'no-difference', `intake ${intakeId} has no difference`);
    return intake;
  };
  const activities: CaseActivities & SaleActivities & NotificationActivities = {
    ...returnFakes,
    async openCustodyAccount(body, key) {
      return once(key, ['openCustodyAccount', body], () => {
        const a = { ...body, address: `custody-${body.asset.toLowerCase()}-${body.caseId}`, balance: '0', openedAt: T };
        accounts.set(`${body.caseId}/${body.asset}`, a);
        return a;
      });
    },
    async getCustodyAccount(caseId, asset) {
      return account(caseId, asset);
    },
    async recordIntake(body, key) {
      return once(key, ['recordIntake', body], () => {
        const received = options.received?.[body.lotId] ?? body.declaredAmount;
        const difference = new Decimal(received).minus(body.declaredAmount);
        const intake = {
          intakeId: id('intake'),
          ...body,
          evidence: { ...body.evidence, documents: body.evidence.documents ?? [] },
          receivedAmount: received,
          difference: difference.toFixed(),
          status: difference.isNegative() ? ('DISCREPANCY' as const) : ('RECEIVED' as const),
          confirmations: 6,
          differenceStatus: difference.isNegative() ? ('UNCLASSIFIED' as const) : ('NONE' as const),
          countersignatures: [],
          final: !difference.isNegative(),
          recordedAt: T,
        };
        custodyIntakes.set(intake.intakeId, structuredClone(intake));
        ledger.push({
          entryId: id('e'),
          caseId: body.caseId,
          asset: body.asset,
          kind: 'INTAKE',
          amount: received,
          reference: intake.intakeId,
          createdAt: T,
        });
        return intake;
      });
    },
    /**
     * As custody answers GET /v1/attestations/:caseId/:lotId (mapped like the activity): not yet until
     * two attestations; a match records the intake once (credited, RECEIVED or DISCREPANCY against the
     * declared amount); a mismatch is a DISCREPANCY with what disagrees, nothing credited.
     */
    async awaitAttestedIntake(q) {
      const lot = options.attested?.[q.lotId];
      const [first, second] = lot?.attestations ?? [];
      if (!lot || !first) {
        throw ApplicationFailure.retryable(`no custodian has attested lot ${q.lotId} yet`, 'urn:vcdc:activity:not-yet');
      }
      if (!second) {
        throw ApplicationFailure.retryable(
          `lot ${q.lotId} waits for a second attestation`,
          'urn:vcdc:activity:not-yet',
        );
      }
      const base = {
        caseId: q.caseId,
        lotId: q.lotId,
        asset: lot.asset,
        chain: lot.chain,
        declaredAmount: lot.declaredAmount,
        attestations: [first, second].map((a, i) => ({
          attestationId: `att-${q.lotId}-${i + 1}`,
          round: i + 1,
          ...a,
          attestedAt: T,
        })),
      };
      const mismatch = { txHash: first.txHash !== second.txHash, amount: !new Decimal(first.amount).eq(second.amount) };
      if (mismatch.txHash || mismatch.amount) return { ...base, status: 'DISCREPANCY' as const, mismatch };
      const intake = once(`attested/${q.caseId}/${q.lotId}`, ['attested', q.caseId, q.lotId], () => {
        const difference = new Decimal(first.amount).minus(lot.declaredAmount);
        const short = !difference.isZero();
        const recorded = {
          intakeId: id('intake'),
          caseId: q.caseId,
          lotId: q.lotId,
          asset: lot.asset,
          chain: lot.chain,
          declaredAmount: lot.declaredAmount,
          receivedAmount: first.amount,
          difference: difference.toFixed(),
          status: short ? ('DISCREPANCY' as const) : ('RECEIVED' as const),
          txHash: first.txHash,
          confirmations: 0,
          evidence: {
            handoverFormNo: `HF-${q.lotId}`,
            handedOverBy: 'officer.li',
            receivedBy: first.attestedBy,
            documents: [],
          },
          verification: 'ATTESTED' as const,
          differenceStatus: short ? ('UNCLASSIFIED' as const) : ('NONE' as const),
          countersignatures: [],
          final: !short,
          recordedAt: T,
        };
        custodyIntakes.set(recorded.intakeId, structuredClone(recorded));
        ledger.push({
          entryId: id('e'),
          caseId: q.caseId,
          asset: lot.asset,
          kind: 'INTAKE',
          amount: first.amount,
          reference: recorded.intakeId,
          createdAt: T,
        });
        return recorded;
      });
      return { ...base, status: intake.status, intake };
    },
    // Custodians have whitelisted every venue address already (the custody tests prove the four eyes).
    async findWhitelistEntries(q) {
      return {
        entries: [
          {
            entryId: `wl-${q.chain}-${q.address}`,
            chain: q.chain as 'bitcoin' | 'ethereum',
            address: q.address,
            label: `venue deposit address ${q.address}`,
            venue: addressOwner.get(q.address) ?? 'hashkey',
            status: 'ACTIVE' as const,
            createdAt: T,
          },
        ],
      };
    },
    async requestTransfer(body, key) {
      if (body.purpose === 'OWNER_RETURN') return handBack(body, key);
      // As custody does: a TEST_DEPOSIT is small; a VENUE_DEPOSIT only to a proven destination (409
      // test-deposit-required otherwise), and that refusal stays the answer to its Idempotency-Key.
      if (refusedTransfers.has(key)) throw refusedTransfers.get(key);
      // As custody does: nothing leaves without the case's DISPOSAL_PLAN approvals naming the asset, within its maximum.
      const authorisation = body.approvals?.[0]?.authorisation;
      const allowed = authorisation?.assets.find((a) => a.asset === body.asset);
      if (!body.approvals?.every((d) => d.stage === 'DISPOSAL_PLAN' && d.outcome === 'APPROVE') || !allowed) {
        throw refusal(403, 'transfer-unauthorised', `no DISPOSAL_PLAN approval authorises this ${body.asset} transfer`);
      }
      // As custody does: only to a whitelist entry of a venue (or desk) the authorisation names.
      const owner = addressOwner.get(body.toAddress) ?? 'hashkey';
      if (authorisation && ![authorisation.venue, ...(authorisation.venues ?? [])].includes(owner)) {
        throw refusal(403, 'destination-not-authorised', `${body.toAddress} is ${owner}'s, not authorised`);
      }
      const out = [...custodyTransfers.values()]
        .filter((t) => t.caseId === body.caseId && t.asset === body.asset)
        .reduce((sum, t) => sum.plus(t.amount), new Decimal(0))
        // What came back into the case wallet (a stopped case's compensation) is not out any more.
        .minus(
          ledger
            .filter((e) => e.caseId === body.caseId && e.asset === body.asset && e.kind === 'RETURN')
            .reduce((sum, e) => sum.plus(e.amount), new Decimal(0)),
        );
      if (!byKey.has(key) && out.plus(body.amount).gt(allowed.maxAmount)) {
        throw refusal(403, 'transfer-above-authorisation', `above the authorised ${allowed.maxAmount} ${body.asset}`);
      }
      const max = TEST_DEPOSIT_MAX[body.asset] ?? '0';
      const where = destination(body.chain, body.toAddress, body.asset);
      const refused =
        body.purpose === 'TEST_DEPOSIT' && new Decimal(body.amount).gt(max)
          ? refusal(422, 'test-deposit-too-large', `a TEST_DEPOSIT of ${body.asset} is at most ${max}`, {
              maxAmount: max,
              errors: [{ field: 'amount', message: `must be at most ${max} ${body.asset} for a TEST_DEPOSIT` }],
            })
          : body.purpose === 'VENUE_DEPOSIT' && !proven.has(where) && !byKey.has(key)
            ? refusal(409, 'test-deposit-required', `${body.toAddress} has no confirmed ${body.asset} transfer yet`, {
                maxAmount: max,
                pendingTransferIds: [...custodyTransfers.values()]
                  .filter((t) => destination(t.chain, t.toAddress, t.asset) === where && t.status === 'BROADCAST')
                  .map((t) => t.transferId),
              })
            : undefined;
      if (refused) {
        refusedTransfers.set(key, refused);
        throw refused;
      }
      return once(key, ['requestTransfer', body], () => {
        const transfer = sendFromCustody(body, 'TRANSFER_OUT');
        const owner = addressOwner.get(body.toAddress) ?? 'hashkey';
        // A desk books the coins when its trade is settled (POST /v1/rfqs/:rfqId/settlement), not as a deposit.
        if (owner === FAKE_DESK) return transfer;
        deposits.push({
          caseId: body.caseId,
          venue: owner,
          asset: body.asset,
          txHash: transfer.txHash,
          amount: transfer.netAmount,
          status: 'CREDITED',
          venueDepositId: id('dep'),
          observedAt: T,
        });
        return transfer;
      });
    },
    async getCustodyLedger(caseId) {
      const entries = ledger.filter((e) => e.caseId === caseId);
      const assets = [...new Set(entries.map((e) => e.asset))];
      return {
        caseId,
        entries: structuredClone(entries),
        balances: Object.fromEntries(assets.map((a) => [a, balanceOf(caseId, a).toFixed()])),
      };
    },
    async getNetworkFee(q) {
      const fee = NETWORK_FEE[q.asset];
      if (fee === undefined) throw refusal(502, 'chain-fee-unknown', `the chain quotes no fee for ${q.asset}`);
      return { chain: q.chain as 'bitcoin', asset: q.asset as 'BTC', fee, at: new Date().toISOString() };
    },
    async getTestDepositRequirement(q) {
      const where = destination(q.chain, q.address, q.asset);
      const provenBy = proven.get(where);
      return {
        chain: q.chain as 'bitcoin',
        address: q.address,
        asset: q.asset as 'BTC',
        required: provenBy === undefined,
        maxAmount: TEST_DEPOSIT_MAX[q.asset] ?? '0',
        ...(provenBy ? { provenBy } : {}),
        pendingTransferIds: [...custodyTransfers.values()]
          .filter((t) => destination(t.chain, t.toAddress, t.asset) === where && t.status === 'BROADCAST')
          .map((t) => t.transferId),
      };
    },
    /** The chain confirms a transfer when the workflow waits for it; a confirmed transfer proves its destination. */
    async awaitTransferConfirmed(transferId) {
      const t = custodyTransfers.get(transferId);
      if (!t) throw refusal(404, 'not-found', `no transfer ${transferId}`);
      t.status = 'CONFIRMED';
      t.confirmations = 6;
      const where = destination(t.chain, t.toAddress, t.asset);
      if (!proven.has(where)) proven.set(where, transferId);
      return structuredClone(t);
    },
    async getIntake(intakeId) {
      const intake = custodyIntakes.get(intakeId);
      if (!intake) throw refusal(404, 'not-found', `no intake ${intakeId}`);
      return structuredClone(intake);
    },
    async classifyIntakeDifference(intakeId, body, key) {
      return once(key, ['classifyIntakeDifference', intakeId, body], () => {
        const intake = intakeOf(intakeId);
        const current = intake.differenceClassification;
        if (intake.differenceStatus === 'COUNTERSIGNED') throw refusal(409, 'difference-countersigned', 'final');
        if (current && body.corrects === undefined) throw refusal(409, 'difference-already-classified', 'classified');
        if (body.corrects !== undefined && body.corrects !== current?.classificationId) {
          throw refusal(409, 'classification-not-current', `${body.corrects} is not in force`);
        }
        const expected = new Decimal(intake.declaredAmount).minus(intake.receivedAmount);
        if (!new Decimal(body.amount).eq(expected)) {
          throw refusal(422, 'difference-amount-mismatch', `amount: must be ${expected.toFixed()}`, {
            expected: expected.toFixed(),
            errors: [{ field: 'amount', message: `must be ${expected.toFixed()}` }],
          });
        }
        intake.differenceClassification = {
          classificationId: id('diff'),
          classification: body.classification,
          explanation: body.explanation,
          ...(body.feeTxHash ? { feeTxHash: body.feeTxHash } : {}),
          amount: expected.toFixed(),
          ...(body.corrects ? { corrects: body.corrects } : {}),
          classifiedAt: T,
        };
        intake.differenceStatus = 'CLASSIFIED';
        intake.countersignatures = [];
        return structuredClone(intake);
      });
    },
    async countersignIntakeDifference(intakeId, body, key) {
      return once(key, ['countersignIntakeDifference', intakeId, body], () => {
        const intake = intakeOf(intakeId);
        const current = intake.differenceClassification;
        if (!current) throw refusal(409, 'difference-not-classified', `intake ${intakeId} is not classified`);
        if (body.classificationId !== undefined && body.classificationId !== current.classificationId) {
          throw refusal(409, 'classification-not-current', `${body.classificationId} is not in force`);
        }
        const signatures = intake.countersignatures ?? [];
        if (signatures.some((x) => x.role === body.role)) {
          throw refusal(409, 'role-already-countersigned', `${body.role} countersigned already`);
        }
        signatures.push({
          classificationId: current.classificationId,
          signedBy: body.role === 'custodian' ? intake.evidence.receivedBy : intake.evidence.handedOverBy,
          role: body.role,
          signedAt: T,
        });
        intake.countersignatures = signatures;
        if (signatures.length === 2) {
          intake.differenceStatus = 'COUNTERSIGNED';
          intake.final = true;
        }
        return structuredClone(intake);
      });
    },
    async getDepositAddress(asset, chain, venue) {
      // The default venue's addresses as before; another venue's its own.
      const address = venue === undefined ? `venue-${asset.toLowerCase()}` : `${venue}-${asset.toLowerCase()}`;
      addressOwner.set(address, venue ?? 'hashkey');
      return { asset: asset as 'BTC', chain: chain as 'bitcoin', address, venue: venue ?? 'hashkey' };
    },
    async getVenueDeposit(q) {
      const d = deposits.find((x) => x.txHash === q.txHash && x.asset === q.asset);
      if (!d) throw ApplicationFailure.retryable('not seen yet', 'urn:vcdc:activity:not-yet');
      return structuredClone(d);
    },
    async getMarketRules(base, quote, venue) {
      return {
        venue: venue ?? 'hashkey',
        symbol: `${base}/${quote}`,
        base,
        quote,
        stepSize: options.lotStep?.[base] ?? (base === 'ETH' ? '0.00000001' : '0.000001'),
        tickSize: '0.01',
        minQty: '0',
        maxQty: options.maxQty?.[base] ?? '1000000',
        marketOrderMaxQty: options.maxMarketQty?.[base] ?? '0',
        minNotional: '0',
      };
    },
    async placeSellOrder(body, key, venue) {
      return once(key, ['placeSellOrder', body, venue], () => {
        const [base = ''] = body.symbol.split('/');
        const quote = body.symbol.split('/')[1] ?? '';
        const step = options.lotStep?.[base];
        if (step && !new Decimal(body.amount).mod(step).isZero()) {
          // As the exchange service does: never round; refuse and say what is sellable.
          const sellable = new Decimal(body.amount).div(step).floor().times(step);
          throw ApplicationFailure.nonRetryable(
            'Amount is not a multiple of the lot size',
            'urn:vcdc:problem:amount-precision',
            {
              type: 'urn:vcdc:problem:amount-precision',
              status: 422,
              stepSize: step,
              sellableAmount: sellable.toFixed(),
            },
          );
        }
        const max = options.maxMarketQty?.[base];
        if (max && new Decimal(body.amount).gt(max)) {
          throw ApplicationFailure.nonRetryable('market order too large', 'urn:vcdc:problem:order-refused');
        }
        // The service's pre-trade check: no limit order above the largest the market allows (422).
        const maxLimit = options.maxQty?.[base];
        if (body.type === 'limit' && maxLimit && new Decimal(body.amount).gt(maxLimit)) {
          throw ApplicationFailure.nonRetryable(
            `Order larger than allowed: a limit order may sell at most ${maxLimit}`,
            'urn:vcdc:problem:above-maximum-order-size',
          );
        }
        // A limit order fills at its limit price, as much as the market's fill ratio says (whole steps).
        const ratio = body.type === 'limit' ? (options.fillRatio?.[body.symbol] ?? '1') : '1';
        const lot = step ?? (base === 'ETH' ? '0.00000001' : '0.000001');
        const filled = new Decimal(body.amount).times(ratio).div(lot).floor().times(lot);
        const price = new Decimal(
          body.type === 'limit' && body.limitPrice ? body.limitPrice : (PRICE[body.symbol] ?? '1'),
        );
        const cost = filled.times(price);
        const fee = roundDownTo(cost.times(FEE_RATE), quote as 'USD').rounded;
        const order = {
          caseId: body.caseId,
          venue: venue ?? 'hashkey',
          clientOrderId: body.clientOrderId,
          venueOrderId: id('vo'),
          symbol: body.symbol,
          side: 'sell' as const,
          type: body.type,
          amount: body.amount,
          filled: filled.toFixed(),
          remaining: new Decimal(body.amount).minus(filled).toFixed(),
          cost: cost.toFixed(),
          averagePrice: price.toFixed(),
          fee: fee.toFixed(),
          feeCurrency: quote,
          status: (filled.eq(body.amount) ? 'closed' : 'open') as 'closed' | 'open' | 'canceled',
          fills: [
            {
              tradeId: id('t'),
              price: price.toFixed(),
              amount: filled.toFixed(),
              cost: cost.toFixed(),
              fee: fee.toFixed(),
              feeCurrency: quote,
              timestamp: T,
            },
          ],
          createdAt: T,
        };
        orders.set(body.clientOrderId, order);
        return order;
      });
    },
    async getFiatWithdrawalTerms(currency, venue) {
      const minAmount = options.fiatWithdrawalMinimum ?? '100';
      return { venue: venue ?? 'hashkey', currency: currency as 'USD', allowed: true, fee: WITHDRAWAL_FEE, minAmount };
    },
    async getCoinWithdrawalTerms(asset, venue) {
      return {
        venue: venue ?? 'hashkey',
        asset: asset as 'ETH',
        chain: common.CHAIN_OF_ASSET[asset as 'ETH'],
        ...withdrawalTermsOf(asset),
      };
    },
    async recordResidual(body, key, venue) {
      return once(key, ['recordResidual', body, venue], () => {
        // As the exchange service: what the venue would pay out is refused, it must leave instead.
        if (options.residualsRefused) {
          throw refusal(422, 'residual-exceeds-case-balance', `the case holds less ${body.asset} at the venue`);
        }
        const terms = withdrawalTermsOf(body.asset);
        if (exchangeContract.venueWouldPayOut(body.amount, terms)) {
          throw refusal(422, 'residual-could-be-withdrawn', `${body.amount} ${body.asset} could be withdrawn`);
        }
        const r = {
          residualId: id('res'),
          caseId: body.caseId,
          venue: venue ?? 'hashkey',
          asset: body.asset,
          amount: body.amount,
          reason: body.reason,
          detail: body.detail,
          withdrawalMinimum: terms.minAmount,
          withdrawalFee: terms.fee,
          withdrawalAllowed: terms.allowed,
          recordedAt: T,
        };
        residuals.push(r);
        return r;
      });
    },
    async requestWithdrawal(body, key, venue) {
      return once(key, ['requestWithdrawal', body, venue], () => {
        // The venue refuses a wire under its minimum (422), as the simulator does.
        if (new Decimal(body.amount).lt(options.fiatWithdrawalMinimum ?? '100')) {
          throw ApplicationFailure.nonRetryable('under the minimum wire', 'urn:vcdc:problem:venue-refused');
        }
        const w = {
          caseId: body.caseId,
          venue: venue ?? 'hashkey',
          withdrawalId: id('wd'),
          currency: body.currency,
          amount: body.amount,
          fee: WITHDRAWAL_FEE,
          netAmount: new Decimal(body.amount).minus(WITHDRAWAL_FEE).toFixed(),
          bankAccountId: body.bankAccountId,
          status: 'PENDING' as const,
          createdAt: T,
        };
        withdrawals.set(w.withdrawalId, { ...w, status: 'COMPLETED' });
        return w;
      });
    },
    async awaitWithdrawalCompleted(withdrawalId) {
      const w = withdrawals.get(withdrawalId);
      if (!w) throw ApplicationFailure.nonRetryable('no such withdrawal', 'urn:vcdc:problem:not-found');
      return structuredClone(w);
    },
    // As the exchange service plans a lot (sale-plans): each venue's book costed by the pure planner, the
    // desk asked when the plan says so (its trade at the hurdle, rounded up to a whole dollar), the plan kept.
    async planSale(caseId, body, key) {
      return once(key, ['planSale', caseId, body], () => {
        const reference = PRICE[`${body.asset}/USDT`] ?? '1';
        const size = body.asset === 'BTC' ? '0.1' : '1';
        const ways: VenueWay[] = (body.venues ?? FAKE_VENUES).map((venue, i) => ({
          venue,
          route: 'VIA_STABLECOIN',
          symbol: `${body.asset}/USDT`,
          reference,
          bids: fakeBook(reference, size, 2 + i),
          takerFee: '0.001',
          engineFee: i === 0 ? '0.0008' : '0.0006',
          extraCostBp: '1',
        }));
        const input = { asset: body.asset, lot: body.lot, stepSize: '0.00001', slices: body.slices, ways };
        const deskSymbol = `${body.asset}/USD`;
        const deskReference = PRICE[deskSymbol] ?? '1';
        const hurdle = deskHurdle(input, deskReference).price;
        const share = options.deskShare ?? '0.4';
        // Cut to the plan's step, as the exchange cuts a tranche (sale-plans.ts).
        const block = new Decimal(body.lot).mul(share).div(input.stepSize).floor().mul(input.stepSize);
        let desk: Parameters<typeof planSale>[1];
        let rfqId: string | undefined;
        if (body.desks) {
          rfqId = id('rfq');
          const price = new Decimal(hurdle).ceil();
          const traded = block.gt(0);
          rfqs.set(rfqId, {
            rfqId,
            caseId,
            symbol: deskSymbol,
            side: 'sell',
            amount: block.toFixed(),
            referencePrice: deskReference,
            floorRule: 'none',
            band: '0.05',
            bandLow: '0',
            bandHigh: '1000000',
            deadlineMs: 2000,
            askedAt: T,
            outcome: traded ? 'TRADED' : 'NO_DESK',
            useEngine: !traded,
            quotes: [{ desk: FAKE_DESK, status: traded ? 'ACCEPTED' : 'DECLINED', price: price.toFixed() }],
            ...(traded
              ? {
                  trade: {
                    desk: FAKE_DESK,
                    tradeId: id('trade'),
                    price: price.toFixed(),
                    amount: block.toFixed(),
                    cost: tradeCost(price, block, body.fiat).toFixed(),
                    currency: body.fiat,
                    deliverTo: { asset: body.asset, address: `${FAKE_DESK}-${body.asset.toLowerCase()}` },
                  },
                }
              : {}),
          } as Infer<Exchange['Rfq']>);
          const made = rfqs.get(rfqId)?.trade;
          // As the exchange books a desk's trade (rfq.ts): an order filled at the desk, in the case's statement.
          if (made) {
            orders.set(rfqId, {
              caseId,
              venue: made.desk,
              clientOrderId: rfqId,
              venueOrderId: made.tradeId,
              symbol: deskSymbol,
              side: 'sell',
              type: 'limit',
              amount: made.amount,
              filled: made.amount,
              remaining: '0',
              cost: made.cost,
              averagePrice: made.price,
              fee: '0',
              feeCurrency: body.fiat,
              status: 'closed',
              fills: [
                {
                  tradeId: made.tradeId,
                  price: made.price,
                  amount: made.amount,
                  cost: made.cost,
                  fee: '0',
                  feeCurrency: body.fiat,
                  timestamp: T,
                },
              ],
              createdAt: T,
            });
          }
          const deskAddress = `${FAKE_DESK}-${body.asset.toLowerCase()}`;
          addressOwner.set(deskAddress, FAKE_DESK);
          // A desk the case's custody has delivered to before (an earlier case's confirmed transfer proved it).
          const where = destination(common.CHAIN_OF_ASSET[body.asset], deskAddress, body.asset);
          if (!options.deskAddressNew && !proven.has(where)) proven.set(where, 'tr-earlier-case');
          if (traded) {
            desk = {
              rfqId,
              desk: FAKE_DESK,
              symbol: deskSymbol,
              reference: deskReference,
              price: price.toFixed(),
              amount: block.toFixed(),
            };
          }
        }
        const plan = planSale(input, desk);
        return {
          planId: id('plan'),
          caseId,
          asset: body.asset,
          lot: plan.lot,
          fiat: body.fiat,
          slices: body.slices,
          legs: plan.legs,
          expectedCostBp: plan.expectedCostBp,
          alternatives: plan.alternatives,
          ...(rfqId ? { rfqId, hurdle } : {}),
          books: ways.map((w) => ({ venue: w.venue, symbol: w.symbol, at: T, bestBid: w.bids[0]?.[0], levels: 10 })),
          reason: plan.reason,
          decidedAt: T,
        };
      });
    },
    async listDesks() {
      return [FAKE_DESK];
    },
    async getRfq(rfqId) {
      const rfq = rfqs.get(rfqId);
      if (!rfq) throw refusal(404, 'not-found', `no RFQ ${rfqId}`);
      return structuredClone(rfq);
    },
    // As the exchange service settles a desk trade: the desk sees the coins (every transfer of the case to
    // its address, net) and pays the cost to the last unit; the coins and the payment booked as a venue's.
    async settleDeskTrade(rfqId, body, key) {
      return once(key, ['settleDeskTrade', rfqId, body], () => {
        const rfq = rfqs.get(rfqId);
        const trade = rfq?.trade;
        if (!rfq || !trade || rfq.caseId !== body.caseId) throw refusal(404, 'not-found', `no desk trade of ${rfqId}`);
        const known = deskSettlements.get(rfqId);
        if (known) return known;
        // As the desk does: its transactions (a test deposit and the rest, or one), each to its address,
        // together exactly the trade's amount; each booked as a deposit at the desk.
        const hashes = body.testTxHash ? [body.testTxHash, body.txHash] : [body.txHash];
        const txs = hashes.map((h) => [...custodyTransfers.values()].find((t) => t.txHash === h));
        const carried = sum(txs.map((t) => t?.netAmount ?? '0'));
        if (txs.some((t) => t?.toAddress !== trade.deliverTo.address) || !carried.eq(trade.amount)) {
          throw refusal(409, 'desk-delivery-refused', `${hashes.join(', ')} did not carry ${trade.amount} to the desk`);
        }
        for (const t of txs as contracts.custody.Transfer[]) {
          deposits.push({
            caseId: body.caseId,
            venue: trade.desk,
            asset: trade.deliverTo.asset as 'BTC',
            txHash: t.txHash,
            amount: t.netAmount,
            status: 'CREDITED',
            venueDepositId: trade.tradeId,
            observedAt: T,
          });
        }
        withdrawals.set(`desk-${trade.tradeId}`, {
          caseId: body.caseId,
          venue: trade.desk,
          withdrawalId: `desk-${trade.tradeId}`,
          currency: trade.currency as 'USD',
          amount: trade.cost,
          fee: '0',
          netAmount: trade.cost,
          bankAccountId: body.bankAccountId,
          status: 'COMPLETED',
          createdAt: T,
        });
        const settled: DeskSettlement = {
          rfqId,
          caseId: body.caseId,
          desk: trade.desk,
          tradeId: trade.tradeId,
          asset: trade.deliverTo.asset,
          amount: trade.amount,
          address: trade.deliverTo.address,
          txHash: body.txHash,
          ...(body.testTxHash ? { testTxHash: body.testTxHash } : {}),
          deliveredAt: T,
          fiatCurrency: trade.currency,
          cost: trade.cost,
          paymentReference: `pay-${trade.tradeId}`,
          paidAmount: trade.cost,
          paidAt: T,
          bankAccountId: body.bankAccountId,
        };
        deskSettlements.set(rfqId, settled);
        return settled;
      });
    },
    async getDeskSettlement(rfqId) {
      const settled = deskSettlements.get(rfqId);
      if (!settled) throw refusal(404, 'not-found', `no settlement of ${rfqId}`);
      return structuredClone(settled);
    },
    async getExchangeStatement(caseId) {
      return {
        caseId,
        deposits: structuredClone(deposits.filter((d) => d.caseId === caseId)),
        orders: structuredClone([...orders.values()].filter((o) => o.caseId === caseId)),
        withdrawals: structuredClone([...withdrawals.values()].filter((w) => w.caseId === caseId)),
        returns: structuredClone([...venueReturns.values()].filter((r) => r.caseId === caseId)),
        residuals: structuredClone(residuals.filter((r) => r.caseId === caseId)),
      };
    },
    async createDeclaration(body, key) {
      return once(key, ['createDeclaration', body], () => {
        const d = {
          declarationId: id('decl'),
          declarationNo: `BOP-${seq}`,
          caseId: body.caseId,
          currency: body.currency,
          amount: body.amount,
          settledAmount: '0',
          transactionCode: body.transactionCode,
          purpose: body.purpose,
          status: 'DRAFT' as const,
          transitions: [{ from: null, to: 'DRAFT' as const, by: `workflow:${body.workflowId}`, at: T, note: null }],
          settlements: [],
          createdAt: T,
        };
        declarations.set(d.declarationId, d);
        return d;
      });
    },
    async submitDeclaration(declarationId, body, key) {
      return once(key, ['submitDeclaration', declarationId, body], () => {
        const d = declarations.get(declarationId);
        if (!d) throw ApplicationFailure.nonRetryable('no declaration', 'urn:vcdc:problem:not-found');
        d.status = 'SUBMITTED';
        return structuredClone(d);
      });
    },
    async recordFxDecision(declarationId, body, key) {
      return once(key, ['recordFxDecision', declarationId, body], () => {
        const d = declarations.get(declarationId);
        if (!d) throw ApplicationFailure.nonRetryable('no declaration', 'urn:vcdc:problem:not-found');
        const decision = carried(body.decision, 'FX_DECLARATION', d.caseId);
        d.status = decision.outcome === 'APPROVE' ? 'APPROVED' : 'REJECTED';
        return structuredClone(d);
      });
    },
    async settleDeclaration(declarationId, body, key) {
      return once(key, ['settleDeclaration', declarationId, body], () => {
        const d = declarations.get(declarationId);
        if (!d) throw ApplicationFailure.nonRetryable('no declaration', 'urn:vcdc:problem:not-found');
        const tranche = carried(body.decision, 'FX_SETTLEMENT', d.caseId).settlement;
        if (!tranche) throw refusal(403, 'act-content', 'the decision carries no settlement');
        // As the FX service (settlements.ts): only an APPROVED declaration is settled, up to what it declared.
        if (d.status !== 'APPROVED') {
          throw refusal(409, 'invalid-transition', `declaration ${declarationId} is ${d.status}`);
        }
        // The bank's charges and the correspondents' fees come off before conversion, leaving something.
        const bankCharges = new Decimal(tranche.bankCharges ?? 0);
        const correspondentFees = new Decimal(tranche.correspondentFees ?? 0);
        const converted = new Decimal(tranche.amount).minus(bankCharges).minus(correspondentFees);
        if (converted.lte(0)) throw refusal(422, 'charges-exceed-tranche', 'the charges leave nothing to convert');
        if (new Decimal(d.settledAmount).plus(tranche.amount).gt(d.amount)) {
          throw refusal(422, 'over-settlement', `declaration ${declarationId} has less than ${tranche.amount} left`);
        }
        const exact = converted.times(FX_RATE);
        const { remainder, rounded: fair } = roundDownTo(exact, 'CNY');
        const rounded = fair.plus(options.settlementCnyOff ?? 0);
        const s = {
          settlementId: id('st'),
          declarationId,
          caseId: d.caseId,
          currency: d.currency,
          foreignAmount: tranche.amount,
          bankCharges: bankCharges.toFixed(2),
          correspondentFees: correspondentFees.toFixed(2),
          netForeignAmount: converted.toFixed(2),
          rate: FX_RATE,
          rateSource: 'fake',
          rateAsOf: T,
          cnyAmount: rounded.toFixed(),
          roundingRemainder: remainder.toFixed(),
          bankReference: tranche.bankReference,
          recordedBy: carried(body.decision, 'FX_SETTLEMENT', d.caseId).decidedBy,
          settledAt: T,
        };
        d.settlements.push(s);
        d.settledAmount = new Decimal(d.settledAmount).plus(tranche.amount).toFixed(2);
        if (new Decimal(d.settledAmount).eq(d.amount)) d.status = 'SETTLED';
        return s;
      });
    },
    async listDeclarations(caseId) {
      return structuredClone([...declarations.values()].filter((d) => d.caseId === caseId));
    },
    async recordCredit(body, key) {
      return once(key, ['recordCredit', body], () => {
        // As the treasury (credits.ts): an FX settlement is credited once, whatever the key.
        if (credited.has(body.fxSettlementId)) {
          throw refusal(409, 'settlement-already-credited', `FX settlement ${body.fxSettlementId} is credited`);
        }
        credited.add(body.fxSettlementId);
        const c = { creditId: id('cr'), ...body, creditedAt: T };
        treasuryLines.push({
          caseId: body.caseId,
          kind: 'CREDIT',
          reference: c.creditId,
          amount: body.amount,
          balanceAfter: treasuryBalance(body.caseId).plus(body.amount).toFixed(),
          at: T,
        });
        return c;
      });
    },
    async requestRemittance(body, key) {
      return once(key, ['requestRemittance', body], () => {
        if (new Decimal(body.amount).gt(treasuryBalance(body.caseId))) {
          throw refusal(422, 'insufficient-case-balance', 'the remittance exceeds the case balance');
        }
        const r = {
          remittanceId: id('rm'),
          caseId: body.caseId,
          amount: body.amount,
          budgetClassificationCode: body.budgetClassificationCode,
          voucherNo: `V-${seq}`,
          receiptNo: `R-${seq}`,
          approvedBy: carried(body.decision, 'REMITTANCE', body.caseId).decidedBy,
          remittedAt: T,
        };
        treasuryLines.push({
          caseId: body.caseId,
          kind: 'REMITTANCE',
          reference: r.remittanceId,
          amount: new Decimal(body.amount).neg().toFixed(),
          balanceAfter: treasuryBalance(body.caseId).minus(body.amount).toFixed(),
          at: T,
        });
        return r;
      });
    },
    // Escrow of a pre-trial sale: no money leaves until the judgment releases it, and says where to.
    async openEscrow(body, key) {
      return once(key, ['openEscrow', body], () => {
        const e = {
          caseId: body.caseId,
          status: 'HELD' as const,
          reason: body.reason,
          openedBy: `workflow:${body.workflowId}`,
          openedAt: T,
        };
        escrows.set(body.caseId, e);
        return e;
      });
    },
    async recordJudgment(body, key) {
      return once(key, ['recordJudgment', body], () => {
        const decision = carried(body.decision, 'JUDGMENT', body.caseId);
        const judgment = decision.judgment;
        if (!judgment) throw refusal(403, 'act-content', 'the decision carries no judgment');
        const e = escrows.get(body.caseId);
        if (e?.status !== 'HELD')
          throw ApplicationFailure.nonRetryable('no escrow held', 'urn:vcdc:problem:no-escrow');
        const released = {
          ...e,
          status: 'RELEASED' as const,
          judgment: {
            judgmentRef: judgment.judgmentRef,
            documentHash: judgment.documentHash,
            outcome: judgment.outcome,
            recordedBy: decision.decidedBy,
            releasedAt: T,
          },
        };
        escrows.set(body.caseId, released);
        return released;
      });
    },
    async returnToOwner(body, key) {
      return once(key, ['returnToOwner', body], () => {
        if (escrows.get(body.caseId)?.judgment?.outcome !== 'ACQUITTAL') {
          throw ApplicationFailure.nonRetryable('only after an acquittal', 'urn:vcdc:problem:judgment-forbids');
        }
        const { decision, ...rest } = body;
        const r = {
          ...rest,
          approvedBy: carried(decision, 'REMITTANCE', body.caseId).decidedBy,
          ownerReturnId: id('or'),
          paymentNo: `OP-${seq}`,
          receiptNo: `OR-${seq}`,
          returnedAt: T,
        };
        treasuryLines.push({
          caseId: body.caseId,
          kind: 'OWNER_RETURN',
          reference: r.ownerReturnId,
          amount: new Decimal(body.amount).neg().toFixed(),
          balanceAfter: treasuryBalance(body.caseId).minus(body.amount).toFixed(),
          at: T,
        });
        return r;
      });
    },
    async registerRestitutionOrder(body, key) {
      return once(key, ['registerRestitutionOrder', body], () => {
        const { workflowId, ...rest } = body;
        const order = {
          ...rest,
          registeredBy: `workflow:${workflowId}`,
          restitutionOrderId: id('ro'),
          registeredAt: T,
        };
        restitutionOrders.set(order.restitutionOrderId, order);
        return order;
      });
    },
    async distributeRestitution(body, key) {
      return once(key, ['distributeRestitution', body], () => {
        const order = restitutionOrders.get(body.restitutionOrderId);
        if (!order) throw ApplicationFailure.nonRetryable('no such order', 'urn:vcdc:problem:not-found');
        // The treasury's own pure allocation: the fake pays exactly what the service would.
        const a = allocateRestitution(new Decimal(body.amount).toFixed(2), order.method, order.victims);
        const payments = a.victims
          .filter((v) => new Decimal(v.amount).gt(0))
          .map((v) => ({
            paymentId: id('pay'),
            victimId: v.victimId,
            amount: v.amount,
            paymentNo: `P-${seq}`,
            receiptNo: `PR-${seq}`,
            paidAt: T,
          }));
        for (const pay of payments) {
          treasuryLines.push({
            caseId: body.caseId,
            kind: 'RESTITUTION',
            reference: pay.paymentNo,
            amount: new Decimal(pay.amount).neg().toFixed(),
            balanceAfter: treasuryBalance(body.caseId).minus(pay.amount).toFixed(),
            at: T,
          });
        }
        return {
          distributionId: id('dist'),
          restitutionOrderId: order.restitutionOrderId,
          caseId: body.caseId,
          method: order.method,
          available: a.available,
          allocations: a.victims,
          rounding: a.rounding,
          payments,
          totalToVictims: a.totalToVictims,
          toTreasury: a.toTreasury,
          approvedBy: carried(body.decision, 'REMITTANCE', body.caseId).decidedBy,
          distributedAt: T,
        };
      });
    },
    // The notifications outbox: one row per key.
    async notify(n, key) {
      return once(key, ['notify', n], () => ({ ...n, notificationId: id('n'), storedAt: T }));
    },
    // The execution engine's calls (sale-activities.ts).
    async getValuationPrice(base, quote) {
      const symbol = `${base}/${quote}`;
      return {
        symbol,
        price: referencePaths[symbol]?.[0] ?? PRICE[symbol] ?? '1',
        at: T,
        quotes: [],
        dispersionBp: '0',
      };
    },
    async getIndicativeCnyRate(currency) {
      return { currency, quote: 'CNY' as const, date: '2026-01-01', rate: options.fxRate ?? '7.1', source: 'fake' };
    },
    async getReferencePrice(symbol) {
      const path = referencePaths[symbol];
      const price = path && path.length > 1 ? (path.shift() as string) : (path?.[0] ?? PRICE[symbol] ?? '1');
      return { symbol, price, at: T, quotes: [], dispersionBp: '0' };
    },
    async getLegalFloor(symbol) {
      const price = options.floor?.[symbol];
      return { symbol, rule: price ? 'fixed' : 'none', tradeDate: '2026-01-01', days: [], ...(price ? { price } : {}) };
    },
    // A market that trades 1,000 units a minute and (unless a direct market named in directDepth) shows
    // 1,000 units of bids in any band.
    async getTradedVolume(symbol, window) {
      const until = 'seconds' in window ? T : (window.until ?? T);
      const since = 'seconds' in window ? new Date(Date.parse(T) - window.seconds * 1000).toISOString() : window.since;
      const minutes = new Decimal(Date.parse(until) - Date.parse(since)).div(60_000);
      return {
        venue: 'hashkey',
        symbol,
        since,
        until,
        volume: minutes.mul(1000).toFixed(),
        candles: 1,
        source: 'fake',
      };
    },
    // As the exchange service decides and keeps it: the rule on what the direct market shows (directDepth).
    async chooseSaleRoute(caseId, body, key) {
      return once(key, ['chooseSaleRoute', caseId, body], () => {
        const symbol = directSymbol(body.asset, body.fiat);
        const shown = options.directDepth?.[symbol];
        const direct =
          needsDepth(body.rule) && shown !== undefined
            ? { symbol, bandBp: body.rule.bandBp, bidDepth: shown }
            : undefined;
        const unread = needsDepth(body.rule) && shown === undefined ? `hashkey does not list ${symbol}` : undefined;
        const choice = chooseRoute({ ...body, direct, ...(unread ? { unread } : {}) });
        return {
          ...choice,
          choiceId: id('rc'),
          caseId,
          venue: 'hashkey',
          fiat: body.fiat,
          rule: body.rule,
          ...(unread ? { unread } : {}),
          ...(direct ? { depth: { at: T, bestBid: PRICE[symbol] ?? '1', levels: 10 } } : {}),
          decidedAt: T,
        };
      });
    },
    async cancelSellOrder(caseId, clientOrderId, key) {
      return once(key, ['cancelSellOrder', caseId, clientOrderId], () => {
        const o = orders.get(clientOrderId);
        if (!o) throw ApplicationFailure.nonRetryable('no such order', 'urn:vcdc:problem:not-found');
        if (o.status === 'open') o.status = 'canceled';
        return structuredClone(o);
      });
    },
    // The fake services sign no audit checkpoints: each answers as a service without a checkpointer.
    async checkpointAuditChains() {
      return ['custody', 'exchange', 'fx', 'treasury'].map((chain) => ({ chain, off: true as const }));
    },
    async getTreasuryStatement(caseId) {
      const lines = linesOf(caseId).map(({ caseId: _, ...line }) => line);
      const credited = lines.filter((l) => l.kind === 'CREDIT').reduce((s, l) => s.plus(l.amount), new Decimal(0));
      const remitted = lines.filter((l) => l.kind === 'REMITTANCE').reduce((s, l) => s.minus(l.amount), new Decimal(0));
      return {
        caseId,
        currency: 'CNY' as const,
        lines,
        totalCredited: credited.toFixed(),
        totalRemitted: remitted.toFixed(),
        totalToVictims: lines
          .filter((l) => l.kind === 'RESTITUTION')
          .reduce((s, l) => s.minus(l.amount), new Decimal(0))
          .toFixed(),
        totalReturnedToOwner: lines
          .filter((l) => l.kind === 'OWNER_RETURN')
          .reduce((s, l) => s.minus(l.amount), new Decimal(0))
          .toFixed(),
        balance: treasuryBalance(caseId).toFixed(),
      };
    },
    // The single reads above, as the real activity composes them.
    async readCaseStatements(q) {
      return await caseStatementsReader(activities)(q);
    },
    async getSaleQuote(symbol, venue) {
      return await saleQuoteReader(activities)(symbol, venue);
    },
  };
  return activities;
}

/** A registration that passes validation, with one BTC and one ETH lot. */
export function sampleRegistration(caseId: string, overrides: Record<string, unknown> = {}) {
  return {
    caseId,
    agency: 'Beijing Public Security Bureau',
    legalBasis: { reference: 'Court ruling (2025) Jing 01 Xing Chu 123' },
    requestedBy: 'officer.li',
    lots: [
      {
        lotId: 'L1',
        asset: 'BTC',
        chain: 'bitcoin',
        declaredAmount: '1.25',
        sweepTxHash: 'btc-sweep-1',
        evidence: { handoverFormNo: 'HF-1', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
      },
      {
        lotId: 'L2',
        asset: 'ETH',
        chain: 'ethereum',
        declaredAmount: '10.5',
        sweepTxHash: '0xeth-sweep-2',
        evidence: { handoverFormNo: 'HF-2', handedOverBy: 'officer.li', receivedBy: 'custodian.wang', documents: [] },
      },
    ],
    disposal: {
      venue: 'hashkey',
      stablecoin: 'USDT',
      fiat: 'USD',
      offshoreBankAccountId: 'HK-BANK-001',
      // Two one-second slices per market: the engine's timers are real seconds while a test polls the status.
      execution: { slices: 2, horizonSeconds: 2, maxRepricings: 1 },
    },
    fx: {
      transactionCode: '622011',
      purpose: 'Disposal of confiscated virtual currency',
      remitter: { name: 'VCDC Trust HK', account: 'HK-BANK-001', bank: 'Bank of China (Hong Kong)' },
      beneficiary: { name: 'Beijing PSB special account', account: 'CN-0001', bank: 'Bank of China Beijing' },
    },
    treasury: { budgetClassificationCode: '1030501' },
    ...overrides,
  };
}
