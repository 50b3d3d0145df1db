import { MAX_UINT128 } from "../constants.ts";
import { v3Revert } from "../errors.ts";

/** LiquidityMath.addDelta: uint128 x + int128 y; 'LS' when the result is below 0, 'LA' when above 2^128 - 1. */
export function addDelta(x: bigint, y: bigint): bigint {
  const z = x + y;
  if (y < 0n) {
    if (z < 0n) throw v3Revert("LS", "liquidity would go below zero", { liquidity: x, delta: y });
  } else if (z > MAX_UINT128) {
    throw v3Revert("LA", "liquidity would exceed uint128", { liquidity: x, delta: y });
  }
  return z;
}
