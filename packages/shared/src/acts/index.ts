export * from './act-kinds';
export * from './acts-store';
export * from './decisions';
export * from './http';
export * from './signed-act';
