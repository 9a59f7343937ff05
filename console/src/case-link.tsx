import { casePath, follow } from './router';

/** A case's id as a link to its page, followed inside the console (no page load). */
export function CaseLink({ caseId }: { caseId: string }) {
  return (
    <a href={casePath(caseId)} onClick={follow}>
      {caseId}
    </a>
  );
}
