import { v3Revert } from "../errors.ts";
import { getTickAtSqrtRatio } from "./getTickAtSqrtRatio.ts";
import type { V3Pool } from "./types.ts";

/** UniswapV3Pool.initialize: sets the first price ('AI' if already set) and unlocks the pool. */
export function initializeV3Pool(pool: V3Pool, sqrtPriceX96: bigint): void {
  if (pool.sqrtPriceX96 !== 0n) throw v3Revert("AI", "pool already initialized", { sqrtPriceX96: pool.sqrtPriceX96 });
  const tick = getTickAtSqrtRatio(sqrtPriceX96);
  pool.sqrtPriceX96 = sqrtPriceX96;
  pool.tick = tick;
  pool.unlocked = true;
}
