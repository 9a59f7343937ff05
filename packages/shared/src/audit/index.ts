export * from './bound-tables';
export * from './chain';
export * from './checkpoint';
export * from './http';
export { AUDIT_CHECKPOINT_ROUTES } from './checkpoint-route';
