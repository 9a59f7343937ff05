/**
 * `vcdc dossier`: the case file (issue 15, part 2).
 *
 *   vcdc dossier export <caseId> [-o file]      the signed case file from the control API (auditors, supervisors)
 *   vcdc dossier verify <file> --key <keyfile>  offline: the manifest's signature with the verifier's own key
 *                                               (base64 SPKI as in ACT_VERIFY_KEYS, PEM or JWKS), then every
 *                                               file's SHA-256 and size, nothing missing or extra
 *
 * verify never reaches the network and never takes the key from the archive: the archive names its key
 * id, and only a key the verifier gives can vouch for it. Each file that does not match is named, and
 * the exit code is 1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ActCommandContext } from './acts';

/** A case file that did not verify: the problems are printed already; the exit code is 1. */
export class CaseFileRejected extends Error {}

export function addDossierCommands(program: Command, ctx: ActCommandContext): void {
  const dossier = program.command('dossier').description('the case file: export it, verify it offline');

  dossier
    .command('export')
    .description('download the signed case file of a case (auditors and supervisors)')
    .argument('<caseId>')
    .option('-o, --output <file>', 'where to write it (default: case-<caseId>.zip)')
    .action(async (caseId: string, opts: { output?: string }, cmd: Command) => {
      const { api } = ctx.clientFor(cmd);
      const bytes = await api.download('getDossier', { params: { caseId } });
      const file = opts.output ?? `case-${caseId}.zip`;
      await writeFile(file, bytes);
      ctx.println(
        `wrote ${file} (${bytes.byteLength} bytes); check it with: vcdc dossier verify ${file} --key <keyfile>`,
      );
    });

  dossier
    .command('verify')
    .description('check a case file offline: signature, every file against the manifest, nothing missing or extra')
    .argument('<file>')
    .requiredOption('--key <keyfile>', "the system's public key(s): base64 SPKI (ACT_VERIFY_KEYS), PEM or JWKS")
    .action(async (file: string, opts: { key: string }, cmd: Command) => {
      // Loaded when used: the checker needs the shared library, which every other command does without.
      const { checkCaseFile } = await import('@vcdc/control-api/dossier/archive');
      const { readVerifyKeys } = await import('@vcdc/control-api/dossier/verify-keys');
      const keys = readVerifyKeys(await readFile(opts.key, 'utf8'));
      const check = checkCaseFile(new Uint8Array(await readFile(file)), keys);
      if (cmd.optsWithGlobals<{ json?: boolean }>().json) ctx.printJson(check);
      else if (check.ok) {
        ctx.println(
          `OK: case file of ${check.caseId}, ${check.checked} files match the manifest signed by key ${check.keyId}`,
        );
      } else {
        ctx.println(`REJECTED: ${file}${check.caseId ? ` (case ${check.caseId})` : ''}`);
        ctx.println(
          ctx.table(
            ['FILE', 'PROBLEM', 'DETAIL'],
            check.problems.map((p) => [p.file, p.problem, p.detail]),
          ),
        );
      }
      if (!check.ok) {
        throw new CaseFileRejected(
          `${check.problems.length} problem(s): ${check.problems.map((p) => p.file).join(', ')}`,
        );
      }
    });
}
