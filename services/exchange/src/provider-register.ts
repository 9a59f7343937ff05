/**
 * The register of licensed providers, kept by the exchange service (issue 16, part 4; the rule of good
 * standing is @vcdc/shared/provider-register's). Four eyes on every change:
 *
 *  - a person proposes a provider's whole next entry (`proposeProviderChange`), naming the version they
 *    changed (none for a new provider) and why;
 *  - another person approves it (`approveProviderChange`): the proposer never can (403), and a proposal
 *    whose base version is no longer the latest is stale (409: propose again on what is in force);
 *  - the approval writes the provider's next version. Nothing is updated in place: the proposals, the
 *    approvals and the versions are append-only tables, and each act is in the audit chain with the terms.
 *
 * Dealing with a provider (an order at a venue here; a transfer at custody through GET /v1/providers/:id)
 * is refused before any effect unless the provider's entry in force is in good standing on that day
 * (`assertProviderInGoodStanding`): no register entry at all is refused too — the register fails closed.
 */
import { randomUUID } from 'node:crypto';
import {
  type AuditEntry,
  appendAuditRecord,
  Problem,
  type ProposeProviderChange,
  type ProviderTerms,
  problems,
  providerStanding,
  type Queryable,
  standingDay,
  standingRefusal,
} from '@vcdc/shared';

/** Who acts on the register: the person of a verified signed act, never a name from a body. */
export interface RegisterActor {
  id: string;
  role: string;
  unit: string;
  actId: string;
}

export interface ProviderVersion {
  providerId: string;
  version: number;
  changeId: string;
  terms: ProviderTerms;
  proposedBy: string;
  approvedBy: string;
  effectiveAt: string;
}

export interface ProviderChange {
  changeId: string;
  providerId: string;
  baseVersion: number | null;
  terms: ProviderTerms;
  reason: string;
  proposedBy: string;
  proposedAt: string;
  status: 'PROPOSED' | 'APPROVED';
  approval?: { approvedBy: string; approvedAt: string; version: number };
}

/** A provider as the register holds it: the entry in force, and every version before it. */
export interface ProviderEntry {
  providerId: string;
  current: ProviderVersion;
  history: ProviderVersion[];
}

interface VersionRow {
  provider_id: string;
  version: number;
  change_id: string;
  terms: ProviderTerms;
  proposed_by: string;
  approved_by: string;
  effective_at: Date;
}

interface ChangeRow {
  change_id: string;
  provider_id: string;
  base_version: number | null;
  terms: ProviderTerms;
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  version: number | null;
}

const CHANGE_SELECT = `
  SELECT c.*, a.approved_by, a.approved_at, v.version
  FROM provider_changes c
  LEFT JOIN provider_change_approvals a ON a.change_id = c.change_id
  LEFT JOIN provider_versions v ON v.change_id = c.change_id`;

/** Record a proposed change: nothing is in force until another person approves it. */
export async function proposeProviderChange(
  db: Queryable,
  input: ProposeProviderChange,
  proposer: RegisterActor,
): Promise<ProviderChange> {
  const providerId = input.terms.providerId;
  await lock(db, providerId);
  const latest = await latestVersion(db, providerId);
  if ((input.baseVersion ?? null) !== (latest?.version ?? null)) throw staleBase(providerId, input.baseVersion, latest);
  const changeId = `prc-${randomUUID()}`;
  await db.query(
    `INSERT INTO provider_changes (change_id, provider_id, base_version, terms, reason,
                                   proposed_by, proposed_role, proposed_unit, proposed_act_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      changeId,
      providerId,
      input.baseVersion ?? null,
      JSON.stringify(input.terms),
      input.reason,
      proposer.id,
      proposer.role,
      proposer.unit,
      proposer.actId,
    ],
  );
  const change = await getProviderChange(db, changeId);
  await appendAuditRecord(db, registerEvent('exchange.provider.change-proposed', proposer, change));
  return change;
}

/** The second person's approval: the change becomes the provider's next version. */
export async function approveProviderChange(
  db: Queryable,
  changeId: string,
  approver: RegisterActor,
): Promise<ProviderChange> {
  const found = await getProviderChange(db, changeId);
  await lock(db, found.providerId);
  const change = await getProviderChange(db, changeId);
  if (change.status === 'APPROVED') {
    throw problems.conflict(
      'provider-change-approved',
      'Register change already approved',
      `change ${changeId} of ${change.providerId} was approved by ${change.approval?.approvedBy} as version ${change.approval?.version}`,
      { changeId },
    );
  }
  if (approver.id === change.proposedBy) {
    throw new Problem(
      403,
      'approver-is-proposer',
      'The proposer cannot approve',
      `${approver.id} proposed change ${changeId} of ${change.providerId}; another person must approve it`,
      { changeId, providerId: change.providerId },
    );
  }
  const latest = await latestVersion(db, change.providerId);
  if (change.baseVersion !== (latest?.version ?? null)) {
    throw problems.conflict(
      'provider-change-stale',
      'Register change made on an old version',
      `change ${changeId} was proposed on version ${change.baseVersion ?? 'none'} of ${change.providerId}, which is now at version ${latest?.version}; propose it again on what is in force`,
      { changeId, providerId: change.providerId, baseVersion: change.baseVersion, version: latest?.version ?? null },
    );
  }
  const version = (latest?.version ?? 0) + 1;
  await db.query(
    `INSERT INTO provider_change_approvals (change_id, approved_by, approved_role, approved_unit, approved_act_id)
     VALUES ($1, $2, $3, $4, $5)`,
    [changeId, approver.id, approver.role, approver.unit, approver.actId],
  );
  await db.query(
    `INSERT INTO provider_versions (provider_id, version, change_id, terms, proposed_by, approved_by)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [change.providerId, version, changeId, JSON.stringify(change.terms), change.proposedBy, approver.id],
  );
  const approved = await getProviderChange(db, changeId);
  await appendAuditRecord(db, registerEvent('exchange.provider.change-approved', approver, approved, { version }));
  return approved;
}

/**
 * Throws the standing refusal (422 provider-licence-expired / -bond-expired / -not-verified /
 * -not-registered) unless the provider's entry in force is in good standing on the day of `at`. Called
 * before the venue is asked anything; the refusal goes into the audit chain as the request's refusal.
 */
export async function assertProviderInGoodStanding(db: Queryable, providerId: string, at: Date): Promise<void> {
  const latest = await latestVersion(db, providerId);
  const standing = providerStanding(latest?.terms, standingDay(at));
  if (!standing.inGoodStanding) throw standingRefusal(providerId, latest?.terms, standing, latest?.version);
}

export async function getProvider(db: Queryable, providerId: string): Promise<ProviderEntry> {
  const { rows } = await db.query<VersionRow>(
    'SELECT * FROM provider_versions WHERE provider_id = $1 ORDER BY version DESC',
    [providerId],
  );
  if (rows.length === 0) throw problems.notFound('Provider', providerId);
  const history = rows.map(versionView);
  return { providerId, current: history[0] as ProviderVersion, history };
}

/** Every provider's entry in force, by id. */
export async function listProviders(db: Queryable): Promise<ProviderVersion[]> {
  const { rows } = await db.query<VersionRow>(
    `SELECT DISTINCT ON (provider_id) * FROM provider_versions ORDER BY provider_id, version DESC`,
  );
  return rows.map(versionView);
}

export async function getProviderChange(db: Queryable, changeId: string): Promise<ProviderChange> {
  const { rows } = await db.query<ChangeRow>(`${CHANGE_SELECT} WHERE c.change_id = $1`, [changeId]);
  if (!rows[0]) throw problems.notFound('Register change', changeId);
  return changeView(rows[0]);
}

/** Changes waiting for a second person (or all, with `status`), oldest first. */
export async function listProviderChanges(db: Queryable, status?: ProviderChange['status']): Promise<ProviderChange[]> {
  const { rows } = await db.query<ChangeRow>(`${CHANGE_SELECT} ORDER BY c.proposed_at, c.change_id`);
  const changes = rows.map(changeView);
  return status ? changes.filter((c) => c.status === status) : changes;
}

async function latestVersion(db: Queryable, providerId: string): Promise<VersionRow | undefined> {
  const { rows } = await db.query<VersionRow>(
    'SELECT * FROM provider_versions WHERE provider_id = $1 ORDER BY version DESC LIMIT 1',
    [providerId],
  );
  return rows[0];
}

function staleBase(providerId: string, base: number | undefined, latest: VersionRow | undefined): Problem {
  const detail = latest
    ? `${providerId} is at version ${latest.version}; a change must name it as baseVersion`
    : `${providerId} is not in the register; a new provider's change names no baseVersion`;
  return problems.refused('provider-base-version', 'Register change on the wrong version', `baseVersion: ${detail}`, {
    errors: [{ field: 'baseVersion', message: detail }],
    providerId,
    baseVersion: base ?? null,
    version: latest?.version ?? null,
  });
}

/** Serialise changes of one provider (an advisory lock, as the whitelist does). */
async function lock(db: Queryable, providerId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`provider-register:${providerId}`]);
}

function registerEvent(
  kind: string,
  actor: RegisterActor,
  change: ProviderChange,
  extra: Record<string, unknown> = {},
): AuditEntry {
  return {
    kind,
    actor: actor.id,
    data: {
      changeId: change.changeId,
      providerId: change.providerId,
      baseVersion: change.baseVersion,
      terms: change.terms,
      reason: change.reason,
      proposedBy: change.proposedBy,
      role: actor.role,
      unit: actor.unit,
      actId: actor.actId,
      ...extra,
    },
  };
}

function versionView(row: VersionRow): ProviderVersion {
  return {
    providerId: row.provider_id,
    version: row.version,
    changeId: row.change_id,
    terms: row.terms,
    proposedBy: row.proposed_by,
    approvedBy: row.approved_by,
    effectiveAt: row.effective_at.toISOString(),
  };
}

function changeView(row: ChangeRow): ProviderChange {
  return {
    changeId: row.change_id,
    providerId: row.provider_id,
    baseVersion: row.base_version,
    terms: row.terms,
    reason: row.reason,
    proposedBy: row.proposed_by,
    proposedAt: row.proposed_at.toISOString(),
    status: row.approved_by ? 'APPROVED' : 'PROPOSED',
    ...(row.approved_by && row.approved_at && row.version !== null
      ? { approval: { approvedBy: row.approved_by, approvedAt: row.approved_at.toISOString(), version: row.version } }
      : {}),
  };
}
