/**
 * `vcdc providers`: the register of licensed providers (issue 16, part 4), over the control API only,
 * which signs each act for the token's person and forwards it to the exchange that keeps the register.
 * One supervisor proposes a provider's whole next entry, another approves it; no command names a person.
 *
 *   vcdc providers list                                   every provider's entry in force
 *   vcdc providers show <providerId>                      its entry in force and every version before it
 *   vcdc providers changes [--status PROPOSED|APPROVED]   changes, e.g. those waiting for a second person
 *   vcdc providers propose --terms-file F [--base-version N] --reason R
 *   vcdc providers approve <changeId>
 *
 * The terms file is the provider's entry as JSON: providerId, kind (venue, desk, custodian, bank), name,
 * licence {regulator, number, expires}, bond {amount, currency, expires}, verification {department,
 * reference, verifiedOn} or null. `--base-version` is the version it changes (none for a new provider).
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { ActCommandContext, ActPoster } from './acts';

interface Terms {
  providerId: string;
  kind: string;
  name: string;
  licence: { regulator: string; number: string; expires: string };
  bond: { amount: string; currency: string; expires: string };
  verification: { department: string; reference: string; verifiedOn: string } | null;
}

interface VersionView {
  providerId: string;
  version: number;
  terms: Terms;
  standing?: { inGoodStanding: boolean; failures?: string[] };
  proposedBy: string;
  approvedBy: string;
  effectiveAt: string;
}

interface ChangeView {
  changeId: string;
  providerId: string;
  baseVersion: number | null;
  terms: Terms;
  reason: string;
  proposedBy: string;
  status: string;
  approval?: { approvedBy: string; version: number };
}

const keyOption = () => new Option('--key <key>', 'Idempotency-Key (default: a fresh one; reuse it to retry)');

const changeLine = (c: ChangeView) =>
  `change ${c.changeId} of ${c.providerId} (on version ${c.baseVersion ?? 'none'}), proposed by ${c.proposedBy}: ${c.status}${
    c.approval ? `, approved by ${c.approval.approvedBy} as version ${c.approval.version}` : ''
  }`;

const verified = (t: Terms) => (t.verification ? `verified ${t.verification.verifiedOn}` : 'NOT VERIFIED');

/** Adds `vcdc providers` to `program`; `act` posts one act with its Idempotency-Key (acts.ts). */
export function addProviderCommands(program: Command, ctx: ActCommandContext, act: ActPoster): void {
  const { clientFor, println, printJson, table } = ctx;
  const providers = program
    .command('providers')
    .description('the register of licensed providers (supervisors change it, four eyes)');
  providers
    .command('list')
    .description("every provider's entry in force")
    .action(async (_o: unknown, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const body = (await api.call('listProviders')) as { providers: VersionView[] };
      if (json) return printJson(body);
      if (!body.providers.length) return println('the register is empty: every order and transfer is refused');
      println(
        table(
          ['PROVIDER', 'KIND', 'VERSION', 'LICENCE', 'LICENCE EXPIRES', 'BOND EXPIRES', 'VERIFICATION', 'TODAY'],
          body.providers.map((v) => [
            v.providerId,
            v.terms.kind,
            String(v.version),
            `${v.terms.licence.regulator} ${v.terms.licence.number}`,
            v.terms.licence.expires,
            v.terms.bond.expires,
            verified(v.terms),
            v.standing?.inGoodStanding ? 'in good standing' : `REFUSED: ${(v.standing?.failures ?? []).join(', ')}`,
          ]),
        ),
      );
    });
  providers
    .command('show')
    .description('a provider: its entry in force and every earlier version')
    .argument('<providerId>')
    .action(async (providerId: string, _o: unknown, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const entry = (await api.call('getProvider', { params: { providerId } })) as { history: VersionView[] };
      if (json) return printJson(entry);
      println(
        table(
          ['VERSION', 'LICENCE EXPIRES', 'BOND', 'VERIFICATION', 'PROPOSED BY', 'APPROVED BY', 'IN FORCE FROM'],
          entry.history.map((v) => [
            String(v.version),
            v.terms.licence.expires,
            `${v.terms.bond.amount} ${v.terms.bond.currency} to ${v.terms.bond.expires}`,
            verified(v.terms),
            v.proposedBy,
            v.approvedBy,
            v.effectiveAt,
          ]),
        ),
      );
    });
  providers
    .command('changes')
    .description('changes to the register (PROPOSED: waiting for a second person)')
    .option('--status <status>', 'PROPOSED or APPROVED')
    .action(async (o: { status?: string }, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const body = (await api.call('listProviderChanges', { query: { status: o.status?.toUpperCase() } })) as {
        changes: ChangeView[];
      };
      if (json) return printJson(body);
      if (!body.changes.length) return println('no changes');
      for (const c of body.changes) println(`${changeLine(c)} — ${c.reason}`);
    });
  providers
    .command('propose')
    .description("propose a provider's whole next entry (another person approves it)")
    .requiredOption('--terms-file <file>', "the provider's entry as JSON")
    .option('--base-version <n>', 'the version this changes (none for a new provider)')
    .requiredOption('--reason <reason>', 'why')
    .addOption(keyOption())
    .action(async (o: { termsFile: string; baseVersion?: string; reason: string }, cmd: Command) => {
      let terms: unknown;
      try {
        terms = JSON.parse(await readFile(o.termsFile, 'utf8'));
      } catch (error) {
        throw new Error(`--terms-file ${o.termsFile}: ${(error as Error).message}`);
      }
      const base = o.baseVersion === undefined ? undefined : Number(o.baseVersion);
      if (base !== undefined && !(Number.isInteger(base) && base > 0)) {
        throw new Error('--base-version must be a positive whole number');
      }
      await act(
        cmd,
        'register.provider.propose',
        { body: { terms, ...(base !== undefined ? { baseVersion: base } : {}), reason: o.reason } },
        changeLine,
      );
    });
  providers
    .command('approve')
    .description('approve a change another person proposed')
    .argument('<changeId>')
    .addOption(keyOption())
    .action(async (changeId: string, _o: unknown, cmd: Command) =>
      act(cmd, 'register.provider.approve', { params: { changeId }, body: {} }, changeLine),
    );
}
