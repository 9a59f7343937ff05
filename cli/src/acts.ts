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
 *   vcdc correction request --case C --line N --amount CNY --reason R [--fx-correction ID]
 *   vcdc correction approve <correctionId>
 *   vcdc correction follow-up <correctionId>          a supervisor remits what an upward correction left
 *   vcdc recovery record <receivableId> --receipt R   the money paid out too much came back
 *   vcdc fx correction request --settlement S [--rate R] [--cny CNY] --reason R
 *   vcdc fx correction approve <correctionId>
 *   vcdc books <caseId>                               the books recomputed from the services' records
 *   vcdc providers list|show|changes|propose|approve  the register of licensed providers (providers.ts)
 *
 * <evidence> is `--evidence-file handover.json` (the HandoverEvidence object) or `--form-no N
 * --handed-over-by P --received-by P [--video-sha256 H]`. Every act carries an Idempotency-Key:
 * `--key K`, or a fresh one (printed when the answer is lost, to retry with).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Argument, type Command, Option } from 'commander';
import { addProviderCommands } from './providers';
import type { ControlApiClient, ControlCall, ControlRouteName } from './vcdc';

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

  /** Posts one act (a route of the control API, by name) with its Idempotency-Key; prints the answer as JSON or with `summary`. */
  const act: ActPoster = async (cmd, name, input, summary) => {
    const { api, json } = clientFor(cmd);
    const key = cmd.opts<{ key?: string }>().key ?? `cli-${randomUUID()}`;
    let answer: Parameters<typeof summary>[0];
    try {
      // The name is the act's, so its input is that route's (ActPoster's type says so).
      const call = api.call.bind(api) as (name: ControlRouteName, input: object) => Promise<unknown>;
      answer = (await call(name, { ...input, idempotencyKey: key })) as typeof answer;
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
      const body = (await api.call('listWhitelist', {
        query: { chain: opts.chain, address: opts.address, status: opts.status?.toUpperCase() },
      })) as { entries: WhitelistEntryView[] };
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
      const entry = (await api.call('getWhitelistEntry', { params: { entryId } })) as WhitelistEntryView;
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
        act(
          cmd,
          'custody.whitelist.request',
          {
            body: {
              chain: o.chain,
              address: o.address,
              label: o.label,
              venue: o.venue,
              ...(o.replaces ? { replaces: o.replaces } : {}),
            },
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
      act(cmd, 'custody.whitelist.approve', { params: { entryId }, body: {} }, entryLine),
    );
  whitelist
    .command('revoke')
    .description('revoke an entry (at once)')
    .argument('<entryId>')
    .requiredOption('--reason <text>', 'why')
    .addOption(keyOption())
    .action(async (entryId: string, o: { reason: string }, cmd: Command) =>
      act(cmd, 'custody.whitelist.revoke', { params: { entryId }, body: { reason: o.reason } }, entryLine),
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
        act(
          cmd,
          'custody.intake.attest',
          {
            body: {
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
          },
          (a: { status: string; attestations?: unknown[] }) =>
            `${o.case}/${o.lot}: attested (${a.attestations?.length ?? '?'} of 2); ${a.status}`,
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
        act(
          cmd,
          'custody.intake.classify',
          {
            params: { intakeId },
            body: {
              classification,
              amount: o.amount,
              explanation: o.explanation,
              ...(o.feeTxHash ? { feeTxHash: o.feeTxHash } : {}),
              ...(o.corrects ? { corrects: o.corrects } : {}),
            },
          },
          (i: { differenceStatus?: string }) =>
            `intake ${intakeId}: classified ${classification}; ${i.differenceStatus ?? 'recorded'}`,
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
      act(
        cmd,
        'custody.intake.countersign',
        {
          params: { intakeId },
          body: {
            role: o.as,
            ...(o.classification ? { classificationId: o.classification } : {}),
            ...(o.feeTxHash ? { feeTxHash: o.feeTxHash } : {}),
          },
        },
        (i: { differenceStatus?: string }) =>
          `intake ${intakeId}: countersigned as ${o.as}; ${i.differenceStatus ?? 'recorded'}`,
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
      act(
        cmd,
        'custody.evidence.correct',
        { params: { intakeId }, body: { corrects: o.corrects, reason: o.reason, evidence: await evidenceOf(o) } },
        (r: { evidenceId?: string }) =>
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
    .option('--fx-correction <correctionId>', 'the FX settlement correction this one carries into the treasury')
    .addOption(keyOption())
    .action(
      async (
        o: { case: string; line: string; amount: string; reason: string; fxCorrection?: string },
        cmd: Command,
      ) => {
        const line = Number(o.line);
        if (!Number.isInteger(line) || line < 1) throw new Error(`--line must be a ledger line number, not ${o.line}`);
        return act(
          cmd,
          'treasury.correction.request',
          {
            body: {
              caseId: o.case,
              line,
              correctedAmount: o.amount,
              reason: o.reason,
              ...(o.fxCorrection ? { fxCorrectionId: o.fxCorrection } : {}),
            },
          },
          (c: { correctionId?: string; status?: string }) =>
            `correction ${c.correctionId ?? '?'} of ${o.case} line ${line}: ${c.status ?? 'requested'}`,
        );
      },
    );
  correction
    .command('approve')
    .description('approve a correction another person requested')
    .argument('<correctionId>')
    .addOption(keyOption())
    .action(async (correctionId: string, _o: unknown, cmd: Command) =>
      act(cmd, 'treasury.correction.approve', { params: { correctionId }, body: {} }, (c: CorrectionBooked) => {
        const after = c.receivable
          ? `; ${c.receivable.amount} CNY had left already: receivable ${c.receivable.receivableId} owed by ${c.receivable.debtor}, open until recovered (vcdc recovery record)`
          : c.followUpDue
            ? `; ${c.followUpDue} CNY is due to the treasury as a follow-up remittance (a supervisor: vcdc correction follow-up ${correctionId})`
            : '';
        return `correction ${correctionId}: booked, reversal line ${c.reversalLine ?? '?'}${c.correctionLine ? `, new entry line ${c.correctionLine}` : ''}${after}`;
      }),
    );
  correction
    .command('follow-up')
    .description('remit what an upward correction after the pay-out left in the account (supervisors)')
    .argument('<correctionId>')
    .addOption(keyOption())
    .action(async (correctionId: string, _o: unknown, cmd: Command) =>
      act(
        cmd,
        'treasury.follow-up.approve',
        { params: { correctionId }, body: {} },
        (r: { amount?: string; voucherNo?: string; receiptNo?: string }) =>
          `follow-up of correction ${correctionId}: ${r.amount} CNY remitted, voucher ${r.voucherNo}, receipt ${r.receiptNo}`,
      ),
    );

  program
    .command('recovery')
    .description('receivables of money paid out too much')
    .command('record')
    .description('book that a receivable was paid back, with the refund receipt (treasury officers)')
    .argument('<receivableId>')
    .requiredOption('--receipt <receiptNo>', "the refund's receipt number")
    .addOption(keyOption())
    .action(async (receivableId: string, o: { receipt: string }, cmd: Command) =>
      act(
        cmd,
        'treasury.recovery.record',
        { params: { receivableId }, body: { receiptNo: o.receipt } },
        (r: { amount?: string }) => `receivable ${receivableId}: ${r.amount} CNY recovered (receipt ${o.receipt})`,
      ),
    );

  const fxCorrection = program
    .command('fx')
    .description('the FX settlements of a case')
    .command('correction')
    .description("corrections of a settlement's rate or CNY amount (four eyes)");
  fxCorrection
    .command('request')
    .description('ask to correct a settled tranche (another FX officer or a supervisor approves)')
    .requiredOption('--settlement <settlementId>', 'the tranche')
    .option('--rate <rate>', 'the corrected rate, CNY per unit')
    .option('--cny <amount>', 'the corrected CNY amount (must follow from the rate)')
    .requiredOption('--reason <text>', 'why')
    .addOption(keyOption())
    .action(async (o: { settlement: string; rate?: string; cny?: string; reason: string }, cmd: Command) => {
      if (!o.rate && !o.cny) throw new Error('give --rate, --cny or both');
      return act(
        cmd,
        'fx.settlement.correct',
        {
          params: { settlementId: o.settlement },
          body: { ...(o.rate ? { rate: o.rate } : {}), ...(o.cny ? { cnyAmount: o.cny } : {}), reason: o.reason },
        },
        (c: FxCorrectionView) => `settlement correction ${c.correctionId}: ${fxVersions(c)}; ${c.status}`,
      );
    });
  fxCorrection
    .command('approve')
    .description('approve a settlement correction another person requested')
    .argument('<correctionId>')
    .addOption(keyOption())
    .action(async (correctionId: string, _o: unknown, cmd: Command) =>
      act(
        cmd,
        'fx.correction.approve',
        { params: { correctionId }, body: {} },
        (c: FxCorrectionView) =>
          `settlement correction ${correctionId}: ${fxVersions(c)}; booked. The treasury credit follows: a treasury officer, vcdc correction request --case ${c.caseId} --line <the tranche's credit line> --amount ${c.after.cnyAmount} --fx-correction ${correctionId} --reason …`,
      ),
    );

  program
    .command('books')
    .description(
      "the case's books recomputed now from the services' records: reconciliation, both versions of every correction",
    )
    .argument('<caseId>')
    .action(async (caseId: string, _o: unknown, cmd: Command) => {
      const { api, json } = clientFor(cmd);
      const b = (await api.call('getReconciliation', { params: { caseId } })) as BooksView;
      if (json) return printJson(b);
      const r = b.reconciliation;
      println(
        `${caseId}: ${r.ok ? 'reconciles' : 'DOES NOT reconcile'} (${r.phase}, recomputed from the services' records)`,
      );
      for (const d of r.differences) println(`  difference: ${d.check}: ${d.difference}`);
      for (const c of r.corrections ?? []) {
        println(
          `  settlement ${c.settlementId} corrected by ${c.correctionId}: rate ${c.before.rate} -> ${c.after.rate}, CNY ${c.before.cnyAmount} -> ${c.after.cnyAmount} (${c.author}, approved by ${c.approver ?? '-'}: ${c.reason})`,
        );
      }
      println(
        table(
          ['LINE', 'KIND', 'REFERENCE', 'AMOUNT', 'BALANCE', 'REVERSES'],
          b.treasury.lines.map((l) => [
            String(l.line ?? ''),
            l.kind,
            l.reference,
            l.amount,
            l.balanceAfter,
            l.reversesLine ? String(l.reversesLine) : '',
          ]),
        ),
      );
      for (const r of b.treasury.receivables ?? []) {
        println(`  receivable ${r.receivableId}: ${r.amount} CNY owed by ${r.debtor}, ${r.status}`);
      }
      for (const f of b.treasury.followUpsDue ?? []) {
        println(`  follow-up remittance due: ${f.amount} CNY (correction ${f.correctionId})`);
      }
    });

  // The register of licensed providers (providers.ts): the same act posting, over the control API.
  addProviderCommands(program, ctx, act);
}

/**
 * Posts one act: a route of the control API by name, its input but the Idempotency-Key (the poster
 * gives it), and how to print its answer (the command's own view of it).
 */
export type ActPoster = <K extends ControlRouteName, T>(
  cmd: Command,
  name: K,
  input: Omit<NonNullable<ControlCall<K>[0]>, 'idempotencyKey'>,
  summary: (answer: T) => string,
) => Promise<void>;

interface CorrectionBooked {
  reversalLine?: number;
  correctionLine?: number;
  receivable?: { receivableId: string; amount: string; debtor: string };
  followUpDue?: string;
}

interface FxCorrectionView {
  correctionId: string;
  caseId: string;
  status: string;
  before: { rate: string; cnyAmount: string };
  after: { rate: string; cnyAmount: string };
  cnyDifference: string;
}

const fxVersions = (c: FxCorrectionView) =>
  `rate ${c.before.rate} -> ${c.after.rate}, CNY ${c.before.cnyAmount} -> ${c.after.cnyAmount} (${c.cnyDifference})`;

interface BooksView {
  reconciliation: {
    ok: boolean;
    phase: string;
    differences: Array<{ check: string; difference: string }>;
    corrections?: Array<{
      settlementId: string;
      correctionId: string;
      before: { rate: string; cnyAmount: string };
      after: { rate: string; cnyAmount: string };
      author: string;
      approver?: string;
      reason: string;
    }>;
  };
  treasury: {
    lines: Array<{
      line?: number;
      kind: string;
      reference: string;
      amount: string;
      balanceAfter: string;
      reversesLine?: number;
    }>;
    receivables?: Array<{ receivableId: string; amount: string; debtor: string; status: string }>;
    followUpsDue?: Array<{ correctionId: string; amount: string }>;
  };
}
