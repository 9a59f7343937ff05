/**
 * The custody service's HTTP API (contract: packages/shared/src/contracts/custody.ts). Routes are
 * thin: they parse, call the domain module, answer. Every POST goes through the Idempotency-Key layer.
 */
import type { KeyObject } from 'node:crypto';
import {
  ACT_KINDS,
  type Act,
  type ActKind,
  actOf,
  appendAuditRecord,
  assertSchemaCurrent,
  audited,
  claimedIdempotent,
  contracts,
  createServiceApp,
  IDEMPOTENCY_HEADER,
  idempotent,
  inTransaction,
  type Logger,
  noNamedPerson,
  type Pool,
  Problem,
  type ProviderRegister,
  parseInput,
  problems,
  recordSignedAct,
  requireAct,
  signedActOf,
} from '@vcdc/shared';
import { Decimal } from '@vcdc/shared/money';
import type { Express, Request, RequestHandler, Response } from 'express';
import {
  AccountParams,
  CaseParams,
  CUSTODY_API,
  EntryParams,
  IntakeParams,
  IntakesQuery,
  LotParams,
  NetworkFeeQuery,
  TestDepositQuery,
  TransferParams,
  WhitelistQuery,
} from './api';
import { attestedView, attestIntake } from './attestations';
import { attestationRecorded, intakeCredited, returnCredited } from './audit-records';
import type { ChainAdapter } from './chain-adapter';
import type { ConfirmationDepth } from './confirmation-depth';
import { accountView, findAccount, openAccount } from './custody-accounts';
import type { CustodyAddressBook } from './custody-addresses';
import { correctEvidence, evidenceTrail } from './handover-evidence';
import { classifyDifference, countersignDifference } from './intake-differences';
import { chainUnavailable, getIntake, intakesAwaitingCountersignature, recordIntake } from './intakes';
import { ledgerOfCase } from './ledger';
import type { TestDepositMax } from './test-deposit-policy';
import { refreshTransfer, requestTransfer, testDepositRequirement } from './transfers';
import { recordVenueReturn } from './venue-returns';
import {
  addWhitelistEntry,
  approveWhitelistEntry,
  getWhitelistEntry,
  listWhitelist,
  observeActivations,
  revokeWhitelistEntry,
  type WhitelistActor,
} from './whitelist';

const { custody } = contracts;

export interface CustodyAppDeps {
  pool: Pool;
  chain: ChainAdapter;
  addresses: CustodyAddressBook;
  /** Confirmations needed, for every chain or per chain. */
  minConfirmations: ConfirmationDepth;
  logger: Logger;
  /** The service's migrations folder, for /readyz. */
  migrationsDir: string;
  /** How long an approved whitelist entry waits before coins may go to it (default 24 h). */
  whitelistCoolingOffSeconds?: number;
  /** The database role the pool must be working as (see service-role.ts); checked by /readyz. */
  serviceRole?: string;
  /** The largest TEST_DEPOSIT per asset (default: ETH 0.01, USDT 10, BTC 0.001). */
  testDepositMax?: TestDepositMax;
  /**
   * The control API's act verify keys (ACT_VERIFY_KEYS): every person's act reaching custody (the VCDC-Act
   * header) and every DISPOSAL_PLAN approval a transfer carries must be signed with one of them.
   */
  actVerifyKeys: KeyObject[];
  /** The register of licensed providers (the exchange's): coins go only to a provider in good standing. */
  providerRegister: ProviderRegister;
}

/** Who acts: the verified act's person (and the act's id for the audit record). */
function personOf(res: Response): WhitelistActor {
  const act: Act = actOf(res);
  return { id: act.actor.id, role: act.actor.role, unit: act.actor.unit, actId: act.actId };
}

/**
 * A route a person's act drives: the body may not name a person (400 naming the field), then the signed
 * act must be of `kind`, by a role that may take it, on this object, signed over exactly this request.
 */
function personActs(
  keys: KeyObject[],
  kind: ActKind,
  object: (req: Request) => { type?: string; id?: string; caseId?: string },
): RequestHandler[] {
  return [
    noNamedPerson(),
    requireAct({ keys, kind, object: (req) => ({ type: ACT_KINDS[kind].object, ...object(req) }) }),
  ];
}

const bodyField = (req: Request, field: string): string | undefined => {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
};
const pathParam = (req: Request, name: string): string => String(req.params[name] ?? '');

/** The response of a keyed handler's request (requireAct left the verified act on it). */
function responseOf(req: Request): Response {
  if (!req.res) throw new Error('request without its response');
  return req.res;
}

/**
 * The routes that carry a person's signed act: the only changing routes the control API's credential
 * (CONTROL_API_TOKEN) may call (packages/shared/src/auth/service-credential.ts).
 */
export const CUSTODY_ACT_ROUTES: readonly RegExp[] = [
  /^\/v1\/attestations$/,
  /^\/v1\/intakes\/[^/]+\/difference$/,
  /^\/v1\/intakes\/[^/]+\/difference\/countersignatures$/,
  /^\/v1\/intakes\/[^/]+\/evidence$/,
  /^\/v1\/whitelist$/,
  /^\/v1\/whitelist\/[^/]+\/approvals$/,
  /^\/v1\/whitelist\/[^/]+\/revocation$/,
];

/** A person's act on an intake, as its audit record: who, in which role and unit, which act. */
function personAct(kind: string, act: Act, caseId: string, data: Record<string, unknown>) {
  return {
    kind,
    actor: act.actor.id,
    caseId,
    data: { ...data, role: act.actor.role, unit: act.actor.unit, actId: act.actId },
  };
}

export function createApp(deps: CustodyAppDeps): Express {
  const { pool, chain, addresses, minConfirmations } = deps;
  const keys = deps.actVerifyKeys;
  const transferDeps = {
    pool,
    chain,
    minConfirmations,
    testDepositMax: deps.testDepositMax,
    actVerifyKeys: keys,
    providers: deps.providerRegister,
  };
  const intakeObject = (req: Request) => ({ id: pathParam(req, 'intakeId') });
  const entryObject = (req: Request) => ({ id: pathParam(req, 'entryId') });
  return createServiceApp({
    service: 'custody',
    logger: deps.logger,
    api: { title: 'VCDC custody service', routes: CUSTODY_API },
    readiness: async () => {
      await assertSchemaCurrent(pool, deps.migrationsDir);
    },
    // GET /v1/audit/records and /v1/audit/verify; /readyz checks the pool works as the service role.
    audit: { pool, role: deps.serviceRole },
    routes: (app) => {
      app.post(
        '/v1/accounts',
        idempotent(pool, custody.OpenCustodyAccount, async (input, tx) => {
          const { account, created } = await openAccount(tx, addresses, input);
          return { status: created ? 201 : 200, body: await accountView(tx, account) };
        }),
      );

      app.get('/v1/accounts/:caseId/:asset', async (req, res) => {
        const { caseId, asset } = parseInput(AccountParams, req.params, 'path');
        const account = await findAccount(pool, caseId, asset);
        if (!account) throw problems.notFound('Custody account', `${caseId}/${asset}`);
        res.json(await accountView(pool, account));
      });

      app.post(
        '/v1/intakes',
        idempotent(
          pool,
          custody.RecordIntake,
          audited(
            async (input, tx) => ({
              status: 201,
              body: await recordIntake(tx, { chain, minConfirmations, keyring: addresses.keyring }, input),
            }),
            (_input, intake) => intakeCredited(intake),
          ),
        ),
      );

      app.get('/v1/intakes', async (req, res) => {
        const { caseId } = parseInput(IntakesQuery, req.query, 'query');
        res.json({ intakes: await intakesAwaitingCountersignature(pool, caseId ? { caseId } : {}) });
      });

      app.get('/v1/intakes/:intakeId', async (req, res) => {
        const { intakeId } = parseInput(IntakeParams, req.params, 'path');
        res.json(await getIntake(pool, intakeId));
      });

      // A difference is classified, then countersigned by the handing-over officer and the custodian; each
      // answers the intake as it stands (differenceStatus, countersignatures, final).
      app.post(
        '/v1/intakes/:intakeId/difference',
        ...personActs(keys, 'custody.intake.classify', intakeObject),
        idempotent(pool, custody.ClassifyIntakeDifference, async (input, tx, req) => {
          const res = responseOf(req);
          const { intakeId } = parseInput(IntakeParams, req.params, 'path');
          await recordSignedAct(tx, signedActOf(res));
          const act = actOf(res);
          await classifyDifference(tx, { chain, minConfirmations }, intakeId, { ...input, classifiedBy: act.actor.id });
          const intake = await getIntake(tx, intakeId);
          await appendAuditRecord(
            tx,
            personAct('custody.difference.classified', act, intake.caseId, { intakeId, ...input }),
          );
          return { status: 201, body: intake };
        }),
      );

      app.post(
        '/v1/intakes/:intakeId/difference/countersignatures',
        ...personActs(keys, 'custody.intake.countersign', intakeObject),
        idempotent(pool, custody.CountersignIntakeDifference, async (input, tx, req) => {
          const res = responseOf(req);
          const { intakeId } = parseInput(IntakeParams, req.params, 'path');
          await recordSignedAct(tx, signedActOf(res));
          const act = actOf(res);
          // The handing-over officer countersigns as a case officer, the receiving custodian as a custodian.
          const asRole = input.role === 'handing-officer' ? 'case-officer' : 'custodian';
          if (act.actor.role !== asRole) {
            throw new Problem(
              403,
              'countersign-role',
              'Countersignature refused',
              `a ${input.role} countersigns in the role ${asRole}; ${act.actor.id} acted as ${act.actor.role}`,
              { errors: [{ field: 'role', message: `needs an act in the role ${asRole}` }] },
            );
          }
          await countersignDifference(tx, intakeId, { ...input, signedBy: act.actor.id });
          const intake = await getIntake(tx, intakeId);
          await appendAuditRecord(
            tx,
            personAct('custody.difference.countersigned', act, intake.caseId, { intakeId, ...input }),
          );
          return { status: 201, body: intake };
        }),
      );

      app.post(
        '/v1/attestations',
        ...personActs(keys, 'custody.intake.attest', (req) => ({
          id: bodyField(req, 'lotId'),
          caseId: bodyField(req, 'caseId'),
        })),
        idempotent(pool, custody.AttestIntake, async (input, tx, req) => {
          const res = responseOf(req);
          await recordSignedAct(tx, signedActOf(res));
          const attested = { ...input, attestedBy: actOf(res).actor.id };
          const body = await attestIntake(tx, addresses.keyring, attested);
          await appendAuditRecord(tx, attestationRecorded(attested, body));
          return { status: 201, body };
        }),
      );

      app.get('/v1/attestations/:caseId/:lotId', async (req, res) => {
        const { caseId, lotId } = parseInput(LotParams, req.params, 'path');
        res.json(await attestedView(pool, caseId, lotId));
      });

      // Evidence is append-only: it can be read and corrected by a new record, never changed (no PUT,
      // PATCH or DELETE route exists).
      app.get('/v1/intakes/:intakeId/evidence', async (req, res) => {
        const { intakeId } = parseInput(IntakeParams, req.params, 'path');
        res.json(await evidenceTrail(pool, intakeId));
      });

      app.post(
        '/v1/intakes/:intakeId/evidence',
        ...personActs(keys, 'custody.evidence.correct', intakeObject),
        idempotent(pool, custody.CorrectHandoverEvidence, async (input, tx, req) => {
          const res = responseOf(req);
          const { intakeId } = parseInput(IntakeParams, req.params, 'path');
          await recordSignedAct(tx, signedActOf(res));
          const act = actOf(res);
          const corrected = await correctEvidence(tx, intakeId, { ...input, recordedBy: act.actor.id });
          const { caseId } = await getIntake(tx, intakeId);
          await appendAuditRecord(
            tx,
            personAct('custody.evidence.corrected', act, caseId, {
              intakeId,
              corrects: input.corrects,
              reason: input.reason,
            }),
          );
          return { status: 201, body: corrected };
        }),
      );

      // The whitelist: one custodian requests, two other custodians approve, ACTIVE after the cooling-off;
      // every event (and every refusal) goes into the audit chain. No person, no change.
      app.post(
        '/v1/whitelist',
        // The entry does not exist yet: the act is on a whitelist entry, its content binds the address.
        ...personActs(keys, 'custody.whitelist.request', () => ({})),
        idempotent(pool, custody.AddWhitelistEntry, async (input, tx, req) => {
          const res = responseOf(req);
          await recordSignedAct(tx, signedActOf(res));
          const { entry, created } = await addWhitelistEntry(tx, input, personOf(res));
          return { status: created ? 201 : 200, body: entry };
        }),
      );

      app.post(
        '/v1/whitelist/:entryId/approvals',
        ...personActs(keys, 'custody.whitelist.approve', entryObject),
        idempotent(pool, custody.ApproveWhitelistEntry, async (_input, tx, req) => {
          const res = responseOf(req);
          const { entryId } = parseInput(EntryParams, req.params, 'path');
          const coolingOff = deps.whitelistCoolingOffSeconds ?? 24 * 60 * 60;
          await recordSignedAct(tx, signedActOf(res));
          return { status: 201, body: await approveWhitelistEntry(tx, entryId, personOf(res), coolingOff) };
        }),
      );

      app.post(
        '/v1/whitelist/:entryId/revocation',
        ...personActs(keys, 'custody.whitelist.revoke', entryObject),
        idempotent(pool, custody.RevokeWhitelistEntry, async (input, tx, req) => {
          const res = responseOf(req);
          const { entryId } = parseInput(EntryParams, req.params, 'path');
          await recordSignedAct(tx, signedActOf(res));
          return { status: 201, body: await revokeWhitelistEntry(tx, entryId, input, personOf(res)) };
        }),
      );

      // Looking at the whitelist records, once, the entries whose cooling-off has ended (audit chain).
      app.get('/v1/whitelist', async (req, res) => {
        const filter = parseInput(WhitelistQuery, req.query, 'query');
        await inTransaction(pool, observeActivations);
        res.json({ entries: await listWhitelist(pool, filter) });
      });

      app.get('/v1/whitelist/:entryId', async (req, res) => {
        const { entryId } = parseInput(EntryParams, req.params, 'path');
        await inTransaction(pool, observeActivations);
        res.json(await getWhitelistEntry(pool, entryId));
      });

      app.post(
        '/v1/transfers',
        // Claimed, not in a transaction of the layer's: no connection is held while the chain answers,
        // and a lost answer leaves the key claimed with its request's hash (transfers.ts).
        claimedIdempotent(pool, custody.RequestTransfer, async (input, req) => {
          // The layer has checked the key is there; the transfer row keeps it (see transfers.ts).
          const key = req.get(IDEMPOTENCY_HEADER) as string;
          const { transfer } = await requestTransfer(transferDeps, key, input);
          return { status: 201, body: transfer };
        }),
      );

      app.get('/v1/transfers/:transferId', async (req, res) => {
        const { transferId } = parseInput(TransferParams, req.params, 'path');
        res.json(await refreshTransfer(transferDeps, transferId));
      });

      app.get('/v1/test-deposits/requirement', async (req, res) => {
        const { chain: onChain, address, asset } = parseInput(TestDepositQuery, req.query, 'query');
        res.json(await testDepositRequirement(transferDeps, onChain, address, asset));
      });

      app.get('/v1/network-fees', async (req, res) => {
        const { chain: onChain, asset } = parseInput(NetworkFeeQuery, req.query, 'query');
        const fees = await transferDeps.chain.getFees(onChain).catch((error: unknown) => {
          throw chainUnavailable(error);
        });
        const fee = fees[asset];
        if (fee === undefined) {
          throw new Problem(502, 'chain-fee-unknown', 'Network fee unknown', `${onChain} quotes no fee for ${asset}`);
        }
        res.json({ chain: onChain, asset, fee: new Decimal(fee).toFixed(), at: new Date().toISOString() });
      });

      app.post(
        '/v1/returns',
        idempotent(
          pool,
          custody.RecordVenueReturn,
          audited(
            async (input, tx) => ({
              status: 201,
              body: await recordVenueReturn(tx, { chain, minConfirmations }, input),
            }),
            (_input, returned) => returnCredited(returned),
          ),
        ),
      );

      app.get('/v1/cases/:caseId/ledger', async (req, res) => {
        const { caseId } = parseInput(CaseParams, req.params, 'path');
        res.json(await ledgerOfCase(pool, caseId));
      });
    },
  });
}
