/** The local chain's well-known accounts and the TestUSDT artefact (dev and tests only). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Hardhat's well-known dev accounts (public test keys printed by `hardhat node`; worthless anywhere else). */
export const HARDHAT_DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
] as const;

export const USDT_ARTIFACT = JSON.parse(readFileSync(path.join(__dirname, 'test-usdt.json'), 'utf8')) as {
  abi: unknown[];
  bytecode: string;
};
export const USDT_ABI = USDT_ARTIFACT.abi;
export const USDT_DECIMALS = 6;

/**
 * Where TestUSDT lands on a fresh node: the first contract the first dev account deploys (nonce 0).
 * The dev stack configures custody with it before the node is up.
 */
export const LOCAL_USDT_ADDRESS = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
