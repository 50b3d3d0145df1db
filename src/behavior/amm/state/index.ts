// Re-exports only (STYLE.md: one exported function per file).

export { applyPoolEvent } from "./applyPoolEvent.ts";
export { applyPoolSnapshot, END_OF_BLOCK } from "./applyPoolSnapshot.ts";
export { applyTickWords } from "./applyTickWords.ts";
export { createPoolState, type PoolMetadata } from "./createPoolState.ts";
export { quotePoolSwapV3 } from "./quotePoolSwapV3.ts";
export type { TickDataLoader, TickWords } from "./TickDataLoader.ts";
export type {
  ChainPosition,
  PoolEvent,
  PoolEventOutcome,
  TrackedPoolState,
  V2PoolState,
  V3PoolState,
} from "./types.ts";
