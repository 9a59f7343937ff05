/**
 * The acts a person takes on a case beyond its decision: a custodian's attestation of an intake, and
 * the FX and treasury corrections with their approver (each in its own module). One place on the
 * case page, so the page lists its parts and each act keeps its form.
 */
import type { Api } from './api';
import { FxCorrections, TreasuryCorrections } from './correction-forms';
import { AttestIntakeForm } from './intake-forms';
import type { Person } from './session';
import type { ConsoleConfig } from './types';

export function CaseActs({ api, me, config, caseId }: { api: Api; me: Person; config: ConsoleConfig; caseId: string }) {
  return (
    <>
      <AttestIntakeForm api={api} me={me} caseId={caseId} />
      <FxCorrections api={api} me={me} config={config} caseId={caseId} />
      <TreasuryCorrections api={api} me={me} config={config} caseId={caseId} />
    </>
  );
}
