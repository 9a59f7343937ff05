/**
 * An OTC desk as the exchange service reaches it: JSON over HTTP, every request signed with the secret
 * shared with that desk (@vcdc/shared/desk-signing). Answers are sorted into what the RFQ needs to
 * record; a desk that does not answer in time, or answers nonsense, is `silent` / an `error`, never a throw,
 * except where not knowing matters (an acceptance whose answer is lost: `unknown`, the RFQ is retried).
 */
import { type RouteTable, routePath, ServiceCallError, ServiceClient } from '@vcdc/shared';
import { type DeskCredentials, deskHeaders } from '@vcdc/shared/desk-signing';
import { DecimalString } from '@vcdc/shared/money';
import { z } from 'zod';

export interface DeskEndpoint {
  /** The desk's id in the register of licensed providers. */
  id: string;
  url: string;
  credentials: DeskCredentials;
}

const DeskQuote = z.object({
  quoteId: z.string().min(1).max(200),
  price: DecimalString,
  amount: DecimalString,
  expiresAt: z.iso.datetime({ offset: true }),
});

const DeskTrade = z.object({
  tradeId: z.string().min(1).max(200),
  quoteId: z.string(),
  amount: DecimalString,
  price: DecimalString,
  cost: DecimalString,
  tradedAt: z.iso.datetime({ offset: true }),
  settlement: z.object({ asset: z.string(), address: z.string().min(1), fiatCurrency: z.string() }),
  delivery: z
    .object({
      txHash: z.string(),
      amount: DecimalString,
      receivedAt: z.string(),
      /** Each transaction of the delivery and what it carried (a desk that took one may not list it). */
      transactions: z.array(z.object({ txHash: z.string(), amount: DecimalString })).optional(),
    })
    .optional(),
  payment: z
    .object({ reference: z.string().min(1), amount: DecimalString, currency: z.string(), paidAt: z.string() })
    .optional(),
});
export type DeskTradeAnswer = z.infer<typeof DeskTrade>;

export type QuoteAnswer =
  | { kind: 'quote'; quoteId: string; price: string; amount: string; expiresAt: Date }
  | { kind: 'declined'; detail: string }
  | { kind: 'silent'; detail: string };

export type AcceptAnswer =
  | { kind: 'trade'; trade: DeskTradeAnswer }
  | { kind: 'refused'; detail: string }
  | { kind: 'expired'; detail: string }
  | { kind: 'unknown'; detail: string };

/**
 * An OTC desk's API as the exchange calls it (the desk simulator serves it in dev and tests): its paths
 * written once, here. Each request is signed over the path the route gives, which is the path sent.
 */
const DESK_ROUTES = {
  requestQuote: { method: 'post', path: '/v1/quotes', summary: 'A firm quote to sell', idempotencyKey: 'none' },
  acceptQuote: { method: 'post', path: '/v1/quotes/:quoteId/accept', summary: 'Accept a quote' },
  deliver: {
    method: 'post',
    path: '/v1/trades/:tradeId/delivery',
    summary: 'The coins of a trade were sent: the desk answers the trade with its payment once it sees them',
    idempotencyKey: 'none',
  },
} as const satisfies RouteTable;
type DeskRoute = keyof typeof DESK_ROUTES;

export class DeskClient {
  private readonly http: ServiceClient;

  constructor(
    readonly endpoint: DeskEndpoint,
    /** How long an acceptance or a delivery waits for the desk (a quote waits for the RFQ's own deadline). */
    timeoutMs = 5000,
  ) {
    this.http = new ServiceClient({ service: endpoint.id, baseUrl: endpoint.url, timeoutMs });
  }

  get id(): string {
    return this.endpoint.id;
  }

  /**
   * One signed request through the shared client; the desk's answer whatever its status (sorted by the
   * caller), its body an object (empty when it is not one). `signal`: the call's own deadline, else the
   * client's timeout. No answer at all throws.
   */
  private async call(
    name: DeskRoute,
    params: Record<string, string>,
    body: unknown,
    options: { signal?: AbortSignal; idempotencyKey?: string } = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const route = DESK_ROUTES[name];
    const method = route.method.toUpperCase();
    const path = routePath(route, params);
    // The signature is over the body's text exactly as the client sends it (JSON.stringify of the same value).
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers = deskHeaders(this.endpoint.credentials, method, path, text);
    const answer = await this.http.relay(method, path, { body, headers, ...options });
    return { status: answer.status, json: jsonObject(answer.text) };
  }

  /** A quote for selling `amount` of base for quote, or why there is none, by `signal`'s deadline. */
  async requestQuote(
    input: { base: string; quote: string; amount: string },
    signal: AbortSignal,
  ): Promise<QuoteAnswer> {
    try {
      const { status, json } = await this.call('requestQuote', {}, { side: 'sell', ...input }, { signal });
      if (status === 201) {
        const q = DeskQuote.safeParse(json);
        if (!q.success) return { kind: 'silent', detail: `${this.id} answered a quote we cannot read` };
        return { kind: 'quote', ...q.data, expiresAt: new Date(q.data.expiresAt) };
      }
      if (status === 422) return { kind: 'declined', detail: String(json.detail ?? json.type ?? 'declined') };
      return { kind: 'silent', detail: `${this.id} answered ${status}: ${String(json.detail ?? '')}` };
    } catch (error) {
      const timedOut = signal.aborted;
      return {
        kind: 'silent',
        detail: timedOut ? `${this.id} gave no answer by the deadline` : `${this.id} unreachable: ${why(error)}`,
      };
    }
  }

  /** Accept a quote; the same key (and the desk's rule that a quote is decided once) makes a retry safe. */
  async accept(quoteId: string, idempotencyKey: string): Promise<AcceptAnswer> {
    try {
      const { status, json } = await this.call('acceptQuote', { quoteId }, {}, { idempotencyKey });
      if (status === 201 || status === 200) {
        const t = DeskTrade.safeParse(json);
        if (t.success) return { kind: 'trade', trade: t.data };
        return { kind: 'unknown', detail: `${this.id} answered a trade we cannot read` };
      }
      const detail = String(json.detail ?? json.type ?? status);
      if (status === 409 && json.type === 'last-look-refused') return { kind: 'refused', detail };
      if (status === 410) return { kind: 'expired', detail };
      return { kind: 'unknown', detail: `${this.id} answered ${status}: ${detail}` };
    } catch (error) {
      return { kind: 'unknown', detail: `${this.id}: ${why(error)}` };
    }
  }

  /**
   * Tell the desk the coins were sent (one transaction, or a test deposit and the rest); it answers the
   * trade with its payment once it has seen them.
   */
  async deliver(tradeId: string, txHashes: readonly string[], amount: string): Promise<DeskTradeAnswer> {
    const { status, json } = await this.call(
      'deliver',
      { tradeId },
      txHashes.length === 1 ? { txHash: txHashes[0], amount } : { txHashes, amount },
    );
    if (status !== 200) {
      throw Object.assign(new Error(`${this.id} refused the delivery (${status}): ${String(json.detail ?? '')}`), {
        status,
        body: json,
      });
    }
    return DeskTrade.parse(json);
  }
}

/** The answer's body as an object (`{}` when it is none: empty, not JSON, or not an object). */
function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Why no answer came: what the transport said (the client's error wraps it). */
function why(error: unknown): string {
  return String(error instanceof ServiceCallError && error.status === 0 ? (error.cause ?? error) : error);
}
