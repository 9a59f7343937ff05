export * from './bound-tables';
export * from './chain';
export * from './checkpoint';
export { AUDIT_CHECKPOINT_ROUTES } from './checkpoint-route';
export * from './http';
