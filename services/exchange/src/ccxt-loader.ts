/**
 * Loads ccxt through Node's own module loader.
 *
 * Why not `import ccxt from 'ccxt'`: ccxt's CommonJS build require()s ESM-only packages (@noble/*).
 * Node >= 20.19 loads those natively (require(esm)), so a plain import works when the service runs —
 * but jest's module registry cannot load them before Node 24.9, and this repository runs service code
 * in-process under jest. Node's loader works in both. If the root jest config ever transforms
 * @noble/@scure (or the project moves to Node >= 24.9), this file can become a plain import.
 */
import Module from 'node:module';

export type Ccxt = typeof import('ccxt');

type NodeLoader = (request: string, parent: unknown, isMain: boolean) => unknown;

let loaded: Ccxt | undefined;

export function loadCcxt(): Ccxt {
  if (loaded) return loaded;
  const nodeModule = Module as unknown as { _load: NodeLoader; _nodeModulePaths: (dir: string) => string[] };
  const parent = { id: __filename, filename: __filename, paths: nodeModule._nodeModulePaths(__dirname) };
  loaded = nodeModule._load('ccxt', parent, false) as Ccxt;
  return loaded;
}
