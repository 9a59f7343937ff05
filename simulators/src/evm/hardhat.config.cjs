// The local EVM chain for dev and tests (`hardhat node`, started by simulators/src/evm/node.ts).
// Automine: each transaction gets its own block at once; EVM_BLOCK_INTERVAL_MS (when set) also mines
// empty blocks on a timer so that confirmations grow by themselves, as on a real chain.
const interval = Number(process.env.EVM_BLOCK_INTERVAL_MS || 0);
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      mining: { auto: true, interval: Math.max(interval, 0) },
      loggingEnabled: false,
    },
  },
};
