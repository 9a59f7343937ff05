/**
 * One stand-in for the four services, each at its own prefix (`<url>/custody`, `<url>/exchange`…), that
 * records every request and answers each with a 422 refusal; and the check that a recorded request is a
 * route of its service's table. The route-usage tests of the activities
 * (workflows/test/activity-routes.test.ts) and of the control API
 * (control-api/test/control-api-service-routes.test.ts) run their callers against it.
 */
import { type ApiRoute, listen, type RunningServer } from '@vcdc/shared';
import express from 'express';
import { CUSTODY_API } from '../../services/custody/src/api';
import { EXCHANGE_API } from '../../services/exchange/src/api';
import { FX_API } from '../../services/fx/src/api';
import { TREASURY_API } from '../../services/treasury/src/api';

export const SERVICES = ['custody', 'exchange', 'fx', 'treasury'] as const;
export type StandInService = (typeof SERVICES)[number];

/** What each service serves: the table it mounts and documents. */
const TABLES: Record<StandInService, readonly ApiRoute[]> = {
  custody: CUSTODY_API,
  exchange: EXCHANGE_API,
  fx: FX_API,
  treasury: TREASURY_API,
};

export interface SeenRequest {
  service: string;
  method: string;
  path: string;
}

export interface ServiceStandIn {
  url: string;
  /** Every request so far, in order (emptied in place by the tests that need a clean slate). */
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * The stand-in for one test file: started before its tests and closed after them. `seen` is the same array
 * throughout (a test may empty it in place); `url` is there once the file's tests run.
 */
export function useServiceStandIn(): { readonly url: string; readonly seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  let standIn: ServiceStandIn | undefined;
  beforeAll(async () => {
    standIn = await startServiceStandIn(seen);
  });
  afterAll(() => standIn?.close());
  return {
    seen,
    get url() {
      if (!standIn) throw new Error('the service stand-in is not started yet');
      return standIn.url;
    },
  };
}

async function startServiceStandIn(seen: SeenRequest[]): Promise<ServiceStandIn> {
  const app = express();
  app.use((req, res) => {
    const [, service, ...rest] = req.path.split('/');
    seen.push({ service: service ?? '', method: req.method.toLowerCase(), path: `/${rest.join('/')}` });
    res
      .status(422)
      .type('application/problem+json')
      .send(JSON.stringify({ type: 'urn:t', title: 't', status: 422 }));
  });
  const server: RunningServer = await listen(app, 0);
  return { url: server.url, seen, close: () => server.close() };
}

/** The express path's pattern: `:name` one segment (an encoded id never spans two). */
const pattern = (path: string) => new RegExp(`^${path.replace(/:\w+/g, '[^/]+')}$`);

/**
 * Whether `service` serves `method path`: a route of its table, or one of `shellRoutes` (what every
 * service's runner or shell mounts beside its table).
 */
export function servedByTables(shellRoutes: readonly ApiRoute[]) {
  return (service: string, method: string, path: string): boolean =>
    [...(TABLES[service as StandInService] ?? []), ...shellRoutes].some(
      (r) => r.method === method && pattern(r.path).test(path),
    );
}
