/**
 * Sale routes: POST /v1/cases/:caseId/route-choices decides how one coin lot reaches fiat — directly
 * on the direct fiat market (BTC/USD) or through the stablecoin — by the rule in @vcdc/shared/sale-route
 * on what the direct market's book shows now (ccxt fetchOrderBook, the bids within the rule's band),
 * and keeps the choice with what was seen (append-only `route_choices`) for the best-execution dossier.
 *
 * The book is read only when the rule needs it (mode AUTO). A direct market the venue does not list, or
 * a book the venue does not give (down, a fault, a refusal), is recorded as unread and the lot goes the
 * stablecoin way: the established route, chosen without waiting for the direct one. Replays of the same
 * Idempotency-Key get the stored answer (the idempotency layer), never a second decision.
 */
import type { Queryable } from '@vcdc/shared';
import type { exchange } from '@vcdc/shared/contracts';
import { Decimal } from '@vcdc/shared/money';
import { chooseRoute, directSymbol, needsDepth } from '@vcdc/shared/sale-route';
import { bidDepth } from './market-activity';
import { type Venue, VenueCallError } from './venue';

interface ChoiceRow {
  // BIGSERIAL: the shared pool parses int8 as a number
  choice_id: number | string;
  case_id: string;
  venue: string;
  asset: string;
  lot: string;
  fiat: string;
  direct_symbol: string;
  mode: exchange.SaleRouteChoice['rule']['mode'];
  band_bp: string;
  min_depth_multiple: string;
  required: string;
  bid_depth: string | null;
  best_bid: string | null;
  band_price: string | null;
  levels: number | null;
  observed_at: Date | null;
  unread: string | null;
  route: exchange.SaleRouteChoice['route'];
  reason: string;
  decided_at: Date;
}

const plain = (n: string) => new Decimal(n).toFixed();

function toChoice(r: ChoiceRow): exchange.SaleRouteChoice {
  return {
    choiceId: String(r.choice_id),
    caseId: r.case_id,
    venue: r.venue,
    asset: r.asset,
    lot: plain(r.lot),
    fiat: r.fiat,
    rule: { mode: r.mode, bandBp: plain(r.band_bp), minDepthMultiple: plain(r.min_depth_multiple) },
    route: r.route,
    directSymbol: r.direct_symbol,
    required: plain(r.required),
    ...(r.bid_depth !== null ? { seen: plain(r.bid_depth) } : {}),
    ...(r.observed_at
      ? {
          depth: {
            at: r.observed_at.toISOString(),
            ...(r.best_bid !== null ? { bestBid: plain(r.best_bid) } : {}),
            ...(r.band_price !== null ? { bandPrice: plain(r.band_price) } : {}),
            levels: r.levels ?? 0,
          },
        }
      : {}),
    ...(r.unread !== null ? { unread: r.unread } : {}),
    reason: r.reason,
    decidedAt: r.decided_at.toISOString(),
  };
}

/** The direct market's bids within the band now, or why they could not be had (never throws a venue error). */
async function readDirectBook(
  venue: Venue,
  symbol: string,
  bandBp: string,
  now: () => Date,
): Promise<{ book: exchange.MarketDepth } | { unread: string }> {
  try {
    const book = await bidDepth(venue, symbol, bandBp, now);
    return book ? { book } : { unread: `${venue.id} does not list ${symbol}` };
  } catch (error) {
    if (error instanceof VenueCallError)
      return { unread: `${venue.id} did not give the ${symbol} book: ${error.message}` };
    throw error;
  }
}

export async function chooseSaleRoute(
  db: Queryable,
  venue: Venue,
  caseId: string,
  input: exchange.ChooseSaleRoute,
  now: () => Date,
): Promise<exchange.SaleRouteChoice> {
  const { asset, lot, fiat, rule } = input;
  const symbol = directSymbol(asset, fiat);
  const read = needsDepth(rule) ? await readDirectBook(venue, symbol, rule.bandBp, now) : undefined;
  const book = read && 'book' in read ? read.book : undefined;
  const unread = read && 'unread' in read ? read.unread : undefined;
  const choice = chooseRoute({ asset, fiat, lot, rule, direct: book, ...(unread ? { unread } : {}) });
  const { rows } = await db.query<ChoiceRow>(
    `INSERT INTO route_choices (case_id, venue, asset, lot, fiat, direct_symbol, mode, band_bp, min_depth_multiple,
                                required, bid_depth, best_bid, band_price, levels, observed_at, unread, route, reason,
                                decided_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
       RETURNING *`,
    [
      caseId,
      venue.id,
      asset,
      choice.lot,
      fiat,
      choice.directSymbol,
      rule.mode,
      rule.bandBp,
      rule.minDepthMultiple,
      choice.required,
      book?.bidDepth ?? null,
      book?.bestBid ?? null,
      book?.bandPrice ?? null,
      book?.levels ?? null,
      book?.at ?? null,
      unread ?? null,
      choice.route,
      choice.reason,
      now(),
    ],
  );
  return toChoice(rows[0] as ChoiceRow);
}

/** The case's route choices as kept, oldest first. */
export async function caseRouteChoices(db: Queryable, caseId: string): Promise<exchange.SaleRouteChoice[]> {
  const { rows } = await db.query<ChoiceRow>('SELECT * FROM route_choices WHERE case_id = $1 ORDER BY choice_id', [
    caseId,
  ]);
  return rows.map(toChoice);
}
