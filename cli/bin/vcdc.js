#!/usr/bin/env node
// `npx vcdc …`: the terminal client of the control API (cli/src/vcdc.ts), run through tsx
// (no build step, like every other VCDC process).
require('tsx/cjs');
const { runCli } = require('../src/vcdc.ts');

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
