/**
 * Simulated OTC desks on loopback (dev and tests only), each its own HTTP server with its own terms
 * (desk.ts says what a desk answers). The dev desks' ids are those of the register's dev entries
 * (scripts/lib/dev-providers.ts DEV_DESKS).
 *
 *   const desks = await startDesks([{ ...devDeskTerms('desk-alpha', () => '60000'), lastLook: 1 }]);
 *   desks[0].url, desks[0].state.trades, await desks[0].close()
 */
import { listen } from '@vcdc/shared';
import { DEV_DESK_IDS, devDeskCredentials, devRfqDesks } from './credentials';
import type { ChainWatch } from './delivery-check';
import { createDeskApp, type DeskState, type DeskTerms } from './desk';

export { DEV_DESK_IDS, devDeskCredentials, devRfqDesks } from './credentials';
export type { ChainWatch } from './delivery-check';
export type { DeskState, DeskTerms, DeskTrade } from './desk';
export { createDeskApp } from './desk';

export interface RunningDesk {
  id: string;
  url: string;
  port: number;
  state: DeskState;
  close: () => Promise<void>;
}

export async function startDesk(terms: DeskTerms, port = 0, host = '127.0.0.1'): Promise<RunningDesk> {
  const { app, state, hold } = createDeskApp(terms);
  const running = await listen(app, port, host);
  return {
    id: terms.id,
    url: running.url,
    port: running.port,
    state,
    close: async () => {
      for (const res of hold) res.destroy();
      await running.close();
    },
  };
}

export function startDesks(terms: DeskTerms[]): Promise<RunningDesk[]> {
  return Promise.all(terms.map((t) => startDesk(t)));
}

/** The dev stack's three desks: different spreads, appetites, validity and reliability (alpha the tightest). */
export function devDeskTerms(reference: (symbol: string) => string, seed = 16, chain?: ChainWatch): DeskTerms[] {
  const [alpha, beta, gamma] = DEV_DESK_IDS;
  return [
    {
      id: alpha,
      // Tight enough to beat the engine's expected cost on the simulated books (some 13 bp for a 2 BTC
      // lot across both venues), so the stack shows a block sold OTC; beta and gamma bid under that hurdle.
      spreadBp: 5,
      jitterBp: 4,
      minAmount: '0.5',
      maxAmount: '50',
      validityMs: 5000,
      lastLook: 0.1,
      noAnswer: 0.05,
    },
    {
      id: beta,
      spreadBp: 35,
      jitterBp: 15,
      minAmount: '1',
      maxAmount: '200',
      validityMs: 3000,
      lastLook: 0.25,
      noAnswer: 0.1,
    },
    {
      id: gamma,
      spreadBp: 50,
      jitterBp: 5,
      minAmount: '0.1',
      maxAmount: '20',
      validityMs: 8000,
      lastLook: 0.05,
      noAnswer: 0.2,
    },
  ].map((t, i) => ({
    ...t,
    credentials: devDeskCredentials(t.id),
    seed: seed + i,
    reference,
    ...(chain ? { chain } : {}),
  }));
}

/**
 * The dev stack's desks, pricing from the venue simulator's last prices (read every `pollMs`), on
 * `ports` (default 7211-7213; 0: a free port), looking deliveries up on `chain` (none: they pay for no
 * delivery). `rfqDesks` is the exchange service's RFQ_DESKS for them.
 */
export async function startDevDesks(
  options: {
    venueUrl?: string;
    ports?: number[];
    pollMs?: number;
    seed?: number;
    chain?: ChainWatch;
    host?: string;
  } = {},
): Promise<{ desks: RunningDesk[]; rfqDesks: string; close: () => Promise<void> }> {
  const venueUrl = options.venueUrl ?? 'http://127.0.0.1:7201';
  const last = new Map<string, string>();
  const read = async () => {
    try {
      const res = await fetch(`${venueUrl}/quote/v1/ticker/price`, { signal: AbortSignal.timeout(2000) });
      for (const t of (await res.json()) as { s: string; p: string }[]) last.set(t.s, t.p);
    } catch {
      // The venue is down: the desks keep their last prices (and quote nothing before the first).
    }
  };
  await read();
  const timer = setInterval(read, options.pollMs ?? 1000);
  timer.unref();
  const reference = (symbol: string) => {
    const price = last.get(symbol.replace('/', ''));
    if (!price) throw new Error(`no price for ${symbol} from the venue yet`);
    return price;
  };
  const ports = options.ports ?? [7211, 7212, 7213];
  const desks = await Promise.all(
    devDeskTerms(reference, options.seed, options.chain).map((t, i) => startDesk(t, ports[i] ?? 0, options.host)),
  );
  return {
    desks,
    rfqDesks: JSON.stringify(devRfqDesks(desks.map((d) => d.url))),
    close: async () => {
      clearInterval(timer);
      for (const d of desks) await d.close();
    },
  };
}
