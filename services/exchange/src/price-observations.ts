/**
 * Every reference price the service computes, with every venue quote behind it, appended to
 * `price_observations` (one row per quote; the rows of one computation share a computation id). A
 * refused computation (stale, diverging) is recorded too. Written on its own connection, outside any
 * order's transaction, so a refused order does not take the record of its prices with it.
 */
import type { Queryable } from '@vcdc/shared';
import type { ReferenceEvaluation, ReferencePolicy } from './reference-price';

/** Stores one computation and answers its id. */
export type ReferenceRecorder = (evaluation: ReferenceEvaluation, policy: ReferencePolicy) => Promise<string>;

export function recordReferences(db: Queryable): ReferenceRecorder {
  return async (evaluation, policy) => {
    const columns = 15;
    const values: unknown[] = [];
    const tuples = evaluation.quotes.map((q, i) => {
      const unavailable = q.excluded === 'unavailable';
      values.push(
        evaluation.symbol,
        q.venue,
        unavailable ? null : q.bid,
        unavailable ? null : q.ask,
        unavailable ? null : q.mid,
        unavailable ? null : q.at,
        q.excluded ?? null,
        // The venue's error, then why the computation gave no reference.
        [q.error, evaluation.detail].filter(Boolean).join('; ') || null,
        evaluation.outcome,
        evaluation.median ?? null,
        evaluation.dispersionBp ?? null,
        policy.maxAgeMs,
        policy.maxDispersionBp,
        policy.minSources,
        evaluation.at,
      );
      return `((SELECT id FROM computation), ${Array.from({ length: columns }, (_, k) => `$${i * columns + k + 1}`).join(', ')})`;
    });
    // The computation's id and its rows in one statement (issue 19: a round trip per order fewer); the
    // id is drawn once (a CTE with a volatile call is evaluated once) and is the id even with no rows.
    const { rows } = await db.query<{ id: string }>(
      tuples.length === 0
        ? "SELECT nextval('reference_computation_seq')::text AS id"
        : `WITH computation AS (SELECT nextval('reference_computation_seq') AS id), recorded AS (
             INSERT INTO price_observations (computation_id, symbol, venue, bid, ask, mid, quote_at, excluded, detail,
               outcome, median, dispersion_bp, max_age_ms, max_dispersion_bp, min_sources, observed_at)
             VALUES ${tuples.join(', ')}
           )
           SELECT id::text AS id FROM computation`,
      values,
    );
    const id = rows[0]?.id;
    if (!id) throw new Error('no reference computation id');
    return id;
  };
}

export interface ComputationRow {
  computation_id: string;
  symbol: string;
  venue: string;
  bid: string | null;
  ask: string | null;
  mid: string | null;
  quote_at: Date | null;
  excluded: 'stale' | 'unavailable' | null;
  detail: string | null;
  outcome: 'ok' | 'stale' | 'diverging';
  median: string | null;
  dispersion_bp: string | null;
  max_age_ms: number;
  max_dispersion_bp: string;
  min_sources: number;
  observed_at: Date;
}

/** The rows of these computations, quote by quote. */
export async function loadComputations(db: Queryable, ids: string[]): Promise<ComputationRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<ComputationRow>(
    `SELECT computation_id::text AS computation_id, symbol, venue, bid, ask, mid, quote_at, excluded, detail, outcome,
            median, dispersion_bp, max_age_ms, max_dispersion_bp, min_sources, observed_at
       FROM price_observations WHERE computation_id = ANY($1::bigint[]) ORDER BY computation_id, id`,
    [ids],
  );
  return rows;
}

/**
 * The computation an order was priced from: the latest `ok` one of the symbol at or before `at`
 * whose reference is `price` (the engine reads it from GET .../reference-price just before placing).
 */
export async function computationWithPrice(
  db: Queryable,
  symbol: string,
  price: string,
  at: Date,
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT computation_id::text AS id FROM price_observations
      WHERE symbol = $1 AND outcome = 'ok' AND median = $2::numeric AND observed_at <= $3
      ORDER BY observed_at DESC, computation_id DESC LIMIT 1`,
    [symbol, price, at],
  );
  return rows[0]?.id;
}
