// Re-exports only (STYLE.md: one exported function per file).

export { getAmountIn } from "./getAmountIn.ts";
export { getAmountOut } from "./getAmountOut.ts";
export { getAmountsIn } from "./getAmountsIn.ts";
export { getAmountsOut } from "./getAmountsOut.ts";
export { getOptimalInputAgainstPrice, type V2PriceArbitrage } from "./getOptimalInputAgainstPrice.ts";
export { getOptimalInputBetweenPools, type V2Arbitrage } from "./getOptimalInputBetweenPools.ts";
export { quote } from "./quote.ts";
export { swapV2Pair, type V2PairSwap } from "./swapV2Pair.ts";
export type { V2Hop } from "./V2Hop.ts";
export { FEE_0_3_PERCENT, type V2Fee, v2Fee } from "./v2Fee.ts";
export { v2Revert } from "./v2Revert.ts";
