export * from './bound-tables';
export * from './chain';
export * from './checkpoint';
export * from './http';
