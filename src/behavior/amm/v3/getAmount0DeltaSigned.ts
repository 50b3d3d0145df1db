import { MAX_INT256 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { getAmount0Delta } from "./getAmount0Delta.ts";

/**
 * SqrtPriceMath.getAmount0Delta(int128 liquidity): the signed token0 delta of a liquidity change. Adding liquidity
 * (> 0) rounds up (the owner pays more), removing rounds down (the owner receives less). toInt256 reverts >= 2^255.
 */
export function getAmount0DeltaSigned(sqrtRatioAX96: bigint, sqrtRatioBX96: bigint, liquidity: bigint): bigint {
  const amount =
    liquidity < 0n
      ? getAmount0Delta(sqrtRatioAX96, sqrtRatioBX96, -liquidity, false)
      : getAmount0Delta(sqrtRatioAX96, sqrtRatioBX96, liquidity, true);
  if (amount > MAX_INT256) {
    throw v3Revert("CAST_OVERFLOW", "amount0 does not fit in int256", { amount, solidity: "SafeCast.toInt256" });
  }
  return liquidity < 0n ? -amount : amount;
}
