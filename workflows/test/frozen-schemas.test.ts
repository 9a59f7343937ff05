/**
 * The workflow's frozen schemas (workflows/src/workflow/frozen/): a case's input and every decision are parsed
 * again on replay, so they are parsed with the workflow's own copies of the contract shapes, never with
 * the services' contracts (a service tightening its contract would change a running case's replay).
 * Here: the frozen schemas take what the recorded histories hold, and the workflow files that validate
 * input or decisions import no schema of @vcdc/shared/contracts or of the shared decision shapes at run
 * time (types are erased, so `import type` is fine).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { CaseRegistration } from '../src/workflow/case-input';
import { Decision } from '../src/workflow/decision';
import { admitDecision } from '../src/workflow/decision-admission';
import { HISTORIES_DIR } from './replay/record-histories';

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'workflows/src/workflow');

interface Payload {
  metadata?: { encoding?: string };
  data?: string;
}
interface HistoryEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { input?: { payloads?: Payload[] } };
  workflowExecutionUpdateAcceptedEventAttributes?: {
    acceptedRequest?: { input?: { name?: string; args?: { payloads?: Payload[] } } };
  };
}

const decode = (p: Payload | undefined): unknown => {
  expect(Buffer.from(p?.metadata?.encoding ?? '', 'base64').toString()).toBe('json/plain');
  return JSON.parse(Buffer.from(p?.data ?? '', 'base64').toString('utf8'));
};

const histories = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const { events } = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: HistoryEvent[] };
    const input = decode(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
    const decisions = events
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input)
      .filter((u) => u?.name === 'decide')
      .map((u) => decode(u?.args?.payloads?.[0]));
    return { file, input, decisions };
  });

const issuesOf = (r: { success: boolean; error?: { issues: unknown[] } }) => (r.success ? [] : r.error?.issues);

describe('the frozen schemas take what the recorded histories hold', () => {
  test('there are histories, with decisions', () => {
    expect(histories.length).toBeGreaterThan(20);
    expect(histories.flatMap((h) => h.decisions).length).toBeGreaterThan(50);
  });

  test.each(histories.map((h) => [h.file, h] as const))('%s', (_file, { input, decisions }) => {
    expect(issuesOf(CaseRegistration.safeParse(input))).toEqual([]);
    // Every decision the case accepted passed its validator: the frozen Decision takes each as it was sent.
    for (const d of decisions) expect(issuesOf(Decision.safeParse(d))).toEqual([]);
  });

  test('an accepted decision is admitted by the same shape it was recorded with (values kept as sent)', () => {
    const [d] = histories.flatMap((h) => h.decisions) as Array<{ stage: string; decidedBy: string }>;
    const admitted = admitDecision(d, { awaiting: d?.stage as Decision['stage'], requestedBy: 'someone-else' });
    expect(admitted).toEqual({ ok: true, decision: d });
  });
});

/** The names a file imports at run time from `specifier` (type-only imports are erased). */
function runtimeNamesFrom(source: string, specifier: string): string[] {
  const file = ts.createSourceFile('f.ts', source, ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const node of file.statements) {
    if (!ts.isImportDeclaration(node) && !ts.isExportDeclaration(node)) continue;
    const from = node.moduleSpecifier;
    if (!from || !ts.isStringLiteral(from) || from.text !== specifier) continue;
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (!clause || clause.isTypeOnly) continue;
      if (clause.name) names.push('default');
      const bound = clause.namedBindings;
      if (bound && ts.isNamespaceImport(bound)) names.push('*');
      if (bound && ts.isNamedImports(bound)) for (const e of bound.elements) if (!e.isTypeOnly) names.push(e.name.text);
    } else if (!node.isTypeOnly) {
      const clause = node.exportClause;
      if (!clause || !ts.isNamedExports(clause)) names.push('*');
      else for (const e of clause.elements) if (!e.isTypeOnly) names.push(e.name.text);
    }
  }
  return names;
}

/** The workflow's own files `entries` reach through relative runtime imports, entries included. */
function workflowFilesFrom(entries: string[]): string[] {
  const seen = new Set(entries);
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const node of source.statements) {
      if (!ts.isImportDeclaration(node) || !ts.isStringLiteral(node.moduleSpecifier)) continue;
      if (!node.moduleSpecifier.text.startsWith('.') || node.importClause?.isTypeOnly) continue;
      const bound = node.importClause?.namedBindings;
      if (bound && ts.isNamedImports(bound) && bound.elements.every((e) => e.isTypeOnly)) continue;
      const target = `${path.resolve(path.dirname(file), node.moduleSpecifier.text)}.ts`;
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen].sort();
}

describe('the workflow validates with its own schemas, not the services’ contracts', () => {
  // What parses a case's input (case-input.ts) and admits a decision (decision-admission.ts), and all they use.
  const validating = workflowFilesFrom([path.join(SRC, 'case-input.ts'), path.join(SRC, 'decision-admission.ts')]);

  test('the files that validate input and decisions are the ones expected', () => {
    expect(validating.map((f) => path.relative(SRC, f))).toEqual(
      expect.arrayContaining([
        'case-input.ts',
        'decision-admission.ts',
        'decision.ts',
        'frozen/acts.ts',
        'frozen/contracts.ts',
        'hold-resolution.ts',
        'lot-manifest.ts',
        'wait-policy.ts',
      ]),
    );
  });

  test('none imports @vcdc/shared/contracts at run time, and of the shared acts only the role tables', () => {
    const imported = validating.flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      const at = path.relative(SRC, file);
      return [
        ...runtimeNamesFrom(source, '@vcdc/shared/contracts').map((n) => `${at}: contracts.${n}`),
        ...runtimeNamesFrom(source, '@vcdc/shared/acts/pure')
          // Who may decide is policy shared by the control API, the workflow and the services, not a shape; the
          // roles people hold are what the control API reads from tokens (decision.ts Role), not a decision's shape.
          .filter((n) => n !== 'DECISION_ROLES' && n !== 'PersonRole')
          .map((n) => `${at}: acts.${n}`),
        ...runtimeNamesFrom(source, '@vcdc/shared').map((n) => `${at}: shared.${n}`),
      ];
    });
    expect(imported).toEqual([]);
  });

  test('the check sees a contract schema imported at run time, and lets types through', () => {
    const before = "import { common, custody, type fx } from '@vcdc/shared/contracts';";
    expect(runtimeNamesFrom(before, '@vcdc/shared/contracts')).toEqual(['common', 'custody']);
    expect(
      runtimeNamesFrom("import type { custody } from '@vcdc/shared/contracts';", '@vcdc/shared/contracts'),
    ).toEqual([]);
    expect(
      runtimeNamesFrom("export { CarriedDecision } from '@vcdc/shared/acts/pure';", '@vcdc/shared/acts/pure'),
    ).toEqual(['CarriedDecision']);
  });
});
