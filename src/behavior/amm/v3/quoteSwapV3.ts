import { runSwapV3, type SwapV3Params, type SwapV3Result } from "./runSwapV3.ts";
import type { V3Pool } from "./types.ts";

/** The result UniswapV3Pool.swap would give, without writing the pool (what QuoterV2 returns, minus gas). */
export function quoteSwapV3(pool: V3Pool, params: SwapV3Params): SwapV3Result {
  return runSwapV3(pool, params, false);
}
