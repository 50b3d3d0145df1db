// Re-exports only (STYLE.md: one exported function per file). V3 pool state read from the chain through viem.
export { ChainReadError } from "./ChainReadError.ts";
export { chainPoolAddress } from "./chainPoolAddress.ts";
export {
  type ChainTickDataLoader,
  type ChainTickDataLoaderParams,
  createChainTickDataLoader,
} from "./createChainTickDataLoader.ts";
export { type ContractRead, type ReadContractsAtParams, readContractsAt } from "./readContractsAt.ts";
export { type ReadV3PoolStateParams, readV3PoolState, type V3PoolChainState } from "./readV3PoolState.ts";
export { type ReadV3TickWordsParams, readV3TickWords } from "./readV3TickWords.ts";
export { type SnapshotV3PoolParams, snapshotV3Pool } from "./snapshotV3Pool.ts";
export { erc20DecimalsAbi, uniswapV3PoolReadAbi } from "./uniswapV3PoolReadAbi.ts";
