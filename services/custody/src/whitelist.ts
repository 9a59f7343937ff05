/**
 * The destination whitelist: coins leave custody only for an entry that two people approved and whose
 * cooling-off period is over.
 *
 *  - POST /v1/whitelist records the request: PENDING_APPROVAL (the same address twice: the entry it has);
 *  - two approvals by two distinct people, neither the requester, make it APPROVED with
 *    activeFrom = second approval + cooling-off; before activeFrom it is COOLING_OFF, then ACTIVE;
 *  - a transfer to an entry that is not ACTIVE yet answers 409 not-yet (a caller may wait for it);
 *    to an address that is not listed at all, 422 destination-not-whitelisted.
 * Approvals are append-only; the entry's status only moves forward.
 */
import { randomUUID } from 'node:crypto';
import { type contracts, problems, type Queryable } from '@vcdc/shared';

type AddWhitelistEntry = contracts.custody.AddWhitelistEntry;
type WhitelistEntry = contracts.custody.WhitelistEntry;
type ApproveWhitelistEntry = contracts.custody.ApproveWhitelistEntry;

const APPROVALS_NEEDED = 2;

interface WhitelistRow {
  entry_id: string;
  chain: WhitelistEntry['chain'];
  address: string;
  label: string;
  requested_by: string;
  status: 'PENDING_APPROVAL' | 'APPROVED';
  active_from: Date | null;
  created_at: Date;
}

interface ApprovalRow {
  approved_by: string;
  approved_at: Date;
}

/**
 * Record a destination request. An address already on the list for that chain is not added twice:
 * the existing entry is returned (`created: false`) with its original label and status.
 */
export async function addWhitelistEntry(
  db: Queryable,
  input: AddWhitelistEntry,
): Promise<{ entry: WhitelistEntry; created: boolean }> {
  const inserted = await db.query<WhitelistRow>(
    `INSERT INTO whitelist_entries (entry_id, chain, address, label, requested_by, status)
     VALUES ($1, $2, $3, $4, $5, 'PENDING_APPROVAL') ON CONFLICT (chain, address) DO NOTHING RETURNING *`,
    [`wl-${randomUUID()}`, input.chain, input.address, input.label, input.requestedBy],
  );
  if (inserted.rows[0]) return { entry: await entryView(db, inserted.rows[0]), created: true };
  const { rows } = await db.query<WhitelistRow>('SELECT * FROM whitelist_entries WHERE chain = $1 AND address = $2', [
    input.chain,
    input.address,
  ]);
  return { entry: await entryView(db, rows[0]!), created: false };
}

export async function approveWhitelistEntry(
  db: Queryable,
  entryId: string,
  input: ApproveWhitelistEntry,
  coolingOffSeconds: number,
): Promise<WhitelistEntry> {
  // Serialise approvals of one entry (an advisory lock: the service role cannot SELECT FOR UPDATE).
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`whitelist:${entryId}`]);
  const entry = await findEntry(db, entryId);
  if (input.approvedBy === entry.requested_by) {
    throw problems.refused(
      'approver-is-requester',
      'The requester cannot approve',
      `${input.approvedBy} requested ${entry.address}; two other people must approve it`,
    );
  }
  const approvals = await approvalsOf(db, entryId);
  if (approvals.some((a) => a.approved_by === input.approvedBy)) {
    throw problems.conflict(
      'already-approved-by',
      'Already approved by this person',
      `${input.approvedBy} already approved whitelist entry ${entryId}; the second approval must come from someone else`,
    );
  }
  if (entry.status === 'APPROVED') return entryView(db, entry);
  await db.query('INSERT INTO whitelist_approvals (entry_id, approved_by) VALUES ($1, $2)', [
    entryId,
    input.approvedBy,
  ]);
  if (approvals.length + 1 >= APPROVALS_NEEDED) {
    await db.query(
      `UPDATE whitelist_entries SET status = 'APPROVED', active_from = now() + make_interval(secs => $2)
       WHERE entry_id = $1 AND status = 'PENDING_APPROVAL'`,
      [entryId, coolingOffSeconds],
    );
  }
  return entryView(db, await findEntry(db, entryId));
}

/** Entries by status (e.g. what waits for approvers), oldest first. */
export async function listWhitelist(db: Queryable, status?: WhitelistEntry['status']): Promise<WhitelistEntry[]> {
  const { rows } = await db.query<WhitelistRow>('SELECT * FROM whitelist_entries ORDER BY created_at, entry_id');
  const entries = await Promise.all(rows.map((row) => entryView(db, row)));
  return status ? entries.filter((e) => e.status === status) : entries;
}

export async function getWhitelistEntry(db: Queryable, entryId: string): Promise<WhitelistEntry> {
  return entryView(db, await findEntry(db, entryId));
}

/**
 * The entry a transfer to this destination may use. Not listed: undefined. Listed but not ACTIVE yet
 * (approvals missing, or cooling off): 409 not-yet, saying what it waits for.
 */
export async function activeEntryFor(db: Queryable, chain: string, address: string): Promise<string | undefined> {
  const { rows } = await db.query<WhitelistRow & { active: boolean }>(
    `SELECT *, (status = 'APPROVED' AND active_from <= now()) AS active
     FROM whitelist_entries WHERE chain = $1 AND address = $2`,
    [chain, address],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.active) return row.entry_id;
  const entry = await entryView(db, row);
  throw problems.notYet(
    'Whitelisted destination not active yet',
    entry.status === 'PENDING_APPROVAL'
      ? `${address} on ${chain} has ${entry.approvals?.length ?? 0} of ${APPROVALS_NEEDED} approvals`
      : `${address} on ${chain} is cooling off until ${entry.activeFrom}`,
    { entryId: row.entry_id, entryStatus: entry.status, ...(entry.activeFrom ? { activeFrom: entry.activeFrom } : {}) },
  );
}

async function findEntry(db: Queryable, entryId: string): Promise<WhitelistRow> {
  const { rows } = await db.query<WhitelistRow>('SELECT * FROM whitelist_entries WHERE entry_id = $1', [entryId]);
  if (!rows[0]) throw problems.notFound('Whitelist entry', entryId);
  return rows[0];
}

async function approvalsOf(db: Queryable, entryId: string): Promise<ApprovalRow[]> {
  const { rows } = await db.query<ApprovalRow>(
    'SELECT approved_by, approved_at FROM whitelist_approvals WHERE entry_id = $1 ORDER BY approved_at, approved_by',
    [entryId],
  );
  return rows;
}

async function entryView(db: Queryable, row: WhitelistRow): Promise<WhitelistEntry> {
  const approvals = await approvalsOf(db, row.entry_id);
  const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
  const status =
    row.status === 'PENDING_APPROVAL'
      ? 'PENDING_APPROVAL'
      : row.active_from && row.active_from > rows[0]!.now
        ? 'COOLING_OFF'
        : 'ACTIVE';
  return {
    entryId: row.entry_id,
    chain: row.chain,
    address: row.address,
    label: row.label,
    requestedBy: row.requested_by,
    status,
    approvals: approvals.map((a) => ({ approvedBy: a.approved_by, approvedAt: a.approved_at.toISOString() })),
    ...(row.active_from ? { activeFrom: row.active_from.toISOString() } : {}),
    createdAt: row.created_at.toISOString(),
  };
}
