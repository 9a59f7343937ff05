export * from './act-kinds';
export * from './acts-store';
export * from './http';
export * from './signed-act';
export * from './decisions';
