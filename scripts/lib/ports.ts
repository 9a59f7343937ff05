import { createServer } from 'node:net';

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

/**
 * A TCP port free on loopback a moment ago, in [from, to]: for listeners whose number is stored where the
 * OS's ephemeral ports (32768 and up) do not fit, like Temporal's membership table (a SMALLINT).
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
    if (free) return port;
  }
  throw new Error(`no free port in ${from}-${to} after ${tries} tries`);
}
