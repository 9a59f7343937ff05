/**
 * The dev desks' ids and shared secrets (dev only: nothing real is signed with them). The ids are the
 * register's dev entries (scripts/lib/dev-providers.ts); each desk's key is `<id>-key`, its secret
 * `<id>-secret-not-for-production`. Kept apart from the desks' servers so the stack's environment
 * (scripts/lib/stack-environment.ts) can name them without loading a server.
 */
export const DEV_DESK_IDS = ['desk-alpha', 'desk-beta', 'desk-gamma'] as const;

export function devDeskCredentials(id: string): { apiKey: string; secret: string } {
  return { apiKey: `${id}-key`, secret: `${id}-secret-not-for-production` };
}

/** The exchange service's RFQ_DESKS entries for the dev desks at `urls` (in DEV_DESK_IDS' order). */
export function devRfqDesks(urls: readonly string[]): { id: string; url: string; apiKey: string; secret: string }[] {
  return urls.map((url, i) => {
    const id = DEV_DESK_IDS[i];
    if (!id) throw new Error(`only ${DEV_DESK_IDS.length} dev desks: no desk for ${url}`);
    return { id, url, ...devDeskCredentials(id) };
  });
}
