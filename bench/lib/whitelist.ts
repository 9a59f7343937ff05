/**
 * A benchmark's venue addresses whitelisted before its timed phase, as an operator would in a
 * deployment days before any case: a venue's deposit address goes on custody's whitelist once per
 * venue and chain, not per case. Through custody's real acts, as the dev custodians (one requests, two
 * others approve, through the control API), then the cooling-off waited out (the dev stack's 20 s, not
 * set to 0): a case's time then measures the case, not the deployment's set-up.
 */
import { routeClient, ServiceClient } from '../../packages/shared/src/http/client';
import { whitelistVenueAddress } from '../../scripts/demo/demo-case';
import { CUSTODY_ROUTES } from '../../services/custody/src/api';
import { EXCHANGE_ROUTES } from '../../services/exchange/src/api';
import type { StackProcess } from '../../test/support/stack-process';

/** Resolves when each asset's deposit address at `venue` has an ACTIVE entry; answers how long that took. */
export async function whitelistVenueAddresses(
  stack: StackProcess,
  venue: string,
  legs: Array<{ asset: string; chain: string }>,
  timeoutMs = 120_000,
): Promise<number> {
  const started = Date.now();
  const apiAs = async (person: string) =>
    new ServiceClient({
      service: 'control-api',
      baseUrl: stack.urls.controlApi,
      timeoutMs: 30_000,
      headers: { authorization: `Bearer ${await stack.issuer.mint(person)}` },
    });
  const exchange = routeClient(stack.service('exchange'), EXCHANGE_ROUTES);
  const custody = routeClient(stack.service('custody'), CUSTODY_ROUTES);
  for (const { asset, chain } of legs) {
    const { address } = await exchange.call('getDepositAddress', { params: { asset }, query: { chain } });
    const entries = async () =>
      (await custody.call('listWhitelist', { query: { chain, address } })).entries.filter((e) => e.venue === venue);
    const open = (await entries()).find((e) => e.status !== 'REVOKED' && e.status !== 'SUPERSEDED');
    // None yet: requested and approved; one awaiting approval: approved. Cooling off or ACTIVE: only waited for.
    if (!open || open.status === 'PENDING_APPROVAL') {
      await whitelistVenueAddress(
        '(benchmark set-up)',
        { asset, chain, address, venue, entryId: open?.entryId, status: open?.status },
        apiAs,
        () => undefined,
      );
    }
    while (!(await entries()).some((e) => e.status === 'ACTIVE')) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`${venue}'s ${asset} address ${address} not ACTIVE on the whitelist in ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return Date.now() - started;
}
