import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A TCP port that was free on loopback a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Where processes on this machine claim the ports they picked, until their parts have bound them. */
const claimsDir = () => process.env.VCDC_PORT_CLAIMS_DIR ?? path.join(os.tmpdir(), 'vcdc-port-claims');
/** A claim older than this is stale: its taker has bound the port long since, or is gone. */
const CLAIM_MS = 10 * 60_000;

/**
 * Claim `port` for this process: false when it or another process (another stack of a test run) claimed
 * it recently. Two stacks starting at once each check a port is free before either binds it; the claim file,
 * created exclusively, makes only one of them take it.
 */
function claim(port: number): boolean {
  mkdirSync(claimsDir(), { recursive: true });
  const file = path.join(claimsDir(), String(port));
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch {
    let age = 0;
    try {
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      return false;
    }
    if (age < CLAIM_MS) return false;
    writeFileSync(file, `${process.pid}\n`);
    return true;
  }
}

/**
 * A TCP port free on loopback a moment ago, in [from, to], below the OS's ephemeral ports (32768 and up):
 * one of those may become an outgoing connection's source port before its listener binds it, and some
 * numbers must fit where an ephemeral one does not (Temporal's membership table keeps a SMALLINT).
 */
export async function freePortIn(from: number, to: number, tries = 200): Promise<number> {
  for (let i = 0; i < tries; i++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    // Picked at random, a port may come up twice (here or in another stack) before its first taker binds it.
    if (free && claim(port)) return port;
  }
  throw new Error(`no free port in ${from}-${to} after ${tries} tries`);
}
