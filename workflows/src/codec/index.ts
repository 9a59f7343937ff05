export * from './codec-server';
export * from './payload-codec';
