/**
 * The destination whitelist: coins leave custody only for an entry that two people approved and whose
 * cooling-off period is over, and that nobody has revoked or replaced since.
 *
 *  - POST /v1/whitelist records the request: PENDING_APPROVAL (an address already listed and in force:
 *    the entry it has);
 *  - two approvals by two distinct people, neither the requester, make it APPROVED with
 *    activeFrom = second approval + cooling-off; before activeFrom it is COOLING_OFF, then ACTIVE;
 *  - revoking is safe, so it takes one person and takes effect at once: REVOKED, with who and why;
 *  - an entry is changed only by a new entry that names it (`replaces`), through the same approvals and
 *    cooling-off; the old entry stays usable until the new one is ACTIVE, and is SUPERSEDED from then on.
 *    (A replacement revoked before it became ACTIVE supersedes nothing.) One replacement at a time;
 *  - a transfer to an entry that is not ACTIVE yet answers 409 not-yet (a caller may wait for it); to an
 *    address that is not listed at all, 422 destination-not-whitelisted; to one whose entry was revoked or
 *    superseded (and nothing else lists it), 422 destination-revoked / destination-superseded.
 * Approvals and revocations are append-only rows; an entry's own row only moves forward
 * (PENDING_APPROVAL -> APPROVED), and REVOKED / SUPERSEDED are derived from the rows that cause them.
 */
import { randomUUID } from 'node:crypto';
import { type AuditEntry, appendAuditRecord, type contracts, Problem, problems, type Queryable } from '@vcdc/shared';
import { CUSTODY_ACTOR } from './audit-records';

type AddWhitelistEntry = contracts.custody.AddWhitelistEntry;
type WhitelistEntry = contracts.custody.WhitelistEntry;
type RevokeWhitelistEntry = contracts.custody.RevokeWhitelistEntry;

/**
 * Who acts on the whitelist: always the person of a verified signed act (never a name from a body).
 * `actId` is the act's id, kept with the audit record.
 */
export interface WhitelistActor {
  id: string;
  role: string;
  unit: string;
  actId: string;
}

const APPROVALS_NEEDED = 2;

interface WhitelistRow {
  entry_id: string;
  chain: WhitelistEntry['chain'];
  address: string;
  label: string;
  venue: string;
  requested_by: string;
  status: 'PENDING_APPROVAL' | 'APPROVED';
  active_from: Date | null;
  replaces: string | null;
  created_at: Date;
  // Derived (see ENTRY_SELECT).
  effective: boolean;
  revoked_by: string | null;
  revocation_reason: string | null;
  revoked_at: Date | null;
  superseded_by: string | null;
  superseded_at: Date | null;
  replaced_by: string | null;
}

/**
 * An entry with what happened to it since: its revocation, the replacement that superseded it (one that
 * became effective and was not revoked before that), and the replacement in progress (not revoked).
 */
const ENTRY_SELECT = `
  SELECT e.*,
         (e.status = 'APPROVED' AND e.active_from <= now()) AS effective,
         r.revoked_by, r.reason AS revocation_reason, r.revoked_at,
         s.entry_id AS superseded_by, s.active_from AS superseded_at,
         n.entry_id AS replaced_by
  FROM whitelist_entries e
  LEFT JOIN whitelist_revocations r ON r.entry_id = e.entry_id
  LEFT JOIN LATERAL (
    SELECT x.entry_id, x.active_from FROM whitelist_entries x
    LEFT JOIN whitelist_revocations xr ON xr.entry_id = x.entry_id
    WHERE x.replaces = e.entry_id AND x.status = 'APPROVED' AND x.active_from <= now()
      AND (xr.revoked_at IS NULL OR xr.revoked_at > x.active_from)
    ORDER BY x.active_from, x.entry_id LIMIT 1
  ) s ON true
  LEFT JOIN LATERAL (
    SELECT x.entry_id FROM whitelist_entries x
    WHERE x.replaces = e.entry_id AND NOT EXISTS (SELECT 1 FROM whitelist_revocations xr WHERE xr.entry_id = x.entry_id)
    ORDER BY x.created_at DESC, x.entry_id LIMIT 1
  ) n ON true`;

interface ApprovalRow {
  approved_by: string;
  approved_at: Date;
}

/** Neither revoked nor superseded: the entry is, or may become, the one in force for its address. */
function live(row: WhitelistRow): boolean {
  return !row.revoked_at && !row.superseded_by;
}

/**
 * Record a destination request. An address already listed (by an entry in force or on its way) is not
 * added twice: that entry is returned (`created: false`). With `replaces`, the new entry is a change of
 * that one: same chain, not revoked or superseded, and no other replacement of it in progress.
 */
export async function addWhitelistEntry(
  db: Queryable,
  input: AddWhitelistEntry,
  requester: WhitelistActor,
): Promise<{ entry: WhitelistEntry; created: boolean }> {
  await lock(db, `whitelist-address:${input.chain}:${input.address}`);
  const listed = (await entriesFor(db, input.chain, input.address)).filter(live);
  const same =
    listed.find((e) => (e.replaces ?? undefined) === input.replaces) ??
    (input.replaces === undefined ? listed[0] : undefined);
  if (same) return { entry: await entryView(db, same), created: false };
  const other = listed.find((e) => e.entry_id !== input.replaces);
  if (other) {
    throw problems.conflict(
      'address-already-listed',
      'Address already listed by another entry',
      `${input.address} on ${input.chain} is listed by whitelist entry ${other.entry_id}`,
      { entryId: other.entry_id },
    );
  }
  if (input.replaces) await assertReplaceable(db, input);

  const { rows } = await db.query<{ entry_id: string }>(
    `INSERT INTO whitelist_entries (entry_id, chain, address, label, venue, requested_by, status, replaces)
     VALUES ($1, $2, $3, $4, $5, $6, 'PENDING_APPROVAL', $7) RETURNING entry_id`,
    [`wl-${randomUUID()}`, input.chain, input.address, input.label, input.venue, requester.id, input.replaces ?? null],
  );
  const entry = await getWhitelistEntry(db, rows[0]!.entry_id);
  await appendAuditRecord(db, whitelistEvent('custody.whitelist.requested', requester, entry));
  return { entry, created: true };
}

async function assertReplaceable(db: Queryable, input: AddWhitelistEntry & { replaces?: string }): Promise<void> {
  const replaces = input.replaces as string;
  await lock(db, `whitelist:${replaces}`);
  const old = await findEntryRow(db, replaces).catch((error: unknown) => {
    if (error instanceof Problem && error.status === 404) {
      throw fieldProblem('replaced-entry-not-found', 'replaces', `no whitelist entry ${replaces}`);
    }
    throw error;
  });
  if (old.chain !== input.chain) {
    throw fieldProblem(
      'replacement-chain-mismatch',
      'replaces',
      `entry ${replaces} is on ${old.chain}, not ${input.chain}`,
    );
  }
  if (old.revoked_at) throw revokedConflict(old);
  if (old.superseded_by) throw supersededConflict(old);
  if (old.replaced_by) {
    throw problems.conflict(
      'replacement-in-progress',
      'Another replacement of this entry is in progress',
      `whitelist entry ${replaces} is being replaced by ${old.replaced_by}; revoke that one first to replace it otherwise`,
      { entryId: replaces, replacedBy: old.replaced_by },
    );
  }
}

export async function approveWhitelistEntry(
  db: Queryable,
  entryId: string,
  approver: WhitelistActor,
  coolingOffSeconds: number,
): Promise<WhitelistEntry> {
  // Serialise approvals of one entry (an advisory lock: the service role cannot SELECT FOR UPDATE).
  await lock(db, `whitelist:${entryId}`);
  const entry = await findEntryRow(db, entryId);
  if (entry.revoked_at) throw revokedConflict(entry);
  if (entry.superseded_by) throw supersededConflict(entry);
  if (approver.id === entry.requested_by) {
    throw new Problem(
      403,
      'approver-is-requester',
      'The requester cannot approve',
      `${approver.id} requested ${entry.address}; two other custodians must approve it`,
      { entryId },
    );
  }
  const approvals = await approvalsOf(db, entryId);
  if (approvals.some((a) => a.approved_by === approver.id)) {
    throw problems.conflict(
      'already-approved-by',
      'Already approved by this person',
      `${approver.id} already approved whitelist entry ${entryId}; the second approval must come from someone else`,
      { entryId },
    );
  }
  if (entry.status === 'APPROVED') {
    throw problems.conflict(
      'whitelist-entry-approved',
      'Whitelist entry already approved',
      `whitelist entry ${entryId} has its ${APPROVALS_NEEDED} approvals already`,
      { entryId },
    );
  }
  await db.query('INSERT INTO whitelist_approvals (entry_id, approved_by) VALUES ($1, $2)', [entryId, approver.id]);
  const approved = approvals.length + 1 >= APPROVALS_NEEDED;
  if (approved) {
    await db.query(
      `UPDATE whitelist_entries SET status = 'APPROVED', active_from = now() + make_interval(secs => $2)
       WHERE entry_id = $1 AND status = 'PENDING_APPROVAL'`,
      [entryId, coolingOffSeconds],
    );
  }
  const view = await getWhitelistEntry(db, entryId);
  await appendAuditRecord(
    db,
    whitelistEvent('custody.whitelist.approved', approver, view, {
      approval: approvals.length + 1,
      of: APPROVALS_NEEDED,
    }),
  );
  if (approved) {
    await appendAuditRecord(
      db,
      whitelistEvent('custody.whitelist.cooling-off-started', approver, view, {
        activeFrom: view.activeFrom,
        coolingOffSeconds,
        approvedBy: view.approvals?.map((a) => a.approvedBy) ?? [],
      }),
    );
    // With no cooling-off (tests) the entry is ACTIVE at once: that is observed here.
    await observeActivations(db);
  }
  return view;
}

/**
 * Records, once, each entry seen ACTIVE for the first time (its cooling-off over), and the entry its
 * activation supersedes, in the audit chain. Called wherever the whitelist is looked at (its GETs, a
 * transfer's check, an approval), on a transaction of the caller's.
 */
export async function observeActivations(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ entry_id: string }>(
    `SELECT e.entry_id FROM whitelist_entries e
     WHERE e.status = 'APPROVED' AND e.active_from <= now()
       AND NOT EXISTS (SELECT 1 FROM whitelist_activations a WHERE a.entry_id = e.entry_id)
       AND NOT EXISTS (SELECT 1 FROM whitelist_revocations r WHERE r.entry_id = e.entry_id AND r.revoked_at <= e.active_from)
     ORDER BY e.active_from, e.entry_id`,
  );
  for (const { entry_id } of rows) {
    // The primary key makes the record once: a concurrent observer waits for this insert, then inserts nothing.
    const inserted = await db.query(
      'INSERT INTO whitelist_activations (entry_id) VALUES ($1) ON CONFLICT (entry_id) DO NOTHING',
      [entry_id],
    );
    if (inserted.rowCount === 0) continue;
    const entry = await getWhitelistEntry(db, entry_id);
    await appendAuditRecord(
      db,
      whitelistEvent('custody.whitelist.active', undefined, entry, { activeFrom: entry.activeFrom }),
    );
    if (entry.replaces) {
      const old = await getWhitelistEntry(db, entry.replaces);
      if (old.status === 'SUPERSEDED') {
        await appendAuditRecord(
          db,
          whitelistEvent('custody.whitelist.superseded', undefined, old, {
            supersededBy: entry_id,
            supersededAt: old.supersededAt,
          }),
        );
      }
    }
  }
}

/** One whitelist event for the custody audit chain: the entry as it stands, and who acted (or custody itself). */
function whitelistEvent(
  kind: string,
  actor: WhitelistActor | undefined,
  entry: WhitelistEntry,
  extra: Record<string, unknown> = {},
): AuditEntry {
  return {
    kind,
    actor: actor?.id ?? CUSTODY_ACTOR,
    data: {
      entryId: entry.entryId,
      chain: entry.chain,
      address: entry.address,
      venue: entry.venue,
      label: entry.label,
      status: entry.status,
      ...(entry.replaces ? { replaces: entry.replaces } : {}),
      ...(actor ? { role: actor.role, unit: actor.unit, actId: actor.actId } : {}),
      ...extra,
    },
  };
}

/** Revoke an entry: at once, by one person, with the reason. A superseded entry has nothing left to revoke. */
export async function revokeWhitelistEntry(
  db: Queryable,
  entryId: string,
  input: RevokeWhitelistEntry,
  revoker: WhitelistActor,
): Promise<WhitelistEntry> {
  await lock(db, `whitelist:${entryId}`);
  const entry = await findEntryRow(db, entryId);
  if (entry.revoked_at) throw revokedConflict(entry);
  if (entry.superseded_by) throw supersededConflict(entry);
  await db.query('INSERT INTO whitelist_revocations (entry_id, revoked_by, reason) VALUES ($1, $2, $3)', [
    entryId,
    revoker.id,
    input.reason,
  ]);
  const view = await getWhitelistEntry(db, entryId);
  await appendAuditRecord(db, whitelistEvent('custody.whitelist.revoked', revoker, view, { reason: input.reason }));
  return view;
}

export interface WhitelistFilter {
  status?: WhitelistEntry['status'];
  chain?: string;
  address?: string;
}

/** Entries by status, chain and address (e.g. what waits for approvers, or a venue's deposit address), oldest first. */
export async function listWhitelist(db: Queryable, filter: WhitelistFilter = {}): Promise<WhitelistEntry[]> {
  const { rows } = await db.query<WhitelistRow>(
    `${ENTRY_SELECT} WHERE ($1::text IS NULL OR e.chain = $1) AND ($2::text IS NULL OR e.address = $2)
     ORDER BY e.created_at, e.entry_id`,
    [filter.chain ?? null, filter.address ?? null],
  );
  const entries = await Promise.all(rows.map((row) => entryView(db, row)));
  return filter.status ? entries.filter((e) => e.status === filter.status) : entries;
}

export async function getWhitelistEntry(db: Queryable, entryId: string): Promise<WhitelistEntry> {
  return entryView(db, await findEntryRow(db, entryId));
}

/**
 * The entry a transfer to this destination may use: the live one that is ACTIVE. Nothing ever listed:
 * undefined. Listed but not ACTIVE yet (approvals missing, or cooling off): 409 not-yet, saying what it
 * waits for. Listed only by revoked or superseded entries: 422 destination-revoked / -superseded.
 */
export async function activeEntryFor(
  db: Queryable,
  chain: string,
  address: string,
): Promise<{ entryId: string; venue: string } | undefined> {
  const rows = await entriesFor(db, chain, address);
  if (rows.length === 0) return undefined;
  const inForce = rows.filter(live);
  const usable = inForce.find((e) => e.effective);
  if (usable) return { entryId: usable.entry_id, venue: usable.venue };
  const waiting = inForce[0];
  if (waiting) {
    const entry = await entryView(db, waiting);
    throw problems.notYet(
      'Whitelisted destination not active yet',
      entry.status === 'PENDING_APPROVAL'
        ? `${address} on ${chain} has ${entry.approvals?.length ?? 0} of ${APPROVALS_NEEDED} approvals`
        : `${address} on ${chain} is cooling off until ${entry.activeFrom}`,
      {
        entryId: waiting.entry_id,
        entryStatus: entry.status,
        ...(entry.activeFrom ? { activeFrom: entry.activeFrom } : {}),
      },
    );
  }
  const last = rows[rows.length - 1]!;
  if (last.revoked_at) {
    throw problems.refused(
      'destination-revoked',
      'Destination revoked',
      `${address} on ${chain} was revoked by ${last.revoked_by} at ${last.revoked_at.toISOString()}: ${last.revocation_reason}`,
      { entryId: last.entry_id },
    );
  }
  throw problems.refused(
    'destination-superseded',
    'Destination superseded',
    `the whitelist entry of ${address} on ${chain} was replaced by ${last.superseded_by}`,
    { entryId: last.entry_id, supersededBy: last.superseded_by },
  );
}

async function entriesFor(db: Queryable, chain: string, address: string): Promise<WhitelistRow[]> {
  const { rows } = await db.query<WhitelistRow>(
    `${ENTRY_SELECT} WHERE e.chain = $1 AND e.address = $2 ORDER BY e.created_at, e.entry_id`,
    [chain, address],
  );
  return rows;
}

async function findEntryRow(db: Queryable, entryId: string): Promise<WhitelistRow> {
  const { rows } = await db.query<WhitelistRow>(`${ENTRY_SELECT} WHERE e.entry_id = $1`, [entryId]);
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

async function lock(db: Queryable, name: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
}

function statusOf(row: WhitelistRow): WhitelistEntry['status'] {
  if (row.revoked_at) return 'REVOKED';
  if (row.superseded_by) return 'SUPERSEDED';
  if (row.status === 'PENDING_APPROVAL') return 'PENDING_APPROVAL';
  return row.effective ? 'ACTIVE' : 'COOLING_OFF';
}

function revokedConflict(row: WhitelistRow): Problem {
  return problems.conflict(
    'whitelist-entry-revoked',
    'Whitelist entry revoked',
    `whitelist entry ${row.entry_id} was revoked by ${row.revoked_by} at ${row.revoked_at?.toISOString()}`,
    { entryId: row.entry_id },
  );
}

function supersededConflict(row: WhitelistRow): Problem {
  return problems.conflict(
    'whitelist-entry-superseded',
    'Whitelist entry superseded',
    `whitelist entry ${row.entry_id} was replaced by ${row.superseded_by}`,
    { entryId: row.entry_id, supersededBy: row.superseded_by },
  );
}

function fieldProblem(slug: string, field: string, message: string): Problem {
  return problems.refused(slug, 'Invalid whitelist change', `${field}: ${message}`, { errors: [{ field, message }] });
}

async function entryView(db: Queryable, row: WhitelistRow): Promise<WhitelistEntry> {
  const approvals = await approvalsOf(db, row.entry_id);
  return {
    entryId: row.entry_id,
    chain: row.chain,
    address: row.address,
    label: row.label,
    venue: row.venue,
    requestedBy: row.requested_by,
    status: statusOf(row),
    approvals: approvals.map((a) => ({ approvedBy: a.approved_by, approvedAt: a.approved_at.toISOString() })),
    ...(row.active_from ? { activeFrom: row.active_from.toISOString() } : {}),
    ...(row.replaces ? { replaces: row.replaces } : {}),
    ...(row.replaced_by ? { replacedBy: row.replaced_by } : {}),
    ...(row.superseded_at ? { supersededAt: row.superseded_at.toISOString() } : {}),
    ...(row.revoked_at
      ? {
          revocation: {
            revokedBy: row.revoked_by ?? '',
            reason: row.revocation_reason ?? '',
            revokedAt: row.revoked_at.toISOString(),
          },
        }
      : {}),
    createdAt: row.created_at.toISOString(),
  };
}
