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

const handedOut = new Set<number>();

/**
 * A TCP port free on loopback a moment ago, in [from, to], below the OS's ephemeral ports (32768 and up):
 * one of those may become an outgoing connection's source port before its listener binds it, and some
 * numbers must fit where an ephemeral one does not (Temporal's membership table keeps a SMALLINT).
 */
export async function freePortIn(from: number, to: number, tries = 200): Promise<number> {
  for (let i = 0; i < tries; i++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    // Picked at random, a port may come up twice before its first taker binds it: never hand it out again.
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${from}-${to} after ${tries} tries`);
}
