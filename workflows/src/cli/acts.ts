/**
 * `vcdc` commands for the acts custodians, case officers, supervisors and treasury officers take on
 * the services: thin, over the control API only (which signs each act for the token's person and
 * forwards it; acts.ts there). No command names a person: who acts is the token's.
 *
 *   vcdc whitelist list [--chain C] [--address A] [--status S]
 *   vcdc whitelist show <entryId>
 *   vcdc whitelist request --chain C --address A --label L --venue V [--replaces ENTRY]
 *   vcdc whitelist approve <entryId>
 *   vcdc whitelist revoke <entryId> --reason R
 *   vcdc attest --case C --lot L --asset A --chain CH --declared D --tx-hash H --amount X <evidence>
 *   vcdc classify <intakeId> <NETWORK_FEE|SHORT_DELIVERY|EXCESS_DELIVERY|OTHER> --amount X --explanation E
 *   vcdc countersign <intakeId> --as handing-officer|custodian [--classification ID] [--fee-tx-hash H]
 *   vcdc evidence correct <intakeId> --corrects EVIDENCE --reason R <evidence>
 *   vcdc correction request --case C --line N --amount CNY --reason R
 *   vcdc correction approve <correctionId>
 *
 * <evidence> is `--evidence-file handover.json` (the HandoverEvidence object) or `--form-no N
 * --handed-over-by P --received-by P [--video-sha256 H]`. Every act carries an Idempotency-Key:
 * `--key K`, or a fresh one (printed when the answer is lost, to retry with).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Argument, type Command, Option } from 'commander';
import type { ControlApiClient } from './vcdc';

export interface ActCommandContext {
  clientFor: (cmd: Command) => { api: ControlApiClient; json: boolean };
  println: (text: string) => void;
  printJson: (value: unknown) => void;
  table: (header: string[], rows: string[][]) => string;
}

interface WhitelistEntryView {
  entryId: string;
  chain: string;
  address: string;
  label?: string;
  venue?: string;
  status: string;
  requestedBy?: string;
  approvals?: { approvedBy: string; approvedAt: string }[];
  activeFrom?: string;
  replaces?: string;
  revocation?: { revokedBy: string; reason: string; revokedAt: string };
}

/** An error that says how to retry: the act's outcome is unknown, the same key settles it. */
export class ActOutcomeUnknown extends Error {}

const keyOption = () => new Option('--key <key>', 'Idempotency-Key (default: a fresh one; reuse it to retry)');

function evidenceOptions(cmd: Command): Command {
  return cmd
    .option('--evidence-file <file>', 'the handover evidence as JSON (handoverFormNo, handedOverBy, receivedBy, …)')
    .option('--form-no <no>', 'handover form number')
    .option('--handed-over-by <person>', 'the officer who handed the coins over')
    .option('--received-by <person>', 'the custodian who received them')
    .option('--video-sha256 <hex>', 'SHA-256 of the handover video');
}

interface EvidenceFlags {
  evidenceFile?: string;
  formNo?: string;
  handedOverBy?: string;
  receivedBy?: string;
  videoSha256?: string;
}

async function evidenceOf(o: EvidenceFlags): Promise<Record<string, unknown>> {
  if (o.evidenceFile) {
    try {
      return JSON.parse(await readFile(o.evidenceFile, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`--evidence-file ${o.evidenceFile}: ${(error as Error).message}`);
    }
  }
  if (!o.formNo || !o.handedOverBy || !o.receivedBy) {
    throw new Error('the handover evidence: --evidence-file, or --form-no, --handed-over-by and --received-by');
  }
  return {
    handoverFormNo: o.formNo,
    handedOverBy: o.handedOverBy,
    receivedBy: o.receivedBy,
    ...(o.videoSha256 ? { videoSha256: o.videoSha256 } : {}),
  };
}

/** Adds the act commands to `program`. */
export function addActCommands(program: Command, ctx: ActCommandContext): void {
  const { clientFor, println, printJson, table } = ctx;
  const seg = encodeURIComponent;

  /** Posts one act with its Idempotency-Key; prints the answer as JSON or with `summary`. */
  const act = async <T>(cmd: Command, path: string, body: unknown, summary: (answer: T) => string) => {
    const { api, json } = clientFor(cmd);
    const key = cmd.opts<{ key?: string }>().key ?? `cli-${randomUUID()}`;
    let answer: T;
    try {
      answer = await api.post<T>(path, body, { 'Idempotency-Key': key });
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined || status === 502 || status === 504) {
        throw new ActOutcomeUnknown(
          `${(error as Error).message}\nretry with --key ${key} (the same act is carried out at most once)`,
        );
      }
      throw error;
    }
    if (json) return printJson(answer);
    println(summary(answer));
  };
  const entryLine = (e: WhitelistEntryView) =>
    `whitelist entry ${e.entryId} (${e.chain} ${e.address}${e.venue ? `, ${e.venue}` : ''}): ${e.status}${
      e.approvals?.length ? `, approved by ${e.approvals.map((a) => a.approvedBy).join(', ')}` : ''
    }${e.activeFrom && e.status !== 'ACTIVE' ? `, active from ${e.activeFrom}` : ''}`;

  const whitelist = program
    .command('whitelist')
    .description('the custody whitelist of destinations (custodians act, four eyes)');
  whitelist
    .command('list')
    .description('whitelist entries (custodians, supervisors, auditors, operators)')
    .option('--chain <chain>', 'e.g. bitcoin, ethereum')
    .option('--address <address>', 'one destination address')
    .option('--status <status>', 'PENDING_APPROVAL, COOLING_OFF, ACTIVE, REVOKED, SUPERSEDED')
    .action(async (opts: { chain?: string; address?: string; status?: string }, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const body = await api.get<{ entries: WhitelistEntryView[] }>('/v1/custody/whitelist', {
        chain: opts.chain,
        address: opts.address,
        status: opts.status?.toUpperCase(),
      });
      if (json) return printJson(body);
      if (!body.entries.length) return println('no whitelist entries');
      println(
        table(
          ['ENTRY', 'CHAIN', 'VENUE', 'STATUS', 'APPROVED BY', 'ADDRESS'],
          body.entries.map((e) => [
            e.entryId,
            e.chain,
            e.venue ?? '-',
            e.status,
            (e.approvals ?? []).map((a) => a.approvedBy).join(', ') || '-',
            e.address,
          ]),
        ),
      );
    });
  whitelist
    .command('show')
    .description('one whitelist entry')
    .argument('<entryId>')
    .action(async (entryId: string, _opts: unknown, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const entry = await api.get<WhitelistEntryView>(`/v1/custody/whitelist/${seg(entryId)}`);
      if (json) return printJson(entry);
      println(entryLine(entry));
    });
  whitelist
    .command('request')
    .description('ask for a new destination (two other custodians approve it; active after the cooling-off)')
    .requiredOption('--chain <chain>', 'the chain')
    .requiredOption('--address <address>', 'the destination address')
    .requiredOption('--label <label>', "whose address it is, e.g. 'hashkey BTC deposit'")
    .requiredOption('--venue <venue>', 'the venue the address belongs to, e.g. hashkey')
    .option('--replaces <entryId>', 'the entry this one replaces')
    .addOption(keyOption())
    .action(
      async (o: { chain: string; address: string; label: string; venue: string; replaces?: string }, cmd: Command) =>
        act<WhitelistEntryView>(
          cmd,
          '/v1/custody/whitelist',
          {
            chain: o.chain,
            address: o.address,
            label: o.label,
            venue: o.venue,
            ...(o.replaces ? { replaces: o.replaces } : {}),
          },
          entryLine,
        ),
    );
  whitelist
    .command('approve')
    .description('approve an entry another custodian requested')
    .argument('<entryId>')
    .addOption(keyOption())
    .action(async (entryId: string, _o: unknown, cmd: Command) =>
      act<WhitelistEntryView>(cmd, `/v1/custody/whitelist/${seg(entryId)}/approvals`, {}, entryLine),
    );
  whitelist
    .command('revoke')
    .description('revoke an entry (at once)')
    .argument('<entryId>')
    .requiredOption('--reason <text>', 'why')
    .addOption(keyOption())
    .action(async (entryId: string, o: { reason: string }, cmd: Command) =>
      act<WhitelistEntryView>(cmd, `/v1/custody/whitelist/${seg(entryId)}/revocation`, { reason: o.reason }, entryLine),
    );

  evidenceOptions(
    program
      .command('attest')
      .description('attest what arrived on a chain custody does not watch (two custodians must agree)')
      .requiredOption('--case <caseId>', 'the case')
      .requiredOption('--lot <lotId>', 'the lot')
      .requiredOption('--asset <asset>', 'e.g. BTC')
      .requiredOption('--chain <chain>', 'e.g. bitcoin')
      .requiredOption('--declared <amount>', 'the declared amount')
      .requiredOption('--tx-hash <hash>', 'the transaction you saw')
      .requiredOption('--amount <amount>', 'the amount you saw arrive')
      .option('--seizure-reference <ref>', 'the seizure record')
      .option('--source-address <address...>', 'where the coins came from'),
  )
    .addOption(keyOption())
    .action(
      async (
        o: EvidenceFlags & {
          case: string;
          lot: string;
          asset: string;
          chain: string;
          declared: string;
          txHash: string;
          amount: string;
          seizureReference?: string;
          sourceAddress?: string[];
        },
        cmd: Command,
      ) =>
        act<{ status: string; attestations?: unknown[] }>(
          cmd,
          '/v1/custody/attestations',
          {
            caseId: o.case,
            lotId: o.lot,
            asset: o.asset.toUpperCase(),
            chain: o.chain,
            declaredAmount: o.declared,
            txHash: o.txHash,
            amount: o.amount,
            evidence: await evidenceOf(o),
            ...(o.seizureReference ? { seizureReference: o.seizureReference } : {}),
            ...(o.sourceAddress?.length ? { sourceAddresses: o.sourceAddress } : {}),
          },
          (a) => `${o.case}/${o.lot}: attested (${a.attestations?.length ?? '?'} of 2); ${a.status}`,
        ),
    );

  program
    .command('classify')
    .description('say why an intake differs from its declaration')
    .argument('<intakeId>')
    .addArgument(
      new Argument('<classification>').choices(['NETWORK_FEE', 'SHORT_DELIVERY', 'EXCESS_DELIVERY', 'OTHER']),
    )
    .requiredOption('--amount <amount>', 'declared - received (negative for an excess)')
    .requiredOption('--explanation <text>', 'what happened')
    .option('--fee-tx-hash <hash>', 'the transaction that paid the fee (NETWORK_FEE)')
    .option('--corrects <classificationId>', 'the classification this one replaces')
    .addOption(keyOption())
    .action(
      async (
        intakeId: string,
        classification: string,
        o: { amount: string; explanation: string; feeTxHash?: string; corrects?: string },
        cmd: Command,
      ) =>
        act<{ differenceStatus?: string }>(
          cmd,
          `/v1/custody/intakes/${seg(intakeId)}/difference`,
          {
            classification,
            amount: o.amount,
            explanation: o.explanation,
            ...(o.feeTxHash ? { feeTxHash: o.feeTxHash } : {}),
            ...(o.corrects ? { corrects: o.corrects } : {}),
          },
          (i) => `intake ${intakeId}: classified ${classification}; ${i.differenceStatus ?? 'recorded'}`,
        ),
    );

  program
    .command('countersign')
    .description("countersign an intake's difference classification, as the handing officer or the custodian")
    .argument('<intakeId>')
    .addOption(
      new Option('--as <role>', 'which countersignature')
        .choices(['handing-officer', 'custodian'])
        .makeOptionMandatory(),
    )
    .option('--classification <id>', 'the classification being signed (must be the current one)')
    .option(
      '--fee-tx-hash <hash>',
      "the fee transaction as you read it on the chain (the receiving custodian of an attested intake's NETWORK_FEE)",
    )
    .addOption(keyOption())
    .action(async (intakeId: string, o: { as: string; classification?: string; feeTxHash?: string }, cmd: Command) =>
      act<{ differenceStatus?: string }>(
        cmd,
        `/v1/custody/intakes/${seg(intakeId)}/difference/countersignatures`,
        {
          role: o.as,
          ...(o.classification ? { classificationId: o.classification } : {}),
          ...(o.feeTxHash ? { feeTxHash: o.feeTxHash } : {}),
        },
        (i) => `intake ${intakeId}: countersigned as ${o.as}; ${i.differenceStatus ?? 'recorded'}`,
      ),
    );

  const evidence = program.command('evidence').description('the handover evidence of an intake');
  evidenceOptions(
    evidence
      .command('correct')
      .description('record a correction of the handover evidence (the old record stays)')
      .argument('<intakeId>')
      .requiredOption('--corrects <evidenceId>', 'the record being corrected (the one in force)')
      .requiredOption('--reason <text>', 'why'),
  )
    .addOption(keyOption())
    .action(async (intakeId: string, o: EvidenceFlags & { corrects: string; reason: string }, cmd: Command) =>
      act<{ evidenceId?: string }>(
        cmd,
        `/v1/custody/intakes/${seg(intakeId)}/evidence`,
        { corrects: o.corrects, reason: o.reason, evidence: await evidenceOf(o) },
        (r) =>
          `intake ${intakeId}: evidence ${r.evidenceId ?? ''} recorded, correcting ${o.corrects}`.replace('  ', ' '),
      ),
    );

  const correction = program.command('correction').description('corrections of treasury ledger lines (four eyes)');
  correction
    .command('request')
    .description('ask to correct a ledger line (another treasury officer or a supervisor approves)')
    .requiredOption('--case <caseId>', 'the case')
    .requiredOption('--line <n>', 'the ledger line that was wrong')
    .requiredOption('--amount <cny>', 'what the line should have been, CNY (0: not at all)')
    .requiredOption('--reason <text>', 'why')
    .addOption(keyOption())
    .action(async (o: { case: string; line: string; amount: string; reason: string }, cmd: Command) => {
      const line = Number(o.line);
      if (!Number.isInteger(line) || line < 1) throw new Error(`--line must be a ledger line number, not ${o.line}`);
      return act<{ correctionId?: string; status?: string }>(
        cmd,
        '/v1/treasury/corrections',
        { caseId: o.case, line, correctedAmount: o.amount, reason: o.reason },
        (c) => `correction ${c.correctionId ?? '?'} of ${o.case} line ${line}: ${c.status ?? 'requested'}`,
      );
    });
  correction
    .command('approve')
    .description('approve a correction another person requested')
    .argument('<correctionId>')
    .addOption(keyOption())
    .action(async (correctionId: string, _o: unknown, cmd: Command) =>
      act<{ status?: string }>(
        cmd,
        `/v1/treasury/corrections/${seg(correctionId)}/approval`,
        {},
        (c) => `correction ${correctionId}: ${c.status ?? 'approved'}`,
      ),
    );
}
