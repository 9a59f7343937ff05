/**
 * @vcdc/workflows, Node side: what the dev stack and the end-to-end test use. (The workflow itself
 * is bundled by the worker from ./case-workflow; never import it into workflow code through here.)
 */
export * from './activities';
export * from './case-input';
export * from './case-state';
export {
  type CaseStarted,
  type CaseSummary,
  type ControlApiDeps,
  createControlApi,
  resolveDecider,
} from './control-api/app';
export { ControlApiConfig, registrationDefaults } from './control-api/config';
export { startControlApi } from './control-api/server';
export * from './decision';
export * from './keys';
export * from './reconcile';
export * from './shared';
export * from './worker';
