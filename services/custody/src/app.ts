/**
 * The custody service's HTTP API (contract: packages/shared/src/contracts/custody.ts). Routes are
 * thin: they parse, call the domain module, answer. Every POST goes through the Idempotency-Key layer.
 */
import {
  assertSchemaCurrent,
  audited,
  CryptoAsset,
  contracts,
  createServiceApp,
  IDEMPOTENCY_HEADER,
  idempotent,
  type Logger,
  type Pool,
  parseInput,
  problems,
} from '@vcdc/shared';
import type { Express } from 'express';
import { z } from 'zod';
import { attestedView, attestIntake } from './attestations';
import { attestationRecorded, intakeCredited, returnCredited } from './audit-records';
import type { ChainAdapter } from './chain-adapter';
import type { ConfirmationDepth } from './confirmation-depth';
import { accountView, findAccount, openAccount } from './custody-accounts';
import type { CustodyAddressBook } from './custody-addresses';
import { correctEvidence, evidenceTrail } from './handover-evidence';
import { classifyDifference, countersignDifference } from './intake-differences';
import { getIntake, recordIntake } from './intakes';
import { ledgerOfCase } from './ledger';
import type { TestDepositMax } from './test-deposit-policy';
import { refreshTransfer, requestTransfer, testDepositRequirement } from './transfers';
import { recordVenueReturn } from './venue-returns';
import {
  addWhitelistEntry,
  approveWhitelistEntry,
  getWhitelistEntry,
  listWhitelist,
  revokeWhitelistEntry,
} from './whitelist';

const { custody, common } = contracts;

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
}

const AccountParams = z.object({ caseId: common.CaseId, asset: CryptoAsset });
const CaseParams = z.object({ caseId: common.CaseId });
const LotParams = z.object({ caseId: common.CaseId, lotId: common.LotId });
const Id = z.string().min(1).max(200);
const IntakeParams = z.object({ intakeId: Id });
const TransferParams = z.object({ transferId: Id });
const EntryParams = z.object({ entryId: Id });
const WhitelistQuery = z.object({ status: custody.WhitelistStatus.optional() });
const TestDepositQuery = z.object({
  chain: common.Chain,
  address: z.string().min(1).max(200),
  asset: CryptoAsset,
});

export function createApp(deps: CustodyAppDeps): Express {
  const { pool, chain, addresses, minConfirmations } = deps;
  const transferDeps = { pool, chain, minConfirmations, testDepositMax: deps.testDepositMax };
  return createServiceApp({
    service: 'custody',
    logger: deps.logger,
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

      app.get('/v1/intakes/:intakeId', async (req, res) => {
        const { intakeId } = parseInput(IntakeParams, req.params, 'path');
        res.json(await getIntake(pool, intakeId));
      });

      // A difference is classified, then countersigned by the handing-over officer and the custodian; each
      // answers the intake as it stands (differenceStatus, countersignatures, final).
      app.post(
        '/v1/intakes/:intakeId/difference',
        idempotent(pool, custody.ClassifyIntakeDifference, async (input, tx, req) => {
          const { intakeId } = parseInput(IntakeParams, req.params, 'path');
          await classifyDifference(tx, intakeId, input);
          return { status: 201, body: await getIntake(tx, intakeId) };
        }),
      );

      app.post(
        '/v1/intakes/:intakeId/difference/countersignatures',
        idempotent(pool, custody.CountersignIntakeDifference, async (input, tx, req) => {
          const { intakeId } = parseInput(IntakeParams, req.params, 'path');
          await countersignDifference(tx, intakeId, input);
          return { status: 201, body: await getIntake(tx, intakeId) };
        }),
      );

      app.post(
        '/v1/attestations',
        idempotent(
          pool,
          custody.AttestIntake,
          audited(
            async (input, tx) => ({ status: 201, body: await attestIntake(tx, addresses.keyring, input) }),
            attestationRecorded,
          ),
        ),
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
        idempotent(pool, custody.CorrectHandoverEvidence, async (input, tx, req) => {
          const { intakeId } = parseInput(IntakeParams, req.params, 'path');
          return { status: 201, body: await correctEvidence(tx, intakeId, input) };
        }),
      );

      app.post(
        '/v1/whitelist',
        idempotent(pool, custody.AddWhitelistEntry, async (input, tx) => {
          const { entry, created } = await addWhitelistEntry(tx, input);
          return { status: created ? 201 : 200, body: entry };
        }),
      );

      app.post(
        '/v1/whitelist/:entryId/approvals',
        idempotent(pool, custody.ApproveWhitelistEntry, async (input, tx, req) => {
          const { entryId } = parseInput(EntryParams, req.params, 'path');
          const coolingOff = deps.whitelistCoolingOffSeconds ?? 24 * 60 * 60;
          return { status: 201, body: await approveWhitelistEntry(tx, entryId, input, coolingOff) };
        }),
      );

      app.post(
        '/v1/whitelist/:entryId/revocation',
        idempotent(pool, custody.RevokeWhitelistEntry, async (input, tx, req) => {
          const { entryId } = parseInput(EntryParams, req.params, 'path');
          return { status: 201, body: await revokeWhitelistEntry(tx, entryId, input) };
        }),
      );

      app.get('/v1/whitelist', async (req, res) => {
        const { status } = parseInput(WhitelistQuery, req.query, 'query');
        res.json({ entries: await listWhitelist(pool, status) });
      });

      app.get('/v1/whitelist/:entryId', async (req, res) => {
        const { entryId } = parseInput(EntryParams, req.params, 'path');
        res.json(await getWhitelistEntry(pool, entryId));
      });

      app.post(
        '/v1/transfers',
        idempotent(pool, custody.RequestTransfer, async (input, _tx, req) => {
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
