/** @vcdc/workflows: what the dev stack and the end-to-end test use (Node side; the workflow itself is bundled by the worker). */
export * from './activities';
export * from './case-input';
export type * from './case-state';
export * from './decision';
export * from './keys';
export * from './reconcile';
export * from './shared';
export * from './worker';
