import { MAX_INT256 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { getAmount1Delta } from "./getAmount1Delta.ts";

/** SqrtPriceMath.getAmount1Delta(int128 liquidity): signed token1 delta; rounds up when adding, down when removing. */
export function getAmount1DeltaSigned(sqrtRatioAX96: bigint, sqrtRatioBX96: bigint, liquidity: bigint): bigint {
  const amount =
    liquidity < 0n
      ? getAmount1Delta(sqrtRatioAX96, sqrtRatioBX96, -liquidity, false)
      : getAmount1Delta(sqrtRatioAX96, sqrtRatioBX96, liquidity, true);
  if (amount > MAX_INT256) {
    throw v3Revert("CAST_OVERFLOW", "amount1 does not fit in int256", { amount, solidity: "SafeCast.toInt256" });
  }
  return liquidity < 0n ? -amount : amount;
}
