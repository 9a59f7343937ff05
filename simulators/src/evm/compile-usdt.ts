/**
 * Compiles TestUSDT.sol with the `solc` npm package (offline; Hardhat's own compiler download does
 * not work here) and writes test-usdt.json (ABI + bytecode), which is committed. Run after editing
 * the contract:  node --import tsx simulators/src/evm/compile-usdt.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// solc ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string; version(): string };

const source = readFileSync(path.join(__dirname, 'TestUSDT.sol'), 'utf8');
const output = JSON.parse(
  solc.compile(
    JSON.stringify({
      language: 'Solidity',
      sources: { 'TestUSDT.sol': { content: source } },
      settings: {
        evmVersion: 'cancun',
        optimizer: { enabled: true, runs: 200 },
        outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
      },
    }),
  ),
) as {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
};
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = output.contracts['TestUSDT.sol']!.TestUSDT!;
writeFileSync(
  path.join(__dirname, 'test-usdt.json'),
  `${JSON.stringify({ compiler: solc.version(), abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` }, null, 2)}\n`,
);
console.log(`test-usdt.json written (solc ${solc.version()})`);
