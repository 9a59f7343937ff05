/**
 * The custody service's HTTP contract: each route with the schemas it parses with (contracts/custody.ts
 * and the path and query schemas here). app.ts mounts the routes with these very schemas;
 * GET /openapi.json is generated from this table (shared http/openapi.ts), and test/openapi.test.ts
 * holds the two together. Callers (the activities) name a route of the table and are typed by its
 * schemas (shared http/client.ts routeClient): no path is written twice.
 */
import { type ApiRoute, CryptoAsset, type RouteTable, routeList } from '@vcdc/shared';
import { common, custody } from '@vcdc/shared/contracts';
import { z } from 'zod';

export const AccountParams = z.object({ caseId: common.CaseId, asset: CryptoAsset });
export const CaseParams = z.object({ caseId: common.CaseId });
export const LotParams = z.object({ caseId: common.CaseId, lotId: common.LotId });
const Id = z.string().min(1).max(200);
export const IntakeParams = z.object({ intakeId: Id });
/** The one list of intakes: those whose classified difference waits for a countersignature. */
export const IntakesQuery = z.strictObject({
  differenceStatus: z.literal('CLASSIFIED'),
  caseId: common.CaseId.optional(),
});
export const TransferParams = z.object({ transferId: Id });
export const EntryParams = z.object({ entryId: Id });
export const WhitelistQuery = z.object({
  status: custody.WhitelistStatus.optional(),
  chain: common.Chain.optional(),
  address: z.string().min(1).max(200).optional(),
});
export const TestDepositQuery = z.object({
  chain: common.Chain,
  address: z.string().min(1).max(200),
  asset: CryptoAsset,
});

export const NetworkFeeQuery = z.object({ chain: common.Chain, asset: CryptoAsset });

export const CUSTODY_ROUTES = {
  openAccount: {
    method: 'post',
    path: '/v1/accounts',
    summary: "Open (or find) a case's custody account for an asset on a chain",
    body: custody.OpenCustodyAccount,
    response: custody.CustodyAccount,
  },
  getAccount: {
    method: 'get',
    path: '/v1/accounts/:caseId/:asset',
    summary: "A case's custody account",
    params: AccountParams,
    response: custody.CustodyAccount,
  },
  recordIntake: {
    method: 'post',
    path: '/v1/intakes',
    summary: 'Record a seized lot arriving in custody, with its handover evidence',
    body: custody.RecordIntake,
    response: custody.Intake,
    status: 201,
  },
  listIntakes: {
    method: 'get',
    path: '/v1/intakes',
    summary: 'The intakes whose classified difference waits for a countersignature',
    query: IntakesQuery,
    response: z.object({ intakes: z.array(custody.IntakeAwaitingCountersignature) }),
  },
  getIntake: {
    method: 'get',
    path: '/v1/intakes/:intakeId',
    summary: 'An intake',
    params: IntakeParams,
    response: custody.Intake,
  },
  classifyIntakeDifference: {
    method: 'post',
    path: '/v1/intakes/:intakeId/difference',
    summary: "Classify an intake's difference (a custodian's forwarded act)",
    params: IntakeParams,
    body: custody.ClassifyIntakeDifference,
    response: custody.Intake,
    status: 201,
  },
  countersignIntakeDifference: {
    method: 'post',
    path: '/v1/intakes/:intakeId/difference/countersignatures',
    summary: "Countersign an intake's classified difference (a forwarded act)",
    params: IntakeParams,
    body: custody.CountersignIntakeDifference,
    response: custody.Intake,
    status: 201,
  },
  attestIntake: {
    method: 'post',
    path: '/v1/attestations',
    summary: "Attest a lot's intake (a custodian's forwarded act)",
    body: custody.AttestIntake,
    response: custody.IntakeAttestation,
    status: 201,
  },
  getAttestedIntake: {
    method: 'get',
    path: '/v1/attestations/:caseId/:lotId',
    summary: "A lot's attested intake",
    params: LotParams,
    response: custody.AttestedIntake,
  },
  getHandoverEvidence: {
    method: 'get',
    path: '/v1/intakes/:intakeId/evidence',
    summary: "An intake's handover evidence and its corrections",
    params: IntakeParams,
    response: custody.HandoverEvidenceTrail,
  },
  correctHandoverEvidence: {
    method: 'post',
    path: '/v1/intakes/:intakeId/evidence',
    summary: "Correct an intake's handover evidence by a new record (a forwarded act)",
    params: IntakeParams,
    body: custody.CorrectHandoverEvidence,
    response: custody.HandoverEvidenceRecord,
    status: 201,
  },
  requestWhitelistEntry: {
    method: 'post',
    path: '/v1/whitelist',
    summary: 'Request a whitelist entry (a custodian’s forwarded act)',
    body: custody.AddWhitelistEntry,
    response: custody.WhitelistEntry,
  },
  approveWhitelistEntry: {
    method: 'post',
    path: '/v1/whitelist/:entryId/approvals',
    summary: 'Approve a whitelist entry (another custodian’s forwarded act)',
    params: EntryParams,
    body: custody.ApproveWhitelistEntry,
    response: custody.WhitelistEntry,
    status: 201,
  },
  revokeWhitelistEntry: {
    method: 'post',
    path: '/v1/whitelist/:entryId/revocation',
    summary: 'Revoke a whitelist entry (a forwarded act)',
    params: EntryParams,
    body: custody.RevokeWhitelistEntry,
    response: custody.WhitelistEntry,
    status: 201,
  },
  listWhitelist: {
    method: 'get',
    path: '/v1/whitelist',
    summary: 'The whitelist',
    query: WhitelistQuery,
    response: z.object({ entries: z.array(custody.WhitelistEntry) }),
  },
  getWhitelistEntry: {
    method: 'get',
    path: '/v1/whitelist/:entryId',
    summary: 'A whitelist entry',
    params: EntryParams,
    response: custody.WhitelistEntry,
  },
  requestTransfer: {
    method: 'post',
    path: '/v1/transfers',
    summary: 'Transfer coins out of custody to a whitelisted address',
    body: custody.RequestTransfer,
    response: custody.Transfer,
    status: 201,
  },
  getTransfer: {
    method: 'get',
    path: '/v1/transfers/:transferId',
    summary: 'A transfer, its chain state refreshed',
    params: TransferParams,
    response: custody.Transfer,
  },
  getTestDepositRequirement: {
    method: 'get',
    path: '/v1/test-deposits/requirement',
    summary: 'Whether a transfer to an address needs a test deposit first',
    query: TestDepositQuery,
    response: custody.TestDepositRequirement,
  },
  getNetworkFee: {
    method: 'get',
    path: '/v1/network-fees',
    summary: 'What one transfer of an asset costs in network fee now (the chain quote)',
    query: NetworkFeeQuery,
    response: custody.NetworkFee,
  },
  recordVenueReturn: {
    method: 'post',
    path: '/v1/returns',
    summary: 'Record coins a venue returned to custody',
    body: custody.RecordVenueReturn,
    response: custody.VenueReturn,
    status: 201,
  },
  getLedger: {
    method: 'get',
    path: '/v1/cases/:caseId/ledger',
    summary: "A case's custody ledger",
    params: CaseParams,
    response: custody.CustodyLedger,
  },
} as const satisfies RouteTable;

export const CUSTODY_API: readonly ApiRoute[] = routeList(CUSTODY_ROUTES);
