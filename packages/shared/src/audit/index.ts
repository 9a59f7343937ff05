export * from './chain';
export * from './http';
