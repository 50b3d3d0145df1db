// Moved to src/behavior/execution/onchain/local-chain.ts (the `ap up --chain local` demo starts anvil too).
export {
  type Anvil,
  anvilBinary,
  type StartAnvilOptions,
  startAnvil,
} from "../../../../src/behavior/execution/onchain/local-chain.ts";
