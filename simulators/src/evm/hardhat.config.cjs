// The local EVM chain for dev and tests (`hardhat node`, started by simulators/src/evm/node.ts).
// Automine: each transaction gets its own block at once; EVM_BLOCK_INTERVAL_MS (when set) also mines
// empty blocks on a timer so that confirmations grow by themselves, as on a real chain.
// EVM_INITIAL_DATE (when set): the genesis date of a chain being played back from its journal
// (chain-journal.ts), so its blocks come back with the same timestamps and hashes.
// Transactions leave the mempool in the order they came (fifo), as a replay sends them.
const interval = Number(process.env.EVM_BLOCK_INTERVAL_MS || 0);
const initialDate = process.env.EVM_INITIAL_DATE || undefined;
// EVM_PARENT_PID: the process that started this node (node.ts). When it is gone (killed with -9, so it
// could not stop us), the node exits too: an orphan would keep the port and the next start would fail.
const parentPid = Number(process.env.EVM_PARENT_PID || 0);
if (parentPid > 0) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      process.exit(0);
    }
  }, 500).unref();
}
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      mining: { auto: true, interval: Math.max(interval, 0), mempool: { order: 'fifo' } },
      ...(initialDate ? { initialDate } : {}),
      loggingEnabled: false,
    },
  },
};
