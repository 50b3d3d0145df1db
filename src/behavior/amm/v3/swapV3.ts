import { runSwapV3, type SwapV3Params, type SwapV3Result } from "./runSwapV3.ts";
import type { V3Pool } from "./types.ts";

/** UniswapV3Pool.swap: executes the swap and writes the pool (see runSwapV3 for the reverts). */
export function swapV3(pool: V3Pool, params: SwapV3Params): SwapV3Result {
  return runSwapV3(pool, params, true);
}
