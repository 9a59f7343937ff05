#!/usr/bin/env node
// `npx vcdc …`: the terminal client of the control API (workflows/src/cli/vcdc.ts), run through tsx
// (no build step, like every other VCDC process).
require('tsx/cjs');
const { runCli } = require('../src/cli/vcdc.ts');

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
