/**
 * The destination whitelist: coins leave custody only for an ACTIVE entry on the same chain.
 *
 * Walking skeleton: an entry is ACTIVE as soon as it is recorded. Issue #5 adds two approvers and a
 * cooling-off period: new entries start in another status (e.g. PENDING_APPROVAL) and only become
 * ACTIVE later, so every check here already asks for status = 'ACTIVE'.
 */
import { randomUUID } from 'node:crypto';
import type { contracts, Queryable } from '@vcdc/shared';

type AddWhitelistEntry = contracts.custody.AddWhitelistEntry;
type WhitelistEntry = contracts.custody.WhitelistEntry;

interface WhitelistRow {
  entry_id: string;
  chain: WhitelistEntry['chain'];
  address: string;
  label: string;
  requested_by: string;
  status: WhitelistEntry['status'];
  created_at: Date;
}

/**
 * Record a destination. An address already on the list for that chain is not added twice: the
 * existing entry is returned (`created: false`) with its original label.
 */
export async function addWhitelistEntry(
  db: Queryable,
  input: AddWhitelistEntry,
): Promise<{ entry: WhitelistEntry; created: boolean }> {
  const inserted = await db.query<WhitelistRow>(
    `INSERT INTO whitelist_entries (entry_id, chain, address, label, requested_by, status)
     VALUES ($1, $2, $3, $4, $5, 'ACTIVE') ON CONFLICT (chain, address) DO NOTHING RETURNING *`,
    [`wl-${randomUUID()}`, input.chain, input.address, input.label, input.requestedBy],
  );
  if (inserted.rows[0]) return { entry: entryView(inserted.rows[0]), created: true };
  const { rows } = await db.query<WhitelistRow>('SELECT * FROM whitelist_entries WHERE chain = $1 AND address = $2', [
    input.chain,
    input.address,
  ]);
  return { entry: entryView(rows[0]!), created: false };
}

/** The ACTIVE entry for this destination, if there is one. */
export async function activeEntryFor(db: Queryable, chain: string, address: string): Promise<string | undefined> {
  const { rows } = await db.query<{ entry_id: string }>(
    `SELECT entry_id FROM whitelist_entries WHERE chain = $1 AND address = $2 AND status = 'ACTIVE'`,
    [chain, address],
  );
  return rows[0]?.entry_id;
}

function entryView(row: WhitelistRow): WhitelistEntry {
  return {
    entryId: row.entry_id,
    chain: row.chain,
    address: row.address,
    label: row.label,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}
