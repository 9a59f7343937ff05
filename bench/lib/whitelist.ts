/**
 * A benchmark's venue addresses whitelisted before its timed phase, as an operator would in a
 * deployment days before any case: a venue's deposit address goes on custody's whitelist once per
 * venue and chain, not per case. Through custody's real acts, as the dev custodians (one requests, two
 * others approve, through the control API), then the cooling-off waited out (the dev stack's 20 s, not
 * set to 0): a case's time then measures the case, not the deployment's set-up.
 */
import { ServiceClient } from '../../packages/shared/src/http/client';
import { whitelistVenueAddress } from '../../scripts/demo/demo-case';
import type { StackProcess } from '../../test/support/stack-process';

interface Entry {
  entryId: string;
  venue: string;
  status: string;
}

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
  const exchange = stack.service('exchange');
  const custody = stack.service('custody');
  for (const { asset, chain } of legs) {
    const { address } = await exchange.get<{ address: string }>(`/v1/deposit-addresses/${encodeURIComponent(asset)}`, {
      chain,
    });
    const entries = async () =>
      (await custody.get<{ entries: Entry[] }>('/v1/whitelist', { chain, address })).entries.filter(
        (e) => e.venue === venue,
      );
    const open = (await entries()).find((e) => e.status !== 'REVOKED' && e.status !== 'SUPERSEDED');
    if (!open) {
      await whitelistVenueAddress('(benchmark set-up)', { asset, chain, address, venue }, apiAs, () => undefined);
    } else if (open.status === 'PENDING_APPROVAL') {
      await whitelistVenueAddress(
        '(benchmark set-up)',
        { asset, chain, address, venue, entryId: open.entryId, status: open.status },
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
