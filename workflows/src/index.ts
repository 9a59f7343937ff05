/**
 * @vcdc/workflows, Node side: what the dev stack and the end-to-end test use. (The workflow itself
 * is bundled by the worker from ./workflow/case-workflow; never import it into workflow code through here.)
 */

export {
  type CaseStarted,
  type CaseSummary,
  type ControlApiDeps,
  createControlApi,
  resolveDecider,
} from '../../control-api/src/app';
export { ControlApiConfig, registrationDefaults } from '../../control-api/src/config';
export { startControlApi } from '../../control-api/src/server';
export * from './activities/case-activities';
export * from './worker/worker';
export * from './workflow/case-input';
export * from './workflow/case-state';
export * from './workflow/decision';
export * from './workflow/keys';
export * from './workflow/reconcile';
export * from './workflow/shared';
