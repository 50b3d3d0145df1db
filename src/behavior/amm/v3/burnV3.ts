import { MAX_INT128 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { modifyPositionV3, type PositionAmounts } from "./modifyPositionV3.ts";
import type { V3Pool } from "./types.ts";

/**
 * UniswapV3Pool.burn: removes liquidity; returns the amounts released to the owner as positive numbers (the
 * contract's uint256(-amount0Int)), rounded down. A burn of 0 only pokes fees on chain and changes nothing here.
 */
export function burnV3(pool: V3Pool, tickLower: number, tickUpper: number, amount: bigint): PositionAmounts {
  if (amount < 0n || amount > MAX_INT128) {
    throw v3Revert("CAST_OVERFLOW", "burn amount must be in 0..2^127-1", { amount, solidity: "toInt128" });
  }
  const { amount0, amount1 } = modifyPositionV3(pool, { tickLower, tickUpper, liquidityDelta: -amount });
  return { amount0: -amount0, amount1: -amount1 };
}
