/**
 * Custody accounts: one segregated account per (case, asset), on the chain that carries the asset,
 * at an address derived from the custody master secret. The balance is never stored: it is the sum
 * of the account's ledger entries (see ledger.ts).
 */
import { contracts, Problem, problems, type Queryable, toWire } from '@vcdc/shared';
import type { CustodyAddressBook } from './custody-addresses';
import { balanceOf } from './ledger';

type Chain = contracts.common.Chain;
type CustodyAccount = contracts.custody.CustodyAccount;

export interface AccountRow {
  case_id: string;
  asset: string;
  chain: Chain;
  address: string;
  opened_at: Date;
}

/** The asset must travel on the chain named with it (BTC on bitcoin; ETH and USDT on ethereum). */
export function assertChainCarries(chain: Chain, asset: string): void {
  const expected = contracts.common.CHAIN_OF_ASSET[asset as keyof typeof contracts.common.CHAIN_OF_ASSET];
  if (expected !== chain) {
    const message = `${asset} is held on ${expected ?? 'no chain'} in this deployment, not on ${chain}`;
    throw new Problem(400, 'validation', 'Invalid request body', `chain: ${message}`, {
      errors: [{ field: 'chain', message }],
    });
  }
}

/** Open the account, or find it if it is open already (`created` tells which). */
export async function openAccount(
  db: Queryable,
  addresses: CustodyAddressBook,
  input: { caseId: string; asset: string; chain: Chain },
): Promise<{ account: AccountRow; created: boolean }> {
  assertChainCarries(input.chain, input.asset);
  const address = addresses.addressFor(input.chain, input.caseId, input.asset);
  const inserted = await db.query<AccountRow>(
    `INSERT INTO custody_accounts (case_id, asset, chain, address) VALUES ($1, $2, $3, $4)
     ON CONFLICT (case_id, asset) DO NOTHING RETURNING *`,
    [input.caseId, input.asset, input.chain, address],
  );
  if (inserted.rows[0]) return { account: inserted.rows[0], created: true };
  const existing = await findAccount(db, input.caseId, input.asset);
  if (!existing) throw new Error(`custody account ${input.caseId}/${input.asset} vanished`);
  return { account: existing, created: false };
}

export async function findAccount(
  db: Queryable,
  caseId: string,
  asset: string,
  { lock = false }: { lock?: boolean } = {},
): Promise<AccountRow | undefined> {
  if (lock) {
    // Serialises what moves this account's coins until the transaction ends. An advisory lock, not
    // FOR UPDATE: the service's database role has no UPDATE on accounts (they never change).
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`custody-account:${caseId}/${asset}`]);
  }
  const { rows } = await db.query<AccountRow>('SELECT * FROM custody_accounts WHERE case_id = $1 AND asset = $2', [
    caseId,
    asset,
  ]);
  return rows[0];
}

/** The account, or the refusal every operation on a not-yet-opened account gets. */
export async function requireAccount(
  db: Queryable,
  caseId: string,
  asset: string,
  opts: { lock?: boolean } = {},
): Promise<AccountRow> {
  const account = await findAccount(db, caseId, asset, opts);
  if (!account) {
    throw problems.refused(
      'custody-account-not-open',
      'Custody account not open',
      `case ${caseId} has no custody account for ${asset}: open it with POST /v1/accounts first`,
    );
  }
  return account;
}

export async function accountView(db: Queryable, row: AccountRow): Promise<CustodyAccount> {
  return {
    caseId: row.case_id,
    asset: row.asset as CustodyAccount['asset'],
    chain: row.chain,
    address: row.address,
    balance: toWire(await balanceOf(db, row.case_id, row.asset)),
    openedAt: row.opened_at.toISOString(),
  };
}
