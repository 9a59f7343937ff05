export * from './act-kinds';
export * from './act-route';
export * from './acts-store';
export * from './decisions';
export * from './http';
export * from './signed-act';
