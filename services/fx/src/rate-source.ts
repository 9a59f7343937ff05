/**
 * Where the settlement rate comes from. The FX service only needs "the bank's buying rate for this
 * currency on this day, and who published it when"; the implementation here reads it over HTTP from
 * a rate source that speaks `GET /v1/rates/:currency/CNY?date=` (the FX-rate simulator in dev and
 * tests). A source that fails or answers nonsense is a 5xx fault for our caller, who retries.
 */
import {
  Decimal,
  Problem,
  problems,
  problemType,
  type RouteTable,
  routeClient,
  ServiceCallError,
  ServiceClient,
} from '@vcdc/shared';
import { z } from 'zod';

/** The rate source's one route as fx calls it (by name; the FX-rate simulator serves it in dev and tests). */
const RATE_SOURCE_ROUTES = {
  getCnyRate: {
    method: 'get',
    path: '/v1/rates/:currency/CNY',
    summary: "The day's CNY rates for a currency",
    query: z.object({ date: z.string() }),
  },
} as const satisfies RouteTable;

export interface FxRate {
  currency: string;
  /** The day the rate applies to, YYYY-MM-DD. */
  date: string;
  /** The bank's buying rate, CNY per unit of `currency`, a decimal string as published: the rate the settlement uses. */
  bankBuyRate: string;
  centralParity: string;
  source: string;
  publishedAt: Date;
}

export interface RateSource {
  bankBuyRate(currency: string, date: string): Promise<FxRate>;
}

const NOT_PUBLISHED = problemType('rate-not-published');
const RATE = /^(0|[1-9]\d{0,9})\.\d{1,10}$/;
const RateAnswer = z.object({
  currency: z.string(),
  quote: z.literal('CNY'),
  date: z.string(),
  centralParity: z.string().regex(RATE),
  bankBuyRate: z.string().regex(RATE),
  source: z.string().min(1),
  publishedAt: z.iso.datetime({ offset: true }),
});

export class HttpRateSource implements RateSource {
  private readonly client;

  constructor(baseUrl: string, timeoutMs = 5_000) {
    this.client = routeClient(new ServiceClient({ service: 'fx-rate-source', baseUrl, timeoutMs }), RATE_SOURCE_ROUTES);
  }

  async bankBuyRate(currency: string, date: string): Promise<FxRate> {
    let answer: unknown;
    try {
      answer = await this.client.call('getCnyRate', { params: { currency }, query: { date } });
    } catch (error) {
      if (error instanceof ServiceCallError && (error.retryable || error.problem?.type === NOT_PUBLISHED)) {
        // Down, or today's rate not published yet: both pass with time.
        throw problems.unavailable('Rate source unavailable', `no ${currency}/CNY rate for ${date}: ${error.message}`);
      }
      throw new Problem(502, 'rate-source-error', 'Rate source error', String(error));
    }
    const parsed = RateAnswer.safeParse(answer);
    if (!parsed.success || parsed.data.currency !== currency || parsed.data.date !== date) {
      throw new Problem(
        502,
        'rate-source-error',
        'Rate source error',
        `the rate source answered something that is not a ${currency}/CNY rate for ${date}`,
      );
    }
    const rate = parsed.data;
    if (new Decimal(rate.bankBuyRate).lte(0)) {
      throw new Problem(502, 'rate-source-error', 'Rate source error', `non-positive ${currency}/CNY rate`);
    }
    return {
      currency,
      date: rate.date,
      bankBuyRate: rate.bankBuyRate,
      centralParity: rate.centralParity,
      source: rate.source,
      publishedAt: new Date(rate.publishedAt),
    };
  }
}
