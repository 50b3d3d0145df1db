import { MAX_INT128 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { modifyPositionV3, type PositionAmounts } from "./modifyPositionV3.ts";
import type { V3Pool } from "./types.ts";

/** UniswapV3Pool.mint: require(amount > 0); the amounts owed by the minter are rounded up (both >= 0). */
export function mintV3(pool: V3Pool, tickLower: number, tickUpper: number, amount: bigint): PositionAmounts {
  if (amount <= 0n)
    throw v3Revert("AMOUNT_ZERO", "mint amount must be above 0", { amount, solidity: "require(amount > 0)" });
  // int256(amount).toInt128() in mint
  if (amount > MAX_INT128) {
    throw v3Revert("CAST_OVERFLOW", "mint amount does not fit in int128", { amount, solidity: "SafeCast.toInt128" });
  }
  return modifyPositionV3(pool, { tickLower, tickUpper, liquidityDelta: amount });
}
