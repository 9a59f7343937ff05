/**
 * Every audit chain at once, for an auditor: the control API's own (registrations, decisions,
 * refusals) and each service's (movements of value, refused calls), each walked by its own verifier —
 * the services' through their GET /v1/audit/verify (shared AUDIT_ROUTES `verifyAuditChain`, called by
 * name with the shared ServiceClient) with their credential. Used by the control API's
 * GET /v1/audit/verify and by the CLI (cli/src/audit-verify.ts).
 *
 * The answer keeps the first chain's verification at the top level (for the control API: its own
 * chain, as before), with `ok` true only when every chain verifies, `chains` one report per chain,
 * and `firstBroken` naming the first chain and record that does not. A service that cannot be asked
 * counts as not verified (its chain is not known to be intact).
 */
import {
  AUDIT_ROUTES,
  type ChainVerification,
  env,
  routeClient,
  ServiceCallError,
  ServiceClient,
  ServiceToken,
} from '@vcdc/shared';
import { z } from 'zod';

/** Where the services are and the control API's credential with them; the dev stack's by default. */
export const AuditServicesSettings = z.object({
  CUSTODY_URL: env.url('http://127.0.0.1:7101'),
  EXCHANGE_URL: env.url('http://127.0.0.1:7102'),
  FX_URL: env.url('http://127.0.0.1:7103'),
  TREASURY_URL: env.url('http://127.0.0.1:7104'),
  /**
   * The control API's own credential with every service (their CONTROL_API_TOKEN): it reads (an
   * auditor's verification) and carries people's signed acts, and opens no other changing route. Not
   * the worker's SERVICE_TOKEN: the machine that signs acts does not also hold the one that asks for
   * transfers. Unset when the services require no credential.
   */
  CONTROL_API_TOKEN: ServiceToken.optional(),
});
export type AuditServicesSettings = z.infer<typeof AuditServicesSettings>;

export interface ServiceChain {
  chain: string;
  url: string;
  token?: string;
}

export function serviceChains(s: AuditServicesSettings): ServiceChain[] {
  const one = (chain: string, url: string, token?: string): ServiceChain => ({
    chain,
    url,
    ...(token ? { token } : {}),
  });
  return [
    one('custody', s.CUSTODY_URL, s.CONTROL_API_TOKEN),
    one('exchange', s.EXCHANGE_URL, s.CONTROL_API_TOKEN),
    one('fx', s.FX_URL, s.CONTROL_API_TOKEN),
    one('treasury', s.TREASURY_URL, s.CONTROL_API_TOKEN),
  ];
}

export interface LocalChain {
  chain: string;
  verify: () => Promise<ChainVerification>;
}

export interface ChainReport {
  chain: string;
  ok: boolean;
  /** Where it was asked (services). */
  url?: string;
  checked?: number;
  headHash?: string;
  brokenAt?: ChainVerification['brokenAt'];
  why?: string;
  /** The refusals the chain holds, by kind. */
  refusals?: ChainVerification['refusals'];
  /** The latest signed checkpoint the chain was held against. */
  checkpoint?: ChainVerification['checkpoint'];
  /** The service's money tables, each compared with the images its chain holds. */
  tables?: ChainVerification['tables'];
  /** Why the chain could not be verified (unreachable, refused, not an answer). */
  error?: string;
}

export interface AuditVerification extends ChainVerification {
  chains: ChainReport[];
  /** Every chain's refusals added up, by kind: all the refused acts, decisions, calls and messages. */
  allRefusals: { total: number; byKind: Record<string, number> };
  /** Across every chain: chains asked, records checked, money tables and their rows compared. */
  totals: { chains: number; verified: number; records: number; tables: number; rows: number };
  firstBroken?: { chain: string; seq?: number; problem?: string; detail: string };
}

const CheckpointAnswer = z
  .object({ seq: z.number().int().nullable(), ok: z.boolean(), refused: z.number().int() })
  .catchall(z.unknown());
const ServiceAnswer = z.object({
  ok: z.boolean(),
  checked: z.number().int().min(0),
  headHash: z.string(),
  brokenAt: z
    .object({
      seq: z.number().int(),
      problem: z.enum(['edited', 'missing', 'relinked']),
      detail: z.string(),
      from: z.number().int().optional(),
    })
    .optional(),
  why: z.string().optional(),
  refusals: z.object({ total: z.number().int(), byKind: z.record(z.string(), z.number().int()) }).optional(),
  checkpoint: CheckpointAnswer.nullable().optional(),
  tables: z
    .array(
      z
        .object({ table: z.string(), ok: z.boolean(), rows: z.number().int(), problems: z.number().int() })
        .catchall(z.unknown()),
    )
    .optional(),
});

async function askService(s: ServiceChain, timeoutMs: number): Promise<ChainReport> {
  const service = routeClient(
    new ServiceClient({
      service: s.chain,
      baseUrl: s.url,
      timeoutMs,
      ...(s.token ? { headers: { authorization: `Bearer ${s.token}` } } : {}),
    }),
    AUDIT_ROUTES,
  );
  let answer: unknown;
  try {
    answer = await service.call('verifyAuditChain');
  } catch (error) {
    const asked = error instanceof ServiceCallError ? error : undefined;
    const why =
      asked && asked.status > 0
        ? `answered ${asked.status}`
        : `not reachable: ${((asked?.cause ?? error) as Error).message}`;
    return { chain: s.chain, url: s.url, ok: false, error: why };
  }
  const parsed = ServiceAnswer.safeParse(answer);
  if (!parsed.success)
    return { chain: s.chain, url: s.url, ok: false, error: 'answered something other than a verification' };
  return { chain: s.chain, url: s.url, ...(parsed.data as Omit<ChainReport, 'chain' | 'url'>) };
}

async function walkLocal(l: LocalChain): Promise<{ report: ChainReport; verification?: ChainVerification }> {
  try {
    const verification = await l.verify();
    return { report: { chain: l.chain, ...verification }, verification };
  } catch (error) {
    return { report: { chain: l.chain, ok: false, error: (error as Error).message } };
  }
}

/** Verify the local chains (first: the one reported at the top level) and the services', side by side. */
export async function verifyAuditChains(
  locals: LocalChain[],
  services: ServiceChain[],
  timeoutMs = 10_000,
): Promise<AuditVerification> {
  const [walked, asked] = await Promise.all([
    Promise.all(locals.map(walkLocal)),
    Promise.all(services.map((s) => askService(s, timeoutMs))),
  ]);
  const chains = [...walked.map((w) => w.report), ...asked];
  const top = walked[0]?.verification ?? { ok: false, checked: 0, headHash: '' };
  const broken = chains.find((c) => !c.ok);
  const allRefusals = { total: 0, byKind: {} as Record<string, number> };
  for (const c of chains) {
    allRefusals.total += c.refusals?.total ?? 0;
    for (const [kind, n] of Object.entries(c.refusals?.byKind ?? {})) {
      allRefusals.byKind[kind] = (allRefusals.byKind[kind] ?? 0) + n;
    }
  }
  const totals = {
    chains: chains.length,
    verified: chains.filter((c) => c.ok).length,
    records: chains.reduce((n, c) => n + (c.checked ?? 0), 0),
    tables: chains.reduce((n, c) => n + (c.tables?.length ?? 0), 0),
    rows: chains.reduce((n, c) => n + (c.tables ?? []).reduce((r, t) => r + t.rows, 0), 0),
  };
  return {
    ...top,
    ok: chains.every((c) => c.ok),
    chains,
    allRefusals,
    totals,
    ...(broken
      ? {
          firstBroken: {
            chain: broken.chain,
            ...(broken.brokenAt ? { seq: broken.brokenAt.seq, problem: broken.brokenAt.problem } : {}),
            // A chain that holds with a money table that does not: `why` names the row.
            detail: broken.brokenAt?.detail ?? broken.why ?? broken.error ?? 'not verified',
          },
        }
      : {}),
  };
}
